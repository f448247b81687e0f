"""speakers lists: who asks for the floor, who speaks, the clock; each intervention recorded

Revision ID: 0011floor
Revises: 0010paper
Create Date: 2026-12-02 13:38:32.176286

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0011floor'
down_revision: Union[str, Sequence[str], None] = '0010paper'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add the lists and requests; every group already loaded gets its (open, empty) list."""
    op.create_table('floorlist',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['group.id'], name=op.f('fk_floorlist_group_id_group')),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_floorlist'))
    )
    op.create_table('floorrequest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('delegation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('allowed_seconds', sa.Integer(), nullable=False),
    sa.Column('deadline', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('seconds_left', sa.Float(), nullable=True),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('spoken_seconds', sa.Integer(), nullable=True),
    sa.Column('overrun_seconds', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['delegation_id'], ['delegation.id'], name=op.f('fk_floorrequest_delegation_id_delegation')),
    sa.ForeignKeyConstraint(['group_id'], ['group.id'], name=op.f('fk_floorrequest_group_id_group')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floorrequest'))
    )
    with op.batch_alter_table('floorrequest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_floorrequest_delegation_id'), ['delegation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_floorrequest_group_id'), ['group_id'], unique=False)
        batch_op.create_index('uq_floorrequest_speaking', ['group_id'], unique=True, sqlite_where=sa.text('started_at IS NOT NULL AND ended_at IS NULL'), postgresql_where=sa.text('started_at IS NOT NULL AND ended_at IS NULL'))
        batch_op.create_index('uq_floorrequest_waiting', ['group_id', 'delegation_id', 'kind'], unique=True, sqlite_where=sa.text('started_at IS NULL AND withdrawn_at IS NULL'), postgresql_where=sa.text('started_at IS NULL AND withdrawn_at IS NULL'))

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('floor', sa.JSON(), nullable=False, server_default='{}'))
    # The default stays: dropping it would make SQLite copy the meeting table, which every
    # other table points at.
    op.execute(
        "INSERT INTO floorlist (group_id, version, updated_at) "
        "SELECT id, 0, CURRENT_TIMESTAMP FROM \"group\""
    )



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('floor')

    with op.batch_alter_table('floorrequest', schema=None) as batch_op:
        batch_op.drop_index('uq_floorrequest_waiting', sqlite_where=sa.text('started_at IS NULL AND withdrawn_at IS NULL'), postgresql_where=sa.text('started_at IS NULL AND withdrawn_at IS NULL'))
        batch_op.drop_index('uq_floorrequest_speaking', sqlite_where=sa.text('started_at IS NOT NULL AND ended_at IS NULL'), postgresql_where=sa.text('started_at IS NOT NULL AND ended_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_floorrequest_group_id'))
        batch_op.drop_index(batch_op.f('ix_floorrequest_delegation_id'))

    op.drop_table('floorrequest')
    op.drop_table('floorlist')
