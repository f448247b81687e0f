"""what rapporteurs said of suggested groups

Revision ID: 9d3e5a1b7c42
Revises: 7b2f4c9e1a80
Create Date: 2026-12-02 00:10:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "9d3e5a1b7c42"
down_revision: Union[str, Sequence[str], None] = "7b2f4c9e1a80"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add the suggestionchoice table."""
    op.create_table(
        "suggestionchoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("card_ids", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_suggestionchoice_group_id_group")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_suggestionchoice_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestionchoice")),
    )
    with op.batch_alter_table("suggestionchoice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_suggestionchoice_group_id"), ["group_id"], unique=False
        )


def downgrade() -> None:
    """Drop the suggestion choices."""
    with op.batch_alter_table("suggestionchoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suggestionchoice_group_id"))
    op.drop_table("suggestionchoice")
