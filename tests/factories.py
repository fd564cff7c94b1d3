"""Factories for test objects (factory-boy), built through the models and services."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from portal import lifecycle
from portal.extensions import db
from portal.models import INVESTOR, Application, BeneficialOwner, Founder, Sector, User, Zone
from portal.models.base import utcnow
from portal.services import daily_counts
from portal.services.documents import add_document
from portal.services.passwords import hash_password

PASSWORD = "correct horse battery staple"

# Smallest files that are what they say they are: filetype reads their magic bytes, and the
# upload check decodes them (the PDF has the cross-reference table a reader needs, the PNG
# correct checksums).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
    b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n96\n%%EOF\n"
)
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)


def zone(code: str = "KEG-IND") -> Zone:
    return db.session.scalar(db.select(Zone).where(Zone.code == code))


def sector(code: str = "textiles") -> Sector:
    return db.session.scalar(db.select(Sector).where(Sector.code == code))


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = INVESTOR
    active = True
    email_confirmed_at = factory.LazyFunction(utcnow)
    password_hash = factory.LazyFunction(lambda: hash_password(PASSWORD))


class ApplicationFactory(BaseFactory):
    """A draft with the company and investment steps filled in."""

    class Meta:
        model = Application

    owner = factory.SubFactory(UserFactory)
    status = lifecycle.DRAFT
    company_name = factory.Sequence(lambda n: f"Silk Road Trading {n} LLP")
    legal_form = "llp"
    zone = factory.LazyFunction(zone)
    sector = factory.LazyFunction(sector)
    activity_code = "13.92.0"
    address = "Industrial zone, plot 7"
    director_name = "Aruzhan Bekova"
    director_nationality = "KZ"
    contact_email = factory.LazyAttribute(lambda o: o.owner.email)
    contact_phone = "+7 727 000 00 00"
    investment_amount = Decimal("1500000.00")
    investment_currency = "USD"
    planned_jobs = 40

    @factory.post_generation
    def counted(application, create, extracted, **kwargs):
        """One made as submitted counts on the dashboard, as a submission through the lifecycle
        would (services/daily_counts.py)."""
        if create:
            daily_counts.restate(None, application)
        return create


def beneficial_owner(position: int = 0, **fields) -> BeneficialOwner:
    """A beneficial owner: by default one holding 30% of the shares through a founding company."""
    values = {
        "name": "Li Wei",
        "birth_date": date(1978, 9, 3),
        "nationality": "CN",
        "residence": "CN",
        "controls": ["shares"],
        "shares_percent": Decimal("30"),
        "votes_percent": None,
        "held_through": "Xinjiang Textile Co.",
    }
    values.update(fields)
    return BeneficialOwner(position=position, **values)


def complete_application(owner: User | None = None, **kwargs) -> Application:
    """A draft that passes every check: founders adding up to 100, the beneficial owners behind
    them (a founder is a legal entity) and the required documents."""
    application = ApplicationFactory(owner=owner or UserFactory(), **kwargs)
    application.founders = [
        Founder(
            position=0, kind="natural", name="Aruzhan Bekova", nationality="KZ", share=Decimal("60")
        ),
        Founder(
            position=1,
            kind="legal",
            name="Xinjiang Textile Co.",
            nationality="CN",
            share=Decimal("40"),
        ),
    ]
    application.owners = [
        beneficial_owner(
            0,
            name="Aruzhan Bekova",
            birth_date=date(1985, 4, 12),
            nationality="KZ",
            residence="KZ",
            controls=["shares", "votes"],
            shares_percent=Decimal("60"),
            votes_percent=Decimal("60"),
            held_through="",
        ),
        beneficial_owner(1),
    ]
    for doc_type in ("passport", "charter"):
        add_document(
            application, io.BytesIO(PDF_BYTES), f"{doc_type}.pdf", doc_type, application.owner
        )
    db.session.commit()
    return application


def registered_application(
    owner: User | None = None,
    zone_code: str = "KEG-IND",
    sector_code: str = "textiles",
    number: str | None = None,
    registered_on=None,
    founders: list[tuple[str, str, str, str]] | None = None,
    **kwargs,
) -> Application:
    """An approved application and its Registration, as the reviewers' approval leaves them.

    `founders`: (kind, name, nationality, share) tuples replacing the default two (and then
    no beneficial owners: the default ones stand behind the default founders).
    """
    from datetime import date

    from portal.models import Registration

    application = complete_application(
        owner, zone=zone(zone_code), sector=sector(sector_code), **kwargs
    )
    if founders is not None:
        application.founders = [
            Founder(position=i, kind=k, name=n, nationality=c, share=Decimal(s))
            for i, (k, n, c, s) in enumerate(founders)
        ]
        application.owners = []
    registered_on = registered_on or date(2026, 3, 14)
    counted = daily_counts.state_of(application)
    if number is None:
        last = db.session.scalar(db.select(db.func.count(Registration.id))) or 0
        number = f"{zone_code}-{registered_on.year}-{last + 1:06d}"
    application.status = lifecycle.APPROVED
    application.submitted_at = application.decided_at = utcnow()
    registration = Registration(
        application=application,
        zone=application.zone,
        sector=application.sector,
        year=registered_on.year,
        seq=int(number.rsplit("-", 1)[1]),
        number=number,
        company_name=application.company_name,
        registered_on=registered_on,
    )
    db.session.add(registration)
    daily_counts.restate(counted, application)
    daily_counts.registered([registration])
    db.session.commit()
    return application


def three_companies() -> dict[str, Application]:
    """Three registered companies in two zones and three sectors (one with a Kazakh and
    Chinese name), registered in January, February and March 2026: the registry's and the
    API's tests share them."""
    return {
        "silk": registered_application(
            company_name="Silk Way Textiles LLP",
            number="KEG-IND-2026-000001",
            registered_on=date(2026, 1, 10),
        ),
        "dry_port": registered_application(
            company_name="Dry Port Logistics LLP",
            zone_code="KEG-LOG",
            sector_code="logistics",
            number="KEG-LOG-2026-000001",
            registered_on=date(2026, 2, 3),
        ),
        "electronics": registered_application(
            company_name="Қорғас Электроника 电子 LLP",
            sector_code="electronics",
            number="KEG-IND-2026-000002",
            registered_on=date(2026, 3, 1),
        ),
    }


