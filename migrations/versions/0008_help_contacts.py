"""help contacts: the offices of the zone administration the help pages list

Revision ID: 0008_help_contacts
Revises: 0007_two_step_sign_in
Create Date: 2026-11-28 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_help_contacts'
down_revision = '0007_two_step_sign_in'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('zone_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('office', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('hours', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('translations', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_zone_contacts_zone_id_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zone_contacts'))
    )
    with op.batch_alter_table('zone_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zone_contacts_zone_id'), ['zone_id'], unique=False)


def downgrade():
    with op.batch_alter_table('zone_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zone_contacts_zone_id'))

    op.drop_table('zone_contacts')
