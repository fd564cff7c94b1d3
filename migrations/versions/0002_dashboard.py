"""dashboard: applications.submitted_on and the indexes the dashboard counts in

Revision ID: 0002_dashboard
Revises: 55e2fa4eb40b
Create Date: 2026-11-25 11:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_dashboard'
down_revision = '55e2fa4eb40b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_applications_submitted_on', ['submitted_on', 'status', 'zone_id', 'sector_id'], unique=False)

    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.drop_index('ix_application_events_application_id')
        batch_op.create_index('ix_application_events_application_action', ['application_id', 'action', 'created_at'], unique=False)
        batch_op.create_index('ix_application_events_action_created', ['action', 'created_at', 'application_id', 'actor_id', 'reason_id'], unique=False)

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_registered_on')
        batch_op.create_index('ix_registrations_day_zone_sector', ['registered_on', 'zone_id', 'sector_id'], unique=False)

    # Applications submitted before this column existed: their first submission's day, in
    # UTC (close enough for history; new submissions use the zone's time zone).
    bind = op.get_bind()
    day = "date(e.created_at)" if bind.dialect.name == "sqlite" else "CAST(e.created_at AS DATE)"
    op.execute(
        "UPDATE applications SET submitted_on = ("
        f" SELECT MIN({day}) FROM application_events e"
        " WHERE e.application_id = applications.id AND e.action = 'submit')"
        " WHERE submitted_at IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_day_zone_sector')
        batch_op.create_index('ix_registrations_registered_on', ['registered_on'], unique=False)

    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.drop_index('ix_application_events_action_created')
        batch_op.drop_index('ix_application_events_application_action')
        batch_op.create_index('ix_application_events_application_id', ['application_id'], unique=False)

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_submitted_on')
        batch_op.drop_column('submitted_on')
