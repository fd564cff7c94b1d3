"""security: the client address on audit entries; a session's last activity and address

Revision ID: 0006_security_events
Revises: 0005_reference_translations
Create Date: 2026-11-28 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_security_events'
down_revision = '0005_reference_translations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip_address', sa.String(length=45), nullable=False, server_default=''))
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ip_address', sa.String(length=45), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('ip_address')
        batch_op.drop_column('last_seen_at')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('ip_address')
