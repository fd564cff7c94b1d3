"""Demo data for a first start (`flask demo`, run by `make run`): the demo accounts, the demo
investor's applications, a few years of history for the dashboard and a queue to review.

All of it goes through the services users go through (drafts, lifecycle moves, numbering), the
history's moves dated in the past, so no rule of the portal has a second copy here.
"""

from __future__ import annotations

import io
import math
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, inspect
from sqlalchemy.orm import MANYTOONE

from portal import lifecycle
from portal.extensions import db
from portal.models import (
    ADMIN,
    INVESTOR,
    REVIEWER,
    Application,
    ApplicationEvent,
    BeneficialOwner,
    Founder,
    Registration,
    RejectionReason,
    Sector,
    User,
    Zone,
    ZoneContact,
)
from portal.services import accounts as accounts_service
from portal.services import admin as admin_service
from portal.services import applications as app_service
from portal.services import company_changes, company_status, daily_counts, review, zone_time
from portal.services.documents import add_document, store_document
from portal.services.mail import after_commit_delivery
from portal.services.numbering import assign_registrations

DEMO_PASSWORD = "silk-road-demo-2026"  # noqa: S105 - public demo accounts only
DEMO_USERS = [
    (ADMIN, "admin@khorgos-gateway.example", "Aigerim Nurlanovna"),
    (REVIEWER, "reviewer@khorgos-gateway.example", "Dauren Seitkali"),
    (INVESTOR, "investor@khorgos-gateway.example", "Li Wei"),
]


def _user(role: str, email: str, name: str) -> User:
    user = accounts_service.find_user_by_email(email)
    if user is None:
        user = accounts_service.create_user(
            email, DEMO_PASSWORD, role=role, full_name=name, confirmed=True
        )
    return user


def load_demo() -> dict:
    """The demo accounts, and the demo investor's applications: one registered (with its
    certificate), one sent back by the reviewer for more information, and a draft half filled.
    Idempotent: an investor who has applications gets no more."""
    users = {role: _user(role, email, name) for role, email, name in DEMO_USERS}
    investor, reviewer = users[INVESTOR], users[REVIEWER]
    has_any = db.session.scalar(
        db.select(db.func.count(Application.id)).where(Application.owner_id == investor.id)
    )
    if not has_any:
        _investor_applications(investor, reviewer)  # e-mailed links are on BASE_URL
    _contacts(users[ADMIN])
    db.session.commit()
    if not has_any:
        after_commit_delivery()  # the decisions' e-mails, to instance/outbox in development
    return {
        "password": DEMO_PASSWORD,
        "users": [(role, email) for role, email, _ in DEMO_USERS],
    }


