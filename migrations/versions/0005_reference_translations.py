"""reference translations: names of zones, sectors and rejection reasons an admin types per language

Revision ID: 0005_reference_translations
Revises: 0004_event_snapshot
Create Date: 2026-11-27 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_reference_translations'
down_revision = '0004_event_snapshot'
branch_labels = None
depends_on = None

TABLES = ('zones', 'sectors', 'rejection_reasons')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('translations')
