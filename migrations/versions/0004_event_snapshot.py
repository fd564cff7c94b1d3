"""event snapshot: what an application held when a reviewer asked for more information

Revision ID: 0004_event_snapshot
Revises: 0003_event_elapsed
Create Date: 2026-11-27 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_event_snapshot'
down_revision = '0003_event_elapsed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.drop_column('snapshot')