# The help pages' contacts, as the demo administrator would type them (fictitious numbers).
_WEEKDAYS_ALMATY = {
    "hours": "Monday to Friday, 9:00–18:00 (Almaty time)",
    "hours_ru": "Понедельник–пятница, 9:00–18:00 (время Алматы)",
    "hours_kk": "Дүйсенбі–жұма, 9:00–18:00 (Алматы уақыты)",
    "hours_zh": "周一至周五 9:00–18:00（阿拉木图时间）",
}
DEMO_CONTACTS = [
    {
        "zone": None,
        "office": "Khorgos Gateway help desk",
        "office_ru": "Служба поддержки Khorgos Gateway",
        "office_kk": "Khorgos Gateway қолдау қызметі",
        "office_zh": "Khorgos Gateway 服务台",
        "address": "",
        "phone": "+7 727 000 00 00",
        "email": "help@khorgos-gateway.example",
        **_WEEKDAYS_ALMATY,
    },
    {
        "zone": "ICBC",
        "office": 'ICBC "Khorgos": company registration office',
        "office_ru": "МЦПС «Хоргос»: отдел регистрации компаний",
        "office_kk": "«Қорғас» ШЫХО: компанияларды тіркеу бөлімі",
        "office_zh": "“霍尔果斯”国际边境合作中心：企业注册处",
        "address": 'Administrative building, ICBC "Khorgos", Kazakh part',
        "address_ru": "Административное здание, МЦПС «Хоргос», казахстанская часть",
        "address_kk": "Әкімшілік ғимарат, «Қорғас» ШЫХО, қазақстандық бөлігі",
        "address_zh": "“霍尔果斯”国际边境合作中心哈方区域行政楼",
        "phone": "+7 728 000 00 01",
        "email": "icbc@khorgos-gateway.example",
        **_WEEKDAYS_ALMATY,
    },
    *(
        {
            "zone": code,
            "office": 'SEZ "Khorgos - Eastern Gate": investor service',
            "office_ru": "СЭЗ «Хоргос – Восточные ворота»: служба по работе с инвесторами",
            "office_kk": "«Қорғас – Шығыс қақпасы» АЭА: инвесторларға қызмет көрсету бөлімі",
            "office_zh": "“霍尔果斯-东门”经济特区：投资者服务处",
            "address": "Nurkent, Panfilov district",
            "address_ru": "Нуркент, Панфиловский район",
            "address_kk": "Нұркент, Панфилов ауданы",
            "address_zh": "潘菲洛夫区努尔肯特",
            "phone": "+7 728 000 00 02",
            "email": "keg@khorgos-gateway.example",
            **_WEEKDAYS_ALMATY,
        }
        for code in ("KEG-IND", "KEG-LOG")
    ),
    {
        "zone": "LYG",
        "office": "Lianyungang terminal: investor desk",
        "office_ru": "Терминал Ляньюньган: стойка для инвесторов",
        "office_kk": "Ляньюньган терминалы: инвесторларға арналған бөлім",
        "office_zh": "连云港码头：投资者服务窗口",
        "address": "Lianyungang, Jiangsu, China",
        "address_ru": "Ляньюньган, провинция Цзянсу, Китай",
        "address_kk": "Ляньюньган, Цзянсу провинциясы, Қытай",
        "address_zh": "中国江苏省连云港市",
        "phone": "+86 518 0000 0000",
        "email": "lyg@khorgos-gateway.example",
        "hours": "Monday to Friday, 8:30–17:30 (Shanghai time)",
        "hours_ru": "Понедельник–пятница, 8:30–17:30 (время Шанхая)",
        "hours_kk": "Дүйсенбі–жұма, 8:30–17:30 (Шанхай уақыты)",
        "hours_zh": "周一至周五 8:30–17:30（北京时间）",
    },
]


def _contacts(admin: User) -> None:
    """The zone administration's offices on the help pages, entered as an admin would (audited).
    Idempotent: nothing is added once any contact exists."""
    if db.session.scalar(db.select(db.func.count(ZoneContact.id))):
        return
    zones = {z.code: z.id for z in db.session.scalars(db.select(Zone))}
    for position, contact in enumerate(DEMO_CONTACTS):
        if contact["zone"] is not None and contact["zone"] not in zones:
            continue  # an admin renamed or never had this zone
        values = {k: v for k, v in contact.items() if k != "zone"}
        zone_id = zones[contact["zone"]] if contact["zone"] else None
        admin_service.create(
            "contact", admin, zone_id=zone_id, position=position, active=True, **values
        )


def _spread(application: Application, days_ago: dict[str, float]) -> None:
    """Move a demo application's history back in time (the decision stays where it is, so the
    registration keeps its place in the gapless numbering), with durations to match."""
    now = datetime.now(UTC)

    def back(days: float) -> datetime:
        return now - timedelta(days=days, hours=3)

    application.created_at = back(days_ago["created"])
    for document in application.documents:
        document.uploaded_at = back(days_ago["created"])
    for event in application.events:
        if days_ago.get(event.action):
            event.created_at = back(days_ago[event.action])
    db.session.flush()
    for event in application.events:
        event.elapsed_seconds = app_service.elapsed_seconds(
            application.id, event.action, event.created_at
        )
    submitted = max(e.created_at for e in application.events if e.action == "submit")
    counted = daily_counts.state_of(application)
    application.submitted_at = submitted
    application.submitted_on = zone_time.local_date(submitted, application.zone)
    daily_counts.restate(counted, application)
    application.assigned_at = max(e.created_at for e in application.events if e.action == "take")
    application.updated_at = application.events[-1].created_at


