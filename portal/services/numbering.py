"""Registration numbers: `ZONE-YEAR-NNNNNN`, gapless per zone and year, never reused.

The next number is taken from a counter row locked for the rest of the approving transaction
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite serializes writers anyway). If the approval rolls
back, so does the counter, which is what keeps the sequence gapless.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models import Application, Registration, RegistrationCounter, Zone
from portal.services.zone_time import local_date

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def format_number(zone: Zone, year: int, seq: int) -> str:
    return f"{zone.code}-{year}-{seq:06d}"


def _ensure_counter(zone_id: int, year: int) -> None:
    """Create the (zone, year) counter if missing; a concurrent creator simply wins."""
    insert = _INSERTS[db.session.get_bind().dialect.name]
    db.session.execute(
        insert(RegistrationCounter)
        .values(zone_id=zone_id, year=year, last_seq=0)
        .on_conflict_do_nothing(index_elements=["zone_id", "year"])
    )


def next_seq(zone: Zone, year: int) -> int:
    """Take the next number of the zone and year; the counter stays locked until commit."""
    _ensure_counter(zone.id, year)
    counter = db.session.scalars(
        db.select(RegistrationCounter)
        .where(RegistrationCounter.zone_id == zone.id, RegistrationCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    counter.last_seq += 1
    return counter.last_seq


def assign_registration(application: Application, at: datetime) -> Registration:
    """Register the company of an application approved at the instant `at` (caller commits)."""
    zone = application.zone
    registered_on = local_date(at, zone)
    seq = next_seq(zone, registered_on.year)
    registration = Registration(
        application=application,
        zone=zone,
        sector=application.sector,
        year=registered_on.year,
        seq=seq,
        number=format_number(zone, registered_on.year, seq),
        company_name=application.company_name,
        registered_on=registered_on,
    )
    db.session.add(registration)
    db.session.flush()
    return registration
