"""company names: the normalised name and its index, for the name check

Revision ID: 0013_company_names
Revises: 0012_signing_keys
Create Date: 2026-11-28 17:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_company_names'
down_revision = '0012_signing_keys'
branch_labels = None
depends_on = None

BATCH = 5000


def _backfill(table_name):
    """Fill the keys of the names already stored, with the service's own `keys()` (one rule,
    written once: it is plain Python and needs no app). Should the rule change, a later
    migration runs this again."""
    from portal.services.company_names import keys

    table = sa.table(
        table_name,
        sa.column('id', sa.Integer),
        sa.column('company_name', sa.String),
        sa.column('normalised_name', sa.String),
        sa.column('name_words', sa.String),
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(table.c.id, table.c.company_name)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for row_id, name in rows:
            normalised, words = keys(name or '')
            values.append({'row_id': row_id, 'n': normalised, 'w': words})
        conn.execute(
            table.update()
            .where(table.c.id == sa.bindparam('row_id'))
            .values(normalised_name=sa.bindparam('n'), name_words=sa.bindparam('w')),
            values,
        )
        last = rows[-1][0]


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('normalised_name', sa.String(length=400), server_default='', nullable=False))
        batch_op.add_column(sa.Column('name_words', sa.String(length=400), server_default='', nullable=False))
        batch_op.add_column(sa.Column('name_warning_accepted', sa.String(length=400), server_default='', nullable=False))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('normalised_name', sa.String(length=400), server_default='', nullable=False))
        batch_op.add_column(sa.Column('name_words', sa.String(length=400), server_default='', nullable=False))

    _backfill('applications')
    _backfill('registrations')

    # The indexes after the backfill: built once rather than updated row by row.
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_normalised_name'), ['normalised_name'], unique=False)
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_normalised_name'), ['normalised_name'], unique=False)
        # A GIN trigram index on PostgreSQL; a plain one elsewhere (the dialect options are
        # PostgreSQL's own and ignored by SQLite).
        batch_op.create_index(
            'ix_registrations_name_words',
            ['name_words'],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={'name_words': 'gin_trgm_ops'},
        )


def downgrade():
    # pg_trgm stays: other schemas or later migrations may use it, and it holds no data.
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_name_words')
        batch_op.drop_index(batch_op.f('ix_registrations_normalised_name'))
        batch_op.drop_column('name_words')
        batch_op.drop_column('normalised_name')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_normalised_name'))
        batch_op.drop_column('name_warning_accepted')
        batch_op.drop_column('name_words')
        batch_op.drop_column('normalised_name')