def _company(investor: User, name: str, zone_code: str, sector_code: str, **fields) -> dict:
    zone = db.session.scalar(db.select(Zone).where(Zone.code == zone_code))
    sector = db.session.scalar(db.select(Sector).where(Sector.code == sector_code))
    return {
        "company_name": name,
        "legal_form": "llp",
        "zone_id": zone.id,
        "sector_id": sector.id,
        "director_name": investor.full_name,
        "director_nationality": "CN",
        "contact_email": investor.email,
        **fields,
    }


def _investor_applications(investor: User, reviewer: User) -> None:
    def filled(
        company: dict, investment: dict, founders: list, documents: tuple, owners: list = ()
    ) -> Application:
        application = app_service.create_draft(investor)
        app_service.update_fields(application, "company", company)
        app_service.update_fields(application, "investment", investment)
        app_service.set_founders(
            application,
            [dict(zip(("kind", "name", "nationality", "share"), f, strict=True)) for f in founders],
        )
        if owners:
            app_service.save_owners(application, [_owner_row(*o) for o in owners], False, "")
        for doc_type, title in documents:
            pdf = io.BytesIO(_demo_pdf(title, company["company_name"]))
            add_document(application, pdf, f"{doc_type}.pdf", doc_type, investor)
        return application

    registered = filled(
        _company(
            investor,
            "Altyn Caravan Logistics LLP",
            "KEG-LOG",
            "logistics",
            activity_code="52.10.0",
            address="Dry port, warehouse block C",
        ),
        {
            "investment_amount": Decimal("18000000.00"),
            "investment_currency": "CNY",
            "planned_jobs": 45,
        },
        [
            ("natural", "Li Wei", "CN", "70"),
            ("legal", "Altyn Caravan Holding Ltd", "HK", "30"),
        ],
        (("passport", "Passport"), ("charter", "Charter"), ("business_plan", "Business plan")),
        owners=[
            ("Li Wei", "1979-05-21", "CN", "CN", "shares votes directors", "70", "70", ""),
            (
                "Айгерим Жумабаева",
                "1988-11-02",
                "KZ",
                "KZ",
                "shares votes",
                "30",
                "30",
                "Altyn Caravan Holding Ltd",
            ),
        ],
    )
    app_service.submit(registered, investor)
    review.take(registered, reviewer)
    review.approve(registered, reviewer, "All documents in order. Welcome to the dry port.")

    asked = filled(
        _company(
            investor,
            "Jade Bridge Electronics LLP",
            "ICBC",
            "electronics",
            activity_code="46.52.0",
            address="ICBC trade area, pavilion 12",
        ),
        {
            "investment_amount": Decimal("750000.00"),
            "investment_currency": "USD",
            "planned_jobs": 18,
        },
        [("natural", "Li Wei", "CN", "100")],
        (("passport", "Passport"), ("charter", "Charter")),
    )
    app_service.submit(asked, investor)
    review.take(asked, reviewer)
    review.request_info(
        asked,
        reviewer,
        "Please add the business plan: the trade zone asks for one for electronics retail.",
    )
    db.session.flush()
    # Loaded in a second, but shown as the days it would take: the registered company was
    # started nine days ago and approved now; the other was sent back two days ago.
    _spread(registered, {"created": 9, "submit": 8, "take": 6, "approve": 0})
    _spread(asked, {"created": 6, "submit": 5, "take": 3, "request_info": 2})

    # A change of the registered company's record, waiting in the queue: the warehouse moved
    # within the dry port (a reviewer opens it and sees the old address against the new).
    moved = company_changes.file_change(registered.registration, investor)
    app_service.update_fields(moved, "company", {"address": "Dry port, warehouse block F"})
    lease = io.BytesIO(_demo_pdf("Lease of warehouse block F", moved.company_name))
    add_document(moved, lease, "lease.pdf", "other", investor)
    app_service.submit(moved, investor)

    draft = app_service.create_draft(investor)
    app_service.update_fields(
        draft,
        "company",
        _company(
            investor,
            "Silk Thread Textiles LLP",
            "KEG-IND",
            "textiles",
            activity_code="13.92.0",
            address="Industrial zone, plot 14",
        ),
    )
    app_service.update_fields(
        draft,
        "investment",
        {
            "investment_amount": Decimal("2500000.00"),
            "investment_currency": "USD",
            "planned_jobs": 120,
        },
    )


