"""the ledger: set-aside reasons in words, releases to delegations and their answers

Revision ID: 0012ledger
Revises: 0011floor
Create Date: 2026-12-02 13:50:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012ledger"
down_revision: Union[str, Sequence[str], None] = "0011floor"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add the note of a set-aside and the ledger's two tables."""
    with op.batch_alter_table("setaside", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=""
            )
        )
    with op.batch_alter_table("setaside", schema=None) as batch_op:
        batch_op.alter_column("note", server_default=None)
    op.create_table(
        "ledgerrelease",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["group.id"], name=op.f("fk_ledgerrelease_group_id_group")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_ledgerrelease_user_id_user")),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_ledgerrelease")),
    )
    op.create_table(
        "ledgeranswer",
        sa.Column("card_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("disposition", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["card.id"], name=op.f("fk_ledgeranswer_card_id_card")),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["user.id"], name=op.f("fk_ledgeranswer_confirmed_by_user")
        ),
        sa.ForeignKeyConstraint(
            ["delegation_id"], ["delegation.id"], name=op.f("fk_ledgeranswer_delegation_id_delegation")
        ),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_ledgeranswer")),
    )
    with op.batch_alter_table("ledgeranswer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledgeranswer_delegation_id"), ["delegation_id"], unique=False
        )


def downgrade() -> None:
    """Drop the ledger's tables and the note."""
    with op.batch_alter_table("ledgeranswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledgeranswer_delegation_id"))
    op.drop_table("ledgeranswer")
    op.drop_table("ledgerrelease")
    with op.batch_alter_table("setaside", schema=None) as batch_op:
        batch_op.drop_column("note")
