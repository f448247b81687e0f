"""double entry of paper cards: each clerk's keying kept apart, differences to resolve

Revision ID: 0014double
Revises: 0013limits
Create Date: 2026-12-03 08:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014double"
down_revision: Union[str, Sequence[str], None] = "0013limits"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add the meeting's setting, the serial's differences and resolver, and the keyings."""
    # A plain ADD COLUMN, and the default stays: a batch would make SQLite copy the meeting
    # table, which every other table points at.
    op.add_column(
        "meeting",
        sa.Column("paper_double_entry", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    with op.batch_alter_table("cardserial", schema=None) as batch_op:
        batch_op.add_column(sa.Column("differences", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cardserial_resolved_by_user"), "user", ["resolved_by"], ["id"]
        )
    op.create_table(
        "paperkeying",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("clerk_id", sa.Integer(), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("author_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("keyed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["clerk_id"], ["user.id"], name=op.f("fk_paperkeying_clerk_id_user")),
        sa.ForeignKeyConstraint(
            ["delegation_id"], ["delegation.id"], name=op.f("fk_paperkeying_delegation_id_delegation")
        ),
        sa.ForeignKeyConstraint(
            ["serial_id"], ["cardserial.id"], name=op.f("fk_paperkeying_serial_id_cardserial")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paperkeying")),
        sa.UniqueConstraint("serial_id", "round", name=op.f("uq_paperkeying_serial_id")),
    )
    with op.batch_alter_table("paperkeying", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paperkeying_serial_id"), ["serial_id"], unique=False)


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("paperkeying", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paperkeying_serial_id"))
    op.drop_table("paperkeying")
    with op.batch_alter_table("cardserial", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cardserial_resolved_by_user"), type_="foreignkey")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("differences")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("paper_double_entry")
