"""event elapsed: application_events.elapsed_seconds, stored when the event happens

Revision ID: 0003_event_elapsed
Revises: 0002_dashboard
Create Date: 2026-11-26 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_event_elapsed'
down_revision = '0002_dashboard'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elapsed_seconds', sa.Integer(), nullable=True))

    # Existing events: decisions from the application's first submission, resubmissions from
    # the latest request for information before them (what transition() stores from now on).
    # SQLite keeps UTCDateTime as UTC text ('YYYY-MM-DD HH:MM:SS.ffffff'), PostgreSQL as
    # timestamptz; rounded to whole seconds (julianday arithmetic is a float).
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        seconds = "CAST(ROUND((julianday(created_at) - julianday(({start}))) * 86400) AS INTEGER)"
    else:
        seconds = "CAST(ROUND(EXTRACT(EPOCH FROM (created_at - ({start})))) AS INTEGER)"
    first_submission = (
        "SELECT MIN(s.created_at) FROM application_events s"
        " WHERE s.application_id = application_events.application_id AND s.action = 'submit'"
    )
    latest_request = (
        "SELECT MAX(s.created_at) FROM application_events s"
        " WHERE s.application_id = application_events.application_id"
        " AND s.action = 'request_info' AND s.created_at < application_events.created_at"
    )
    for actions, start in (
        ("'approve', 'reject'", first_submission),
        ("'resubmit'", latest_request),
    ):
        op.execute(
            f"UPDATE application_events SET elapsed_seconds = {seconds.format(start=start)}"
            f" WHERE action IN ({actions})"
        )

    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.create_index('ix_application_events_elapsed', ['action', 'created_at', 'actor_id', 'elapsed_seconds', 'application_id'], unique=False)


def downgrade():
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.drop_index('ix_application_events_elapsed')
        batch_op.drop_column('elapsed_seconds')
