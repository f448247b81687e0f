"""placements remember the card version, supporting cards, theme descriptions, refused tags,
confirmed recurring ideas

Revision ID: a41c7e2f9b10
Revises: 9d3e5a1b7c42
Create Date: 2026-12-01 23:50:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "a41c7e2f9b10"
down_revision: Union[str, Sequence[str], None] = "9d3e5a1b7c42"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add the columns and tables; placements made before count as placed as they are now."""
    with op.batch_alter_table("support", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_version", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE support SET card_version = (SELECT version FROM card WHERE card.id = support.card_id)"
    )
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("supports_card_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_card_supports_card_id_card"), "card", ["supports_card_id"], ["id"]
        )
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.alter_column("description", server_default=None)
    op.create_table(
        "tagrefusal",
        sa.Column("card_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["card.id"], name=op.f("fk_tagrefusal_card_id_card")),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], name=op.f("fk_tagrefusal_tag_id_tag")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_tagrefusal_user_id_user")),
        sa.PrimaryKeyConstraint("card_id", "tag_id", name=op.f("pk_tagrefusal")),
    )
    op.create_table(
        "recurringchoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_ids", sa.JSON(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_recurringchoice_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_recurringchoice_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurringchoice")),
    )
    with op.batch_alter_table("recurringchoice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recurringchoice_meeting_id"), ["meeting_id"], unique=False
        )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("recurringchoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recurringchoice_meeting_id"))
    op.drop_table("recurringchoice")
    op.drop_table("tagrefusal")
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.drop_column("description")
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_card_supports_card_id_card"), type_="foreignkey")
        batch_op.drop_column("supports_card_id")
    with op.batch_alter_table("support", schema=None) as batch_op:
        batch_op.drop_column("card_version")
