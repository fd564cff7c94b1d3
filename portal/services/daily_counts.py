"""The dashboard's daily counts (models/summary.py), kept with every move that changes them.

What the dashboard counts per day, zone and sector:
- `registered`: registrations, by registration day;
- `submitted`: applications, by the day of their first submission;
- `funnel:<state>`: the same applications, by the state they are in now;
- `rejected`: rejections, by the day they were made (in the application's zone), per reason.

An application adds to `submitted` and `funnel:<state>` from its first submission on; every
change of its state, zone, sector or submission day moves its count (`restate`), a rejection
and a registration add theirs. The changes wait in the session and are written at its commit,
in the same transaction, as one upsert per row (in key order, so that two transactions never
wait on each other's rows in opposite orders). `recount()` counts the same from the
applications, events and registrations themselves: migration 0010 fills the table from it,
and the tests hold the kept counts to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal import lifecycle
from portal.extensions import db
from portal.models import Application, ApplicationEvent, Registration, Zone
from portal.models.summary import ALL, DailyCount
from portal.services.zone_time import DEFAULT_TIMEZONE, local_date

REGISTERED = "registered"
SUBMITTED = "submitted"
FUNNEL = "funnel:"
REJECTED = "rejected"

Key = tuple[str, date, int, int, int]  # kind, day, zone, sector, detail
State = tuple[date, int, int, str] | None  # what an application adds: day, zone, sector, state

_PENDING = "daily_counts"
WRITTEN = "daily_counts_written"
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _ids(application: Application) -> tuple[int, int]:
    zone = application.zone_id or getattr(application.zone, "id", None)
    sector = application.sector_id or getattr(application.sector, "id", None)
    return zone or ALL, sector or ALL


def add(
    counts: Counter,
    kind: str,
    day: date,
    zone_id: int | None,
    sector_id: int | None,
    n: int = 1,
    detail: int = 0,
) -> None:
    """Count `n` in the zone and sector, in the zone, in the sector and in all."""
    zone, sector = zone_id or ALL, sector_id or ALL
    for z, s in {(zone, sector), (zone, ALL), (ALL, sector), (ALL, ALL)}:
        counts[(kind, day, z, s, detail)] += n


def pending(session: Session | None = None) -> Counter:
    """The changes of this transaction, written at its commit."""
    session = session or db.session()
    return session.info.setdefault(_PENDING, Counter())


# --- what the services tell -------------------------------------------------------------------


def state_of(application: Application) -> State:
    """What the application adds to the counts: nothing before its first submission, and
    nothing for a change to a registered company (the figures are of registrations)."""
    if application.submitted_on is None or lifecycle.is_change(application):
        return None
    return (application.submitted_on, *_ids(application), application.status)


def restate(before: State, application: Application) -> None:
    """Move the application's count from what it added `before` to what it adds now."""
    after = state_of(application)
    if before == after:
        return
    counts = pending()
    for state, n in ((before, -1), (after, 1)):
        if state is not None:
            day, zone, sector, status = state
            add(counts, SUBMITTED, day, zone, sector, n)
            add(counts, FUNNEL + status, day, zone, sector, n)


def rejected(application: Application, at: datetime, reason_id: int | None) -> None:
    if lifecycle.is_change(application):
        return
    add(
        pending(),
        REJECTED,
        local_date(at, application.zone),
        *_ids(application),
        detail=reason_id or 0,
    )


def registered(registrations: Iterable[Registration]) -> None:
    counts = pending()
    for r in registrations:
        zone = r.zone_id or getattr(r.zone, "id", None)
        sector = r.sector_id or getattr(r.sector, "id", None)
        add(counts, REGISTERED, r.registered_on, zone, sector)


# --- written at the commit --------------------------------------------------------------------


def _upsert(connection, counts: Counter) -> None:
    rows = [
        {"kind": k, "day": d, "zone_id": z, "sector_id": s, "detail": x, "count": n}
        for (k, d, z, s, x), n in sorted(counts.items())
        if n
    ]
    if not rows:
        return
    table = DailyCount.__table__
    stmt = _INSERTS[connection.dialect.name](table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"count": table.c.count + stmt.excluded["count"]},
    )
    connection.execute(stmt, rows)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    counts = session.info.pop(_PENDING, None)
    if counts:
        _upsert(session.connection(), counts)
        session.info[WRITTEN] = True  # the figures shown from them are renewed (page_cache)


@event.listens_for(Session, "after_transaction_end")
def _forget_unwritten(session: Session, transaction) -> None:
    if transaction.parent is None:  # the transaction ended without a commit: nothing happened
        session.info.pop(_PENDING, None)


# --- counted afresh ---------------------------------------------------------------------------


def recount() -> Counter:
    """Every daily count, counted from the applications, events and registrations."""
    counts: Counter = Counter()
    for day, zone, sector, n in db.session.execute(
        select(
            Registration.registered_on, Registration.zone_id, Registration.sector_id, func.count()
        ).group_by(Registration.registered_on, Registration.zone_id, Registration.sector_id)
    ):
        add(counts, REGISTERED, day, zone, sector, n)
    for day, zone, sector, status, n in db.session.execute(
        select(
            Application.submitted_on,
            Application.zone_id,
            Application.sector_id,
            Application.status,
            func.count(),
        )
        .where(Application.submitted_on.is_not(None), Application.kind != lifecycle.CHANGE)
        .group_by(
            Application.submitted_on,
            Application.zone_id,
            Application.sector_id,
            Application.status,
        )
    ):
        add(counts, SUBMITTED, day, zone, sector, n)
        add(counts, FUNNEL + status, day, zone, sector, n)
    zones = {
        z.id: ZoneInfo(z.timezone or DEFAULT_TIMEZONE) for z in db.session.scalars(select(Zone))
    }
    default = ZoneInfo(DEFAULT_TIMEZONE)
    for at, reason, zone, sector in db.session.execute(
        select(
            ApplicationEvent.created_at,
            ApplicationEvent.reason_id,
            Application.zone_id,
            Application.sector_id,
        )
        .join(Application, Application.id == ApplicationEvent.application_id)
        .where(ApplicationEvent.action == "reject", Application.kind != lifecycle.CHANGE)
    ):
        day = at.astimezone(zones.get(zone, default)).date()
        add(counts, REJECTED, day, zone, sector, detail=reason or 0)
    return +counts


def stored() -> Counter:
    """The counts as the table holds them (rows at zero left out)."""
    rows = db.session.execute(
        select(
            DailyCount.kind,
            DailyCount.day,
            DailyCount.zone_id,
            DailyCount.sector_id,
            DailyCount.detail,
            DailyCount.count,
        )
    )
    return +Counter({(k, d, z, s, x): n for k, d, z, s, x, n in rows})


def rebuild() -> int:
    """Replace the table's counts by a recount (after writing history in bulk); the caller
    commits. Returns the number of rows."""
    counts = recount()
    db.session.execute(DailyCount.__table__.delete())
    pending().clear()
    _upsert(db.session.connection(), counts)
    return len(counts)
