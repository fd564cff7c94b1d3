"""Demo data for a first start: accounts and a few applications in different states."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, insert

from portal import lifecycle
from portal.extensions import db
from portal.models import (
    Application,
    ApplicationEvent,
    Registration,
    RegistrationCounter,
    RejectionReason,
    Sector,
    User,
    Zone,
)
from portal.services import accounts as accounts_service
from portal.services import applications as app_service
from portal.services import zone_time
from portal.services.mail import after_commit_delivery

DEMO_PASSWORD = "silk-road-demo-2026"  # noqa: S105 - public demo accounts only
DEMO_USERS = [
    ("admin", "admin@khorgos-gateway.example", "Aigerim Nurlanovna"),
    ("reviewer", "reviewer@khorgos-gateway.example", "Dauren Seitkali"),
    ("investor", "investor@khorgos-gateway.example", "Li Wei"),
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
    investor, reviewer = users["investor"], users["reviewer"]
    has_any = db.session.scalar(
        db.select(db.func.count(Application.id)).where(Application.owner_id == investor.id)
    )
    if not has_any:
        base_url = current_app.config["BASE_URL"]
        with current_app.test_request_context(base_url=base_url):  # links in the e-mails
            _investor_applications(investor, reviewer)
    db.session.commit()
    if not has_any:
        after_commit_delivery()  # the decisions' e-mails, to instance/outbox in development
    return {
        "password": DEMO_PASSWORD,
        "users": [(role, email) for role, email, _ in DEMO_USERS],
    }


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
    elapsed = app_service.elapsed_in_timeline((e.action, e.created_at) for e in application.events)
    for event, seconds in zip(application.events, elapsed, strict=True):
        event.elapsed_seconds = seconds
    submitted = max(e.created_at for e in application.events if e.action == "submit")
    application.submitted_at = submitted
    application.submitted_on = zone_time.local_date(submitted, application.zone)
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
    import io

    from portal.services import review
    from portal.services.documents import add_document

    def filled(company: dict, investment: dict, founders: list, documents: tuple) -> Application:
        application = app_service.create_draft(investor)
        app_service.update_fields(application, "company", company)
        app_service.update_fields(application, "investment", investment)
        app_service.set_founders(
            application,
            [dict(zip(("kind", "name", "nationality", "share"), f, strict=True)) for f in founders],
        )
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
            ("natural", "Айгерим Жумабаева", "KZ", "30"),
        ],
        (("passport", "Passport"), ("charter", "Charter"), ("business_plan", "Business plan")),
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
NAME_PARTS = (
    ["Silk", "Steppe", "Altyn", "Jade", "Caravan", "Eastern", "Tengri", "Ili", "Panda", "Saryarka"],
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


def load_history(years: int = 3, today: date | None = None, seed: int = 2016) -> int:
    """Insert `years` of decided applications, their events and registrations (idempotent).

    Registrations run from about the 2016 rate (6.57 a day) to a little above the 2017 rate
    (20 a day) with weekly seasonality and noise; some applications were rejected or
    withdrawn, and the last weeks' are still open. Bulk inserts, so `make run` stays quick.
    Returns how many applications were added (0 when history is already there).
    """
    owners = [_user("investor", email, name) for email, name in HISTORY_INVESTORS]
    owner_ids = [u.id for u in owners]
    if db.session.scalar(
        db.select(func.count(Application.id)).where(Application.owner_id.in_(owner_ids))
    ):
        return 0
    reviewers = [_user(role, email, name) for role, email, name in DEMO_USERS[:2]]
    reviewers += [_user("reviewer", email, name) for email, name in HISTORY_REVIEWERS]
    reviewer_ids = [u.id for u in reviewers]
    zones = [z for z in db.session.scalars(db.select(Zone)) if z.code in ZONE_WEIGHTS]
    zone_weights = [ZONE_WEIGHTS[z.code] for z in zones]
    reasons = [r.id for r in db.session.scalars(db.select(RejectionReason))]
    rng = random.Random(seed)
    today = today or zone_time.today()
    first = today - timedelta(days=365 * years)
    total_days = (today - first).days
    now = datetime.now(UTC)

    applications, timelines = [], []
    for offset in range(total_days + 1):
        day = first + timedelta(days=offset)
        progress = offset / max(total_days, 1)
        mean = 6.0 * (22.0 / 6.0) ** progress * WEEKDAY_FACTORS[day.weekday()]
        for _ in range(_poisson(rng, mean * 1.12)):  # some will not be approved
            zone = rng.choices(zones, zone_weights)[0]
            sector = rng.choice(zone.sectors)
            submitted = datetime.combine(day, time(3), tzinfo=UTC) + timedelta(
                minutes=rng.randrange(9 * 60)
            )
            review_days = rng.lognormvariate(1.2, 0.6)
            fate = rng.random()
            reviewer = rng.choice(reviewer_ids)
            steps = [("submit", submitted, None)]
            at = submitted + timedelta(hours=rng.uniform(2, 30))
            steps.append(("take", at, reviewer))
            if rng.random() < 0.15:
                at += timedelta(days=rng.uniform(0.2, 2))
                steps.append(("request_info", at, reviewer))
                at += timedelta(days=rng.lognormvariate(1.0, 0.7))
                steps.append(("resubmit", at, None))
                at += timedelta(hours=rng.uniform(1, 24))
                steps.append(("take", at, reviewer))
            decided = max(at + timedelta(hours=1), submitted + timedelta(days=review_days))
            if fate < 0.03:
                steps = steps[:1] + [("withdraw", submitted + timedelta(days=1), None)]
            elif fate < 0.11:
                steps.append(("reject", decided, reviewer))
            else:
                steps.append(("approve", decided, reviewer))
            steps = [s for s in steps if s[1] <= now]
            if not steps:  # later today
                continue
            status = {m.action: m.target for m in lifecycle.MOVES}[steps[-1][0]]
            name = " ".join(rng.choice(part) for part in NAME_PARTS) + " LLP"
            applications.append(
                {
                    "owner_id": rng.choice(owner_ids),
                    "status": status,
                    "current_step": "review",
                    "company_name": name,
                    "legal_form": "llp",
                    "zone_id": zone.id,
                    "sector_id": sector.id,
                    "activity_code": "46.90.0",
                    "address": f"{zone.code}, plot {rng.randrange(1, 400)}",
                    "investment_amount": Decimal(rng.randrange(50, 5000) * 1000),
                    "investment_currency": rng.choice(["USD", "CNY", "KZT"]),
                    "planned_jobs": rng.randrange(3, 300),
                    "director_name": name.split()[0] + " Director",
                    "director_nationality": rng.choice(["KZ", "CN", "RU", "UZ"]),
                    "contact_email": "history@khorgos-gateway.example",
                    "created_at": submitted - timedelta(days=2),
                    "updated_at": steps[-1][1],
                    "submitted_at": max(s[1] for s in steps if s[0] in ("submit", "resubmit")),
                    "submitted_on": day,
                    "decided_at": steps[-1][1] if status in lifecycle.DECIDED else None,
                    # Only a reviewer's take assigns an application.
                    "assignee_id": reviewer if any(s[0] == "take" for s in steps) else None,
                    "assigned_at": max(
                        (at for action, at, _who in steps if action == "take"), default=None
                    ),
                }
            )
            timelines.append((zone, steps))

    ids = db.session.scalars(
        insert(Application).returning(Application.id, sort_by_parameter_order=True),
        applications,
    ).all()
    events, registrations = [], []
    counters = {
        (c.zone_id, c.year): c.last_seq for c in db.session.scalars(db.select(RegistrationCounter))
    }
    for application_id, row, (zone, steps) in zip(ids, applications, timelines, strict=True):
        previous = None
        elapsed = app_service.elapsed_in_timeline((action, at) for action, at, _actor in steps)
        for (action, at, actor), seconds in zip(steps, elapsed, strict=True):
            move = lifecycle.find_move(previous or lifecycle.DRAFT, action)
            events.append(
                {
                    "application_id": application_id,
                    "actor_id": actor or row["owner_id"],
                    "created_at": at,
                    "action": action,
                    "from_status": move.source,
                    "to_status": move.target,
                    "comment": "",
                    "reason_id": rng.choice(reasons) if action == "reject" else None,
                    "elapsed_seconds": seconds,
                }
            )
            previous = move.target
        if row["status"] == lifecycle.APPROVED:
            registrations.append((application_id, row, zone, row["decided_at"]))
    registrations.sort(key=lambda r: r[3])
    registration_rows = []
    for application_id, row, zone, decided in registrations:
        day = zone_time.local_date(decided, zone)
        seq = counters.get((zone.id, day.year), 0) + 1
        counters[(zone.id, day.year)] = seq
        registration_rows.append(
            {
                "application_id": application_id,
                "zone_id": zone.id,
                "sector_id": row["sector_id"],
                "year": day.year,
                "seq": seq,
                "number": f"{zone.code}-{day.year}-{seq:06d}",
                "company_name": row["company_name"],
                "registered_on": day,
                "created_at": decided,
            }
        )
    db.session.execute(insert(ApplicationEvent), events)
    db.session.execute(insert(Registration), registration_rows)
    existing = {(c.zone_id, c.year): c for c in db.session.scalars(db.select(RegistrationCounter))}
    for (zone_id, year), last_seq in counters.items():
        if (zone_id, year) in existing:
            existing[(zone_id, year)].last_seq = last_seq
        else:
            db.session.add(RegistrationCounter(zone_id=zone_id, year=year, last_seq=last_seq))
    db.session.commit()
    return len(ids)


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


def _demo_pdf(title: str, company: str) -> bytes:
    """A one-page PDF standing in for a scanned document, so reviewers can open something."""
    import io

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

    The dashboard history is bulk-inserted without them; the applications still open sit in
    the review queue, where a reviewer opens them. Idempotent: complete ones are skipped.
    """
    import io

    from portal.models import Founder
    from portal.services.documents import store_document

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
        if not application.documents:
            for doc_type, title in (("passport", "Passport"), ("charter", "Charter")):
                pdf = io.BytesIO(_demo_pdf(title, application.company_name))
                store_document(application, pdf, f"{doc_type}.pdf", doc_type, application.owner_id)
    db.session.commit()
    return len(candidates)