# --- a few years of history, so the dashboard tells a story on first start ---------------------

HISTORY_DAYS = 3 * 365
HISTORY_INVESTORS = [
    ("history@khorgos-gateway.example", "Khorgos Holdings (history)"),
    ("history-cn@khorgos-gateway.example", "Xinjiang Trade Partners (history)"),
    ("history-kz@khorgos-gateway.example", "Zhetysu Invest (history)"),
]
HISTORY_REVIEWERS = [
    ("reviewer2@khorgos-gateway.example", "Gulnara Abenova"),
    ("reviewer3@khorgos-gateway.example", "Wang Fang"),
]
# Zones by their share of registrations (most go to the trade zone and the industrial zone).
ZONE_WEIGHTS = {"ICBC": 5, "KEG-IND": 3, "KEG-LOG": 2, "LYG": 1}
# Fewer registrations at the weekend: Monday ... Sunday.
WEEKDAY_FACTORS = (1.15, 1.2, 1.2, 1.15, 1.1, 0.6, 0.3)
# Never the demo investor's own companies' names, which the name check must find free.
NAME_PARTS = (
    ["Silk", "Steppe", "Altyn", "Opal", "Caravan", "Eastern", "Tengri", "Ili", "Panda", "Saryarka"],
    ["Road", "Gate", "Bridge", "Star", "Wind", "River", "Peak", "Dragon", "Falcon", "Horizon"],
    ["Trading", "Logistics", "Textiles", "Electronics", "Foods", "Pharma", "Commerce", "Invest"],
)


