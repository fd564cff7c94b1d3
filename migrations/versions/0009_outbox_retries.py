"""outbox retries: when a message was last tried, and when it became a dead letter

Revision ID: 0009_outbox_retries
Revises: 0008_help_contacts
Create Date: 2026-11-28 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_outbox_retries'
down_revision = '0008_help_contacts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.drop_column('dead_at')
        batch_op.drop_column('last_attempt_at')
