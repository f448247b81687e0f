"""paper cards: serials issued in advance, cards keyed in by clerks

Revision ID: 0010paper
Revises: a41c7e2f9b10
Create Date: 2026-12-02 13:45:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010paper"
down_revision: Union[str, Sequence[str], None] = "a41c7e2f9b10"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add the serials' table and a paper card's serial and clerk."""
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paper_serial", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("keyed_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_card_keyed_by_user"), "user", ["keyed_by"], ["id"]
        )
    op.create_table(
        "cardserial",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("serial", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("card_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("keyed_by", sa.Integer(), nullable=True),
        sa.Column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("keyed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["card.id"], name=op.f("fk_cardserial_card_id_card")),
        sa.ForeignKeyConstraint(
            ["delegation_id"], ["delegation.id"], name=op.f("fk_cardserial_delegation_id_delegation")
        ),
        sa.ForeignKeyConstraint(["group_id"], ["group.id"], name=op.f("fk_cardserial_group_id_group")),
        sa.ForeignKeyConstraint(["keyed_by"], ["user.id"], name=op.f("fk_cardserial_keyed_by_user")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_cardserial_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cardserial")),
        sa.UniqueConstraint("card_id", name=op.f("uq_cardserial_card_id")),
        sa.UniqueConstraint("meeting_id", "serial", name=op.f("uq_cardserial_meeting_id")),
    )
    with op.batch_alter_table("cardserial", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cardserial_batch"), ["batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_cardserial_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cardserial_meeting_id"), ["meeting_id"], unique=False)


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("cardserial", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cardserial_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_cardserial_group_id"))
        batch_op.drop_index(batch_op.f("ix_cardserial_batch"))
    op.drop_table("cardserial")
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_card_keyed_by_user"), type_="foreignkey")
        batch_op.drop_column("keyed_by")
        batch_op.drop_column("paper_serial")
