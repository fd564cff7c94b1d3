"""The public registry: what anyone may learn about a registered company, and nothing more.

Only columns of `Registration` (and the zone's and sector's names) are read here, and for a
company's own page the three facts of its application that a register publishes (legal form,
address, director: `PublicCompany`), and of its beneficial owners only what registers show
(`PublicOwner`); nothing else of the application (contacts, founders, documents, investment,
an owner's day of birth or residence) ever reaches a public page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from portal import lifecycle
from portal.extensions import db
from portal.models import (
    Application,
    BeneficialOwner,
    Registration,
    RegistrationVersion,
    Sector,
    Zone,
)


@dataclass(frozen=True)
class RegistryFilters:
    q: str = ""
    zone: str = ""
    sector: str = ""
    status: str = ""  # one of lifecycle.COMPANY_STATES, or any

    def as_args(self) -> dict[str, str]:
        """The non-empty filters, as URL parameters (so pagination keeps them)."""
        pairs = (("q", self.q), ("zone", self.zone), ("sector", self.sector))
        return {k: v for k, v in (*pairs, ("status", self.status)) if v}


def normalise_number(number: str) -> str:
    return number.strip().upper()


def search(filters: RegistryFilters, page: int, per_page: int) -> Pagination:
    """Registered companies matching the filters, newest first: two queries, whatever the page."""
    query = (
        db.select(Registration)
        .options(joinedload(Registration.zone), joinedload(Registration.sector))
        .order_by(Registration.registered_on.desc(), Registration.id.desc())
    )
    if filters.q:
        query = query.where(
            Registration.company_name.icontains(filters.q, autoescape=True)
            | Registration.number.icontains(normalise_number(filters.q), autoescape=True)
        )
    if filters.zone:
        query = query.where(Registration.zone.has(Zone.code == filters.zone))
    if filters.sector:
        query = query.where(Registration.sector.has(Sector.code == filters.sector))
    if filters.status in lifecycle.COMPANY_STATES:
        query = query.where(Registration.status == filters.status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def find(number: str) -> Registration | None:
    """The registration with this number (written in any case, with stray spaces), if any,
    with what its page shows of it (zone, sector, the record) in the same statement."""
    return db.session.scalar(
        db.select(Registration)
        .options(
            joinedload(Registration.zone),
            joinedload(Registration.sector),
            joinedload(Registration.application),
            joinedload(Registration.record_application),
        )
        .where(Registration.number == normalise_number(number))
    )


@dataclass(frozen=True)
class PublicOwner:
    """A beneficial owner as the public record shows one (as Companies House shows a person
    with significant control): never the day of birth, never the country of residence."""

    name: str
    birth_year: int
    birth_month: int
    nationality: str  # ISO 3166 alpha-2
    controls: tuple[str, ...]  # keys of services.owners.CONTROLS

    @classmethod
    def of(cls, owner: BeneficialOwner) -> PublicOwner:
        return cls(
            name=owner.name,
            birth_year=owner.birth_date.year,
            birth_month=owner.birth_date.month,
            nationality=owner.nationality,
            controls=tuple(owner.controls or ()),
        )


@dataclass(frozen=True)
class PublicCompany:
    """A registered company's public record: all its page receives, so nothing else can show."""

    number: str
    name: str
    zone: Zone
    sector: Sector
    legal_form: str  # a key of services.applications.LEGAL_FORMS
    registered_on: date
    address: str
    director: str
    owners: tuple[PublicOwner, ...]  # its beneficial owners, in the application's order
    status: str = lifecycle.ACTIVE  # one of lifecycle.COMPANY_STATES
    status_reason: str = ""  # why (empty while it has been active since registration)
    status_since: date | None = None  # in the zone's calendar
    version: int = 1  # the certificate version now: 1, and one more with each approved change

    @property
    def status_label(self) -> str:
        return lifecycle.COMPANY_STATE_LABELS[self.status]

    @property
    def is_active(self) -> bool:
        return lifecycle.is_company_active(self)


def _public_select():
    # The record is the registration's application until a change is approved, then the change.
    record_id = func.coalesce(Registration.record_id, Registration.application_id)
    return (
        db.select(
            Registration, Application.legal_form, Application.address, Application.director_name
        )
        .join(Application, record_id == Application.id)
        .options(
            joinedload(Registration.zone),
            joinedload(Registration.sector),
            # The owners of all the rows in a few queries (of the applications, only their ids).
            selectinload(Registration.application)
            .load_only(Application.id)
            .selectinload(Application.owners),
            selectinload(Registration.record_application)
            .load_only(Application.id)
            .selectinload(Application.owners),
        )
    )