def _poisson(rng, mean: float) -> int:
    """A Poisson-distributed count (Knuth; the means here are small)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _moves(rng, submitted: datetime, reviewer: User, owner: User) -> list[tuple]:
    """One application's moves as (action, instant, actor): submitted, taken, perhaps sent back
    for more information, then decided (or withdrawn); the last ones may lie in the future."""
    review_days = rng.lognormvariate(1.2, 0.6)
    fate = rng.random()
    steps = [("submit", submitted, owner)]
    at = submitted + timedelta(hours=rng.uniform(2, 30))
    steps.append(("take", at, reviewer))
    if rng.random() < 0.15:
        at += timedelta(days=rng.uniform(0.2, 2))
        steps.append(("request_info", at, reviewer))
        at += timedelta(days=rng.lognormvariate(1.0, 0.7))
        steps.append(("resubmit", at, owner))
        at += timedelta(hours=rng.uniform(1, 24))
        steps.append(("take", at, reviewer))
    decided = max(at + timedelta(hours=1), submitted + timedelta(days=review_days))
    if fate < 0.03:
        return steps[:1] + [("withdraw", submitted + timedelta(days=1), owner)]
    steps.append(("reject" if fate < 0.11 else "approve", decided, reviewer))
    return steps


def _history_draft(rng, owner: User, zone: Zone, sector: Sector, used: dict) -> Application:
    """A draft filled as its investor would have, built in memory outside the session: the
    lifecycle moves an application without an id there (see applications.lock), so years of
    them are quick, and `load_history` writes them all at once. Its name is one no other has
    (`used`: how often each was drawn), as the name check would have seen to."""
    base = " ".join(rng.choice(part) for part in NAME_PARTS)
    used[base] = used.get(base, 0) + 1
    name = f"{base} LLP" if used[base] == 1 else f"{base} {used[base]} LLP"
    # The moves read the owner's id and the zone before anything is written.
    application = Application(
        owner=owner, owner_id=owner.id, zone=zone, sector=sector, status=lifecycle.DRAFT
    )
    app_service.update_fields(
        application,
        "company",
        {
            "company_name": name,
            "legal_form": "llp",
            "zone_id": zone.id,
            "sector_id": sector.id,
            "activity_code": "46.90.0",
            "address": f"{zone.code}, plot {rng.randrange(1, 400)}",
            "director_name": name.split()[0] + " Director",
            "director_nationality": rng.choice(["KZ", "CN", "RU", "UZ"]),
            "contact_email": owner.email,
            "contact_phone": "",
        },
    )
    app_service.update_fields(
        application,
        "investment",
        {
            "investment_amount": Decimal(rng.randrange(50, 5000) * 1000),
            "investment_currency": rng.choice(["USD", "CNY", "KZT"]),
            "planned_jobs": rng.randrange(3, 300),
        },
    )
    app_service.remember_step(application, "review")
    return application


def load_history(days: int = HISTORY_DAYS, today: date | None = None, seed: int = 2016) -> int:
    """Add `days` of applications up to today, for the dashboard (idempotent).

    Registrations run from about the 2016 rate (6.57 a day) to a little above the 2017 rate
    (20 a day) with weekly seasonality and noise; some applications were rejected or
    withdrawn, and the last weeks' are still open. Each is drafted and moved through the
    lifecycle by the services users go through, every move at its instant in the past, so the
    events, their durations and the gapless numbers come from the portal's own rules. The
    applications are built in memory and written at once, so `make run` stays quick.
    Returns how many were added (0 when the history is already there).
    """
    owners = [_user(INVESTOR, email, name) for email, name in HISTORY_INVESTORS]
    if db.session.scalar(
        db.select(func.count(Application.id)).where(
            Application.owner_id.in_([u.id for u in owners])
        )
    ):
        return 0
    reviewers = [_user(role, email, name) for role, email, name in DEMO_USERS[:2]]
    reviewers += [_user(REVIEWER, email, name) for email, name in HISTORY_REVIEWERS]
    zones = [z for z in db.session.scalars(db.select(Zone)) if z.code in ZONE_WEIGHTS]
    zone_weights = [ZONE_WEIGHTS[z.code] for z in zones]
    sectors = {zone.id: list(zone.sectors) for zone in zones}
    reasons = list(db.session.scalars(db.select(RejectionReason)))
    rng = random.Random(seed)
    today = today or zone_time.today()
    first = today - timedelta(days=days)
    now = datetime.now(UTC)

    moves = []  # (instant, application, action, actor) of all the applications
    used_names: dict[str, int] = {}
    for offset in range(days + 1):
        day = first + timedelta(days=offset)
        mean = 6.0 * (22.0 / 6.0) ** (offset / days) * WEEKDAY_FACTORS[day.weekday()]
        for _ in range(_poisson(rng, mean * 1.12)):  # some will not be approved
            zone = rng.choices(zones, zone_weights)[0]
            submitted = datetime.combine(day, time(3), tzinfo=UTC) + timedelta(
                minutes=rng.randrange(9 * 60)
            )
            owner = rng.choice(owners)
            steps = [s for s in _moves(rng, submitted, rng.choice(reviewers), owner) if s[1] <= now]
            if not steps:  # later today
                continue
            application = _history_draft(rng, owner, zone, rng.choice(sectors[zone.id]), used_names)
            application.created_at = application.updated_at = submitted - timedelta(days=2)
            moves += [(at, application, action, actor) for action, at, actor in steps]

    # Every move in the order they happened, so the registrations are numbered in that order.
    moves.sort(key=lambda move: move[0])
    approved = []
    for at, application, action, actor in moves:
        if action == "take":
            review.take(application, actor, at=at)
            continue
        reason = rng.choice(reasons) if action == "reject" else None
        app_service.transition(application, action, actor, reason=reason, at=at)
        if action == "approve":
            approved.append((application, at))
    registrations = assign_registrations(approved)
    applications = list(dict.fromkeys(move[1] for move in moves))
    if not applications:  # a day or two, and nobody applied
        db.session.commit()
        return 0
    ids = db.session.scalars(
        _bulk_insert(Application).returning(Application.id, sort_by_parameter_order=True),
        _rows(applications),
    ).all()
    for application, application_id in zip(applications, ids, strict=True):
        application.id = application_id
    events = [event for application in applications for event in application.events]
    db.session.execute(_bulk_insert(ApplicationEvent), _rows(events))
    if registrations:  # none in a day or two: decisions take days
        db.session.execute(_bulk_insert(Registration), _rows(registrations))
    db.session.commit()
    _company_statuses(rng, _user(ADMIN, *DEMO_USERS[0][1:]), today)
    db.session.commit()
    return len(applications)


# What befell some of the history's older companies since: (moves, each a target status, how
# many days before today it took effect, and the reason the public record shows).
DEMO_STATUS_CHANGES = (
    ((lifecycle.SUSPENDED, 20, "Annual report not filed by the deadline."),),
    (
        (lifecycle.SUSPENDED, 25, "Licence for the warehouse under review by the zone."),
        (lifecycle.ACTIVE, 9, "Licence confirmed by the zone administration."),
    ),
    ((lifecycle.STRUCK_OFF, 12, "Liquidated by decision of its founders."),),
)


def _company_statuses(rng, admin: User, today: date) -> None:
    """A suspension, a suspension lifted and a strike-off among companies registered at least
    a month before `today`, through the service admins use (events, audit, e-mails)."""
    older = db.session.scalars(
        db.select(Registration)
        .where(Registration.registered_on <= today - timedelta(days=30))
        .order_by(Registration.number)
    ).all()
    if len(older) < len(DEMO_STATUS_CHANGES):
        return
    for registration, moves in zip(
        rng.sample(older, len(DEMO_STATUS_CHANGES)), DEMO_STATUS_CHANGES, strict=True
    ):
        for target, days_before, reason in moves:
            effective_on = today - timedelta(days=days_before)
            company_status.change_status(registration, target, admin, reason, effective_on)


def _bulk_insert(model):
    # A None is written as NULL (not left to a default), so the rows go in large batches.
    return insert(model).execution_options(render_nulls=True)


def _rows(objects: list) -> list[dict]:
    """The rows of objects of one model built in memory, for a bulk insert: the columns they
    were given (the others take their defaults), and the keys of the objects they point to."""
    if not objects:
        return []
    mapper = inspect(objects[0]).mapper
    columns = [c.key for c in mapper.column_attrs if not c.columns[0].primary_key]
    defaulted = {c.key for c in mapper.column_attrs if c.columns[0].default is not None}
    links = [
        (r.key, [(local.key, remote.key) for local, remote in r.local_remote_pairs])
        for r in mapper.relationships
        if r.direction is MANYTOONE
    ]
    rows = []
    for obj in objects:
        given = obj.__dict__
        row = {key: given.get(key) for key in columns if key in given or key not in defaulted}
        for key, pairs in links:
            if (target := given.get(key)) is not None:
                row.update((local, getattr(target, remote)) for local, remote in pairs)
        rows.append(row)
    return rows


# --- the review queue's demo applications: complete, with founders and documents ----------

DEMO_FOUNDERS = [
    [("natural", "Aruzhan Bekova", "KZ", "60"), ("legal", "新疆丝路纺织有限公司", "CN", "40")],
    [("legal", "Qorgas Logistics LLP", "KZ", "51"), ("natural", "Wang Fang", "CN", "49")],
    [("natural", "Иван Петров", "RU", "100")],
    [
        ("natural", "Nurlan Abenov", "KZ", "50"),
        ("natural", "Liu Yang", "CN", "30"),
        ("legal", "Eurasia Trade GmbH", "DE", "20"),
    ],
]


# The beneficial owners behind DEMO_FOUNDERS (the same index): (name, born, nationality,
# residence, controls, shares %, votes %, held through).
DEMO_OWNERS = [
    [
        ("Aruzhan Bekova", "1985-04-12", "KZ", "KZ", "shares votes", "60", "60", ""),
        ("张伟", "1976-08-30", "CN", "CN", "shares", "40", "", "新疆丝路纺织有限公司"),
    ],
    [
        (
            "Serik Akhmetov",
            "1969-02-17",
            "KZ",
            "KZ",
            "shares votes directors",
            "51",
            "51",
            "Qorgas Logistics LLP",
        ),
        ("Wang Fang", "1990-12-05", "CN", "KZ", "shares votes", "49", "49", ""),
    ],
    [],
    [
        ("Nurlan Abenov", "1982-07-09", "KZ", "KZ", "shares votes directors", "50", "50", ""),
        ("Liu Yang", "1987-03-23", "CN", "CN", "shares votes", "30", "30", ""),
    ],
]


def _owner_row(name, born, nationality, residence, controls, shares, votes, through) -> dict:
    return {
        "name": name,
        "birth_date": date.fromisoformat(born),
        "nationality": nationality,
        "residence": residence,
        "controls": controls.split(),
        "shares_percent": Decimal(shares) if shares else None,
        "votes_percent": Decimal(votes) if votes else None,
        "held_through": through,
    }


def _demo_pdf(title: str, company: str) -> bytes:
    """A one-page PDF standing in for a scanned document, so reviewers can open something."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("Helvetica-Bold", 18)
    page.drawString(72, 760, title)
    page.setFont("Helvetica", 12)
    page.drawString(72, 730, company)
    page.drawString(72, 710, "Demo document generated by Khorgos Gateway.")
    page.showPage()
    page.save()
    return buffer.getvalue()


