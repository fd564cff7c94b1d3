"""daily counts: what the dashboard counts per day, zone and sector, kept with every move

Revision ID: 0010_daily_counts
Revises: 0009_outbox_retries
Create Date: 2026-11-28 13:00:00

The table is filled from the existing applications, events and registrations, counted the way
portal/services/daily_counts.py counts them (its recount()): each thing in its zone and sector,
its zone (sector 0), its sector (zone 0) and all (0, 0); rejections on the day they were made in
the application's zone.
"""
from collections import Counter
from datetime import UTC
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_daily_counts'
down_revision = '0009_outbox_retries'
branch_labels = None
depends_on = None

DEFAULT_TIMEZONE = "Asia/Almaty"

daily_counts = sa.table(
    'daily_counts',
    sa.column('kind', sa.String),
    sa.column('day', sa.Date),
    sa.column('zone_id', sa.Integer),
    sa.column('sector_id', sa.Integer),
    sa.column('detail', sa.Integer),
    sa.column('count', sa.Integer),
)
registrations = sa.table(
    'registrations',
    sa.column('registered_on', sa.Date),
    sa.column('zone_id', sa.Integer),
    sa.column('sector_id', sa.Integer),
)
applications = sa.table(
    'applications',
    sa.column('id', sa.Integer),
    sa.column('submitted_on', sa.Date),
    sa.column('zone_id', sa.Integer),
    sa.column('sector_id', sa.Integer),
    sa.column('status', sa.String),
)
events = sa.table(
    'application_events',
    sa.column('application_id', sa.Integer),
    sa.column('created_at', sa.DateTime),
    sa.column('action', sa.String),
    sa.column('reason_id', sa.Integer),
)
zones = sa.table('zones', sa.column('id', sa.Integer), sa.column('timezone', sa.String))


def _add(counts, kind, day, zone, sector, n=1, detail=0):
    zone, sector = zone or 0, sector or 0
    for z, s in {(zone, sector), (zone, 0), (0, sector), (0, 0)}:
        counts[(kind, day, z, s, detail)] += n


def _recount(bind):
    counts = Counter()
    for day, zone, sector, n in bind.execute(
        sa.select(registrations.c.registered_on, registrations.c.zone_id,
                  registrations.c.sector_id, sa.func.count())
        .group_by(registrations.c.registered_on, registrations.c.zone_id,
                  registrations.c.sector_id)
    ):
        _add(counts, 'registered', day, zone, sector, n)
    for day, zone, sector, status, n in bind.execute(
        sa.select(applications.c.submitted_on, applications.c.zone_id, applications.c.sector_id,
                  applications.c.status, sa.func.count())
        .where(applications.c.submitted_on.is_not(None))
        .group_by(applications.c.submitted_on, applications.c.zone_id,
                  applications.c.sector_id, applications.c.status)
    ):
        _add(counts, 'submitted', day, zone, sector, n)
        _add(counts, 'funnel:' + status, day, zone, sector, n)
    tz = {z: ZoneInfo(name or DEFAULT_TIMEZONE) for z, name in bind.execute(sa.select(zones))}
    default = ZoneInfo(DEFAULT_TIMEZONE)
    for at, reason, zone, sector in bind.execute(
        sa.select(events.c.created_at, events.c.reason_id, applications.c.zone_id,
                  applications.c.sector_id)
        .join(applications, applications.c.id == events.c.application_id)
        .where(events.c.action == 'reject')
    ):
        if at.tzinfo is None:  # SQLite keeps UTC without its zone
            at = at.replace(tzinfo=UTC)
        _add(counts, 'rejected', at.astimezone(tz.get(zone, default)).date(), zone, sector,
             detail=reason or 0)
    return counts


def upgrade():
    op.create_table('daily_counts',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.Column('detail', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'day', 'zone_id', 'sector_id', 'detail', name=op.f('pk_daily_counts'))
    )
    counts = _recount(op.get_bind())
    rows = [
        {'kind': k, 'day': d, 'zone_id': z, 'sector_id': s, 'detail': x, 'count': n}
        for (k, d, z, s, x), n in sorted(counts.items())
        if n
    ]
    for start in range(0, len(rows), 10000):
        op.bulk_insert(daily_counts, rows[start:start + 10000])


def downgrade():
    op.drop_table('daily_counts')