def _public_company(row) -> PublicCompany:
    registration, legal_form, address, director = row
    return PublicCompany(
        number=registration.number,
        name=registration.company_name,
        zone=registration.zone,
        sector=registration.sector,
        legal_form=legal_form,
        registered_on=registration.registered_on,
        address=address,
        director=director,
        owners=tuple(PublicOwner.of(o) for o in registration.record.owners),
        status=registration.status,
        status_reason=registration.status_reason,
        status_since=registration.status_since,
        version=registration.version,
    )


@dataclass(frozen=True)
class PublicVersion:
    """A version of a company's record, as the public record lists it: what changed and on
    which day, never who approved it (as its status history never says who changed it)."""

    version: int
    effective_on: date
    changed: tuple[str, ...]  # field keys (services/company_changes.py), "founders", "owners"
    company_name: str


def versions(number: str) -> list[PublicVersion]:
    """The company's record versions after its registration, oldest first."""
    rows = db.session.execute(
        db.select(
            RegistrationVersion.version,
            RegistrationVersion.effective_on,
            RegistrationVersion.changed,
            RegistrationVersion.company_name,
        )
        .join(Registration, Registration.id == RegistrationVersion.registration_id)
        .where(Registration.number == normalise_number(number))
        .order_by(RegistrationVersion.version)
    ).all()
    return [
        PublicVersion(v, on, tuple(k for k in changed.split(",") if k), name)
        for v, on, changed, name in rows
    ]


def company(number: str) -> PublicCompany | None:
    """The public record of the company registered under this number (in any case), if any."""
    row = db.session.execute(
        _public_select().where(Registration.number == normalise_number(number))
    ).first()
    return None if row is None else _public_company(row)


def every_company(batch: int = 1000) -> Iterator[PublicCompany]:
    """Every registered company's public record, by number, read `batch` rows at a time."""
    last = ""
    while True:
        rows = db.session.execute(
            _public_select()
            .where(Registration.number > last)
            .order_by(Registration.number)
            .limit(batch)
        ).all()
        for row in rows:
            yield _public_company(row)
        if len(rows) < batch:
            return
        last = rows[-1][0].number


@dataclass(frozen=True)
class CompanyQuery:
    """The API's filters on the register (every one optional)."""

    q: str = ""  # in the name or the number
    number: str = ""  # exactly this registration number
    zone: str = ""  # a zone's code
    sector: str = ""  # a sector's code
    registered_from: date | None = None
    registered_to: date | None = None
    status: str = ""  # one of lifecycle.COMPANY_STATES


def find_companies(
    query: CompanyQuery, page: int, per_page: int
) -> tuple[list[PublicCompany], int]:
    """One page of public records matching `query`, newest registration first (then by id, so
    the order is stable across pages), and how many match in all: two queries."""
    conditions = []
    if query.q:
        conditions.append(
            Registration.company_name.icontains(query.q, autoescape=True)
            | Registration.number.icontains(normalise_number(query.q), autoescape=True)
        )
    if query.number:
        conditions.append(Registration.number == normalise_number(query.number))
    if query.zone:
        conditions.append(Registration.zone.has(Zone.code == query.zone))
    if query.sector:
        conditions.append(Registration.sector.has(Sector.code == query.sector))
    if query.status:
        conditions.append(Registration.status == query.status)
    if query.registered_from:
        conditions.append(Registration.registered_on >= query.registered_from)
    if query.registered_to:
        conditions.append(Registration.registered_on <= query.registered_to)
    total = db.session.scalar(db.select(db.func.count(Registration.id)).where(*conditions))
    rows = db.session.execute(
        _public_select()
        .where(*conditions)
        .order_by(Registration.registered_on.desc(), Registration.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [_public_company(row) for row in rows], total


def record(company: PublicCompany) -> dict:
    """A company's public record as data: the fields of the public API and of the open data
    files, one definition for both. Names of zones and sectors are in English; codes are stable."""
    return {
        "registration_number": company.number,
        "name": company.name,
        "legal_form": company.legal_form,
        "zone": {"code": company.zone.code, "name": company.zone.name},
        "sector": {"code": company.sector.code, "name": company.sector.name},
        "registered_on": company.registered_on.isoformat(),
        "address": company.address,
        "director": company.director,
        "status": company.status,
        "status_reason": company.status_reason,
        "status_since": company.status_since.isoformat() if company.status_since else None,
    }


def registered_count() -> int:
    return db.session.scalar(db.select(db.func.count(Registration.id)))


def zones_on_show() -> list[Zone]:
    """The active zones with the sectors each admits, as the home page presents them."""
    return list(
        db.session.scalars(
            db.select(Zone).where(Zone.active).options(selectinload(Zone.sectors)).order_by(Zone.id)
        )
    )


def zones() -> list[Zone]:
    return list(db.session.scalars(db.select(Zone).order_by(Zone.code)))


def sectors() -> list[Sector]:
    return list(db.session.scalars(db.select(Sector).order_by(Sector.name)))