# --- the dashboard's data: many rows at once, written directly -------------------------------


def registered(day_counts: dict, zone_code: str = "KEG-IND", sector_code: str = "textiles"):
    """Approved applications registered on the given days ({date: how many}), in bulk."""
    from sqlalchemy import func, insert

    from portal.models import Registration

    owner = UserFactory()
    the_zone, the_sector = zone(zone_code), sector(sector_code)
    days = [day for day, count in sorted(day_counts.items()) for _ in range(count)]
    if not days:
        return
    ids = db.session.scalars(
        insert(Application).returning(Application.id, sort_by_parameter_order=True),
        [
            {
                "owner_id": owner.id,
                "status": lifecycle.APPROVED,
                "company_name": f"Registered {i}",
                "zone_id": the_zone.id,
                "sector_id": the_sector.id,
                "submitted_on": day,
            }
            for i, day in enumerate(days)
        ],
    ).all()
    seq = {}
    rows = []
    for application_id, day in zip(ids, days, strict=True):
        if day.year not in seq:
            seq[day.year] = db.session.scalar(
                db.select(func.coalesce(func.max(Registration.seq), 0)).where(
                    Registration.zone_id == the_zone.id, Registration.year == day.year
                )
            )
        seq[day.year] += 1
        rows.append(
            {
                "application_id": application_id,
                "zone_id": the_zone.id,
                "sector_id": the_sector.id,
                "year": day.year,
                "seq": seq[day.year],
                "number": f"{the_zone.code}-{day.year}-{seq[day.year]:06d}",
                "company_name": f"Registered {application_id}",
                "registered_on": day,
            }
        )
    db.session.execute(insert(Registration), rows)
    counts = daily_counts.pending()  # as the lifecycle and the numbering would count them
    for day in days:
        for kind in (daily_counts.SUBMITTED, daily_counts.FUNNEL + lifecycle.APPROVED):
            daily_counts.add(counts, kind, day, the_zone.id, the_sector.id)
        daily_counts.add(counts, daily_counts.REGISTERED, day, the_zone.id, the_sector.id)
    db.session.commit()


def event(application: Application, action: str, actor: User, at, reason=None):
    """An event at a chosen instant, with the status it leads to and its stored duration."""
    from portal.models import ApplicationEvent
    from portal.services.applications import elapsed_seconds

    target = lifecycle.target_of(action)
    counted = daily_counts.state_of(application)
    db.session.add(
        ApplicationEvent(
            application=application,
            actor=actor,
            action=action,
            to_status=target,
            created_at=at,
            reason=reason,
            elapsed_seconds=elapsed_seconds(application.id, action, at),
        )
    )
    application.status = target
    daily_counts.restate(counted, application)  # as transition() counts the move
    if action == "reject":
        daily_counts.rejected(application, at, reason.id if reason else None)
    db.session.commit()
