"""document storage: documents' bytes in the database, when DOCUMENT_STORAGE=database

Revision ID: 0011_document_storage
Revises: 0010_daily_counts
Create Date: 2026-11-28 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_document_storage'
down_revision = '0010_daily_counts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_blobs',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_document_blobs'))
    )


def downgrade():
    op.drop_table('document_blobs')
