"""the name check's third key: the normalised name backwards, one kind of index on every database

Revision ID: 0020_reversed_names
Revises: 0019_company_status_right
Create Date: 2026-11-29 01:10:00

The near-clash candidates of a name are its index neighbours in three orders (services/
company_names.py): the name, its sorted words and, new here, the name read backwards, which
finds a slip in a name's first letters. PostgreSQL's GIN trigram index on the sorted words
gives way to the same btree SQLite has: at a million names its scan cost 9-17 ms a check.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_reversed_names'
down_revision = '0019_company_status_right'
branch_labels = None
depends_on = None

BATCH = 5000


def _backfill_sqlite(bind):
    """SQLite has no reverse(): the names are turned round here, a batch at a time."""
    table = sa.table(
        'registrations',
        sa.column('id', sa.Integer),
        sa.column('normalised_name', sa.String),
        sa.column('reversed_name', sa.String),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, table.c.normalised_name)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            table.update()
            .where(table.c.id == sa.bindparam('row_id'))
            .values(reversed_name=sa.bindparam('r')),
            [{'row_id': row_id, 'r': name[::-1]} for row_id, name in rows],
        )
        last = rows[-1][0]


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reversed_name', sa.String(length=400), server_default='', nullable=False))
    if postgresql:
        op.execute('UPDATE registrations SET reversed_name = reverse(normalised_name)')
    else:
        _backfill_sqlite(bind)
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index('ix_registrations_reversed_name', ['reversed_name'], unique=False)
        if postgresql:
            batch_op.drop_index('ix_registrations_name_words')
            batch_op.create_index('ix_registrations_name_words', ['name_words'], unique=False)


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        if postgresql:
            batch_op.drop_index('ix_registrations_name_words')
            batch_op.create_index(
                'ix_registrations_name_words',
                ['name_words'],
                unique=False,
                postgresql_using='gin',
                postgresql_ops={'name_words': 'gin_trgm_ops'},
            )
        batch_op.drop_index('ix_registrations_reversed_name')
        batch_op.drop_column('reversed_name')
