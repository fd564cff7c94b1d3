"""The public registry: what anyone may learn about a registered company, and nothing more.

Only columns of `Registration` (and the zone's and sector's names) are read here, and for a
company's own page the three facts of its application that a register publishes (legal form,
address, director: `PublicCompany`); nothing else of the application (contacts, founders,
documents, investment) ever reaches a public page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.models import Application, Registration, Sector, Zone


@dataclass(frozen=True)
class RegistryFilters:
    q: str = ""
    zone: str = ""
    sector: str = ""

    def as_args(self) -> dict[str, str]:
        """The non-empty filters, as URL parameters (so pagination keeps them)."""
        return {k: v for k, v in (("q", self.q), ("zone", self.zone), ("sector", self.sector)) if v}


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
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def find(number: str) -> Registration | None:
    """The registration with this number (written in any case, with stray spaces), if any."""
    return db.session.scalar(
        db.select(Registration)
        .options(joinedload(Registration.zone), joinedload(Registration.sector))
        .where(Registration.number == normalise_number(number))
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


def company(number: str) -> PublicCompany | None:
    """The public record of the company registered under this number (in any case), if any."""
    row = db.session.execute(
        db.select(
            Registration, Application.legal_form, Application.address, Application.director_name
        )
        .join(Application, Registration.application_id == Application.id)
        .options(joinedload(Registration.zone), joinedload(Registration.sector))
        .where(Registration.number == normalise_number(number))
    ).first()
    if row is None:
        return None
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
    )


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
