"""nearest-name index for the name check

Revision ID: 0017_name_nearest
Revises: 0016_api_tokens
Create Date: 2026-11-28 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_name_nearest'
down_revision = '0016_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
