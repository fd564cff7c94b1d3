"""Registration numbers: `ZONE-YEAR-NNNNNN`, gapless per zone and year, never reused.

The next number is taken from a counter row locked for the rest of the approving transaction
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite serializes writers anyway). If the approval rolls
back, so does the counter, which is what keeps the sequence gapless.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import object_session

from portal.extensions import db
from portal.models import Application, Registration, RegistrationCounter, Zone
from portal.services import daily_counts
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


def _locked_counter(zone_id: int, year: int) -> RegistrationCounter:
    """The (zone, year) counter, locked until commit."""
    _ensure_counter(zone_id, year)
    return db.session.scalars(
        db.select(RegistrationCounter)
        .where(RegistrationCounter.zone_id == zone_id, RegistrationCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def assign_registration(application: Application, at: datetime) -> Registration:
    """Register the company of an application approved at the instant `at` (caller commits)."""
    (registration,) = assign_registrations([(application, at)])
    return registration


def assign_registrations(approved: Iterable[tuple[Application, datetime]]) -> list[Registration]:
    """Register the companies of applications approved at the given instants, numbered in the
    order given, each counter locked once (the demo's history registers years of them)."""
    counters: dict[tuple[int, int], RegistrationCounter] = {}
    registrations = []
    for application, at in approved:
        zone = application.zone
        registered_on = local_date(at, zone)
        key = (zone.id, registered_on.year)
        if key not in counters:
            counters[key] = _locked_counter(*key)
        counter = counters[key]
        counter.last_seq += 1
        registration = Registration(
            application=application,
            zone=zone,
            sector=application.sector,
            year=registered_on.year,
            seq=counter.last_seq,
            number=format_number(zone, registered_on.year, counter.last_seq),
            company_name=application.company_name,
            registered_on=registered_on,
        )
        if object_session(application) is not None:  # one built in memory: its maker writes it
            db.session.add(registration)
        registrations.append(registration)
    daily_counts.registered(registrations)  # the dashboard's counts, in this transaction
    db.session.flush()
    return registrations
