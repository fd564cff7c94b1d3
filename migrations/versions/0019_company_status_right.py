"""reviewers given the right to change a company's status

Revision ID: 0019_company_status_right
Revises: 0018_company_changes
Create Date: 2026-11-28 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_company_status_right'
down_revision = '0018_company_changes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(
            sa.Column('company_status_right', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('company_status_right')
