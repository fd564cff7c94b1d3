"""company status: active, suspended, struck off, with reason and date

Revision ID: 0014_company_status
Revises: 0013_company_names
Create Date: 2026-11-28 17:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_company_status'
down_revision = '0013_company_names'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('status_reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('status_since', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_changed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_registrations_status_changed_by_id_users'), 'users', ['status_changed_by_id'], ['id']
        )

    # The companies registered so far are active since their registration date.
    registrations = sa.table(
        'registrations', sa.column('status_since', sa.Date), sa.column('registered_on', sa.Date)
    )
    op.execute(registrations.update().values(status_since=registrations.c.registered_on))

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.alter_column('status_since', existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f('ix_registrations_status'), ['status'], unique=False)

    op.create_table('company_status_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_company_status_events_actor_id_users')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_company_status_events_registration_id_registrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_status_events'))
    )
    with op.batch_alter_table('company_status_events', schema=None) as batch_op:
        batch_op.create_index('ix_company_status_events_registration', ['registration_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('company_status_events', schema=None) as batch_op:
        batch_op.drop_index('ix_company_status_events_registration')
    op.drop_table('company_status_events')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_status'))
        batch_op.drop_constraint(batch_op.f('fk_registrations_status_changed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('status_changed_by_id')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('status_since')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status')
