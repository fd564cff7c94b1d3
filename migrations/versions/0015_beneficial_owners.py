"""beneficial owners of an application and its company

Revision ID: 0015_beneficial_owners
Revises: 0014_company_status
Create Date: 2026-11-28 17:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_beneficial_owners'
down_revision = '0014_company_status'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owners_none_declared', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('owners_none_reason', sa.Text(), nullable=False, server_default=''))

    op.create_table('beneficial_owners',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('birth_date', sa.Date(), nullable=False),
        sa.Column('nationality', sa.String(length=2), nullable=False),
        sa.Column('residence', sa.String(length=2), nullable=False),
        sa.Column('controls', sa.JSON(), nullable=False),
        sa.Column('shares_percent', sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column('votes_percent', sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column('held_through', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_beneficial_owners_application_id_applications'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_beneficial_owners'))
    )
    with op.batch_alter_table('beneficial_owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_beneficial_owners_application_id'), ['application_id'], unique=False)


def downgrade():
    with op.batch_alter_table('beneficial_owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_beneficial_owners_application_id'))

    op.drop_table('beneficial_owners')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('owners_none_reason')
        batch_op.drop_column('owners_none_declared')
