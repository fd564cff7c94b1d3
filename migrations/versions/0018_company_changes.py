"""changes after registration: the kind of an application, record versions

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
    with op.batch_alter_table('applications') as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=20), nullable=False, server_default='registration')
        )
        batch_op.add_column(sa.Column('changes_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_applications_changes_id', ['changes_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_applications_changes_id', 'registrations', ['changes_id'], ['id']
        )
    with op.batch_alter_table('registrations') as batch_op:
        batch_op.add_column(sa.Column('record_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('version', sa.Integer(), nullable=False, server_default='1')
        )
        batch_op.create_foreign_key(
            'fk_registrations_record_id', 'applications', ['record_id'], ['id']
        )
    op.create_table('registration_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('changed', sa.Text(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('application_id'),
    sa.UniqueConstraint('registration_id', 'version', name='uq_registration_versions_version')
    )


def downgrade():
    op.drop_table('registration_versions')
    with op.batch_alter_table('registrations') as batch_op:
        batch_op.drop_constraint('fk_registrations_record_id', type_='foreignkey')
        batch_op.drop_column('version')
        batch_op.drop_column('record_id')
    with op.batch_alter_table('applications') as batch_op:
        batch_op.drop_constraint('fk_applications_changes_id', type_='foreignkey')
        batch_op.drop_index('ix_applications_changes_id')
        batch_op.drop_column('changes_id')
        batch_op.drop_column('kind')