def complete_open_applications(limit: int = 200) -> int:
    """Give open applications without founders the founders and documents a real one has.

    The dashboard history is loaded without them; the applications still open sit in the
    review queue, where a reviewer opens them. Idempotent: complete ones are skipped.
    """
    candidates = db.session.scalars(
        db.select(Application)
        .where(Application.status.in_(lifecycle.OPEN), ~Application.founders.any())
        .order_by(Application.id)
        .limit(limit)
    ).all()
    for index, application in enumerate(candidates):
        for position, (kind, name, nationality, share) in enumerate(
            DEMO_FOUNDERS[index % len(DEMO_FOUNDERS)]
        ):
            db.session.add(
                Founder(
                    application=application,
                    position=position,
                    kind=kind,
                    name=name,
                    nationality=nationality,
                    share=Decimal(share),
                )
            )
        for position, owner in enumerate(DEMO_OWNERS[index % len(DEMO_OWNERS)]):
            db.session.add(
                BeneficialOwner(application=application, position=position, **_owner_row(*owner))
            )
        if not application.documents:
            for doc_type, title in (("passport", "Passport"), ("charter", "Charter")):
                pdf = io.BytesIO(_demo_pdf(title, application.company_name))
                store_document(application, pdf, f"{doc_type}.pdf", doc_type, application.owner_id)
    db.session.commit()
    return len(candidates)
