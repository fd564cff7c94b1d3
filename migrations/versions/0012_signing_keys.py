"""signed certificates: the public keys the portal has signed with, published forever

Revision ID: 0012_signing_keys
Revises: 0011_document_storage
Create Date: 2026-11-28 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_signing_keys'
down_revision = '0011_document_storage'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('published_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('pem', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_published_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_published_keys_kid'))
    )


def downgrade():
    op.drop_table('published_keys')
