"""changes after registration: record versions

Revision ID: 0018_company_changes
Revises: 0017_name_nearest
Create Date: 2026-11-28 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_company_changes'
down_revision = '0017_name_nearest'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
