"""cards get an arrival number (the live view's cursor) and folded text for searching

Revision ID: 3c51a0e2d7b4
Revises: 62d0595d95f9
Create Date: 2026-12-01 23:40:00.000000

"""
import json
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from app.search import card_search_text

# revision identifiers, used by Alembic.
revision: str = "3c51a0e2d7b4"
down_revision: Union[str, Sequence[str], None] = "62d0595d95f9"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add card.seq and card.search_text, and fill them for the cards already stored."""
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("search_text", sa.Text(), nullable=False, server_default="")
        )
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, answers, author_name FROM card ORDER BY created_at, id")
    ).all()
    for number, (card_id, answers, author_name) in enumerate(rows, start=1):
        if isinstance(answers, str):  # SQLite hands JSON back as text
            answers = json.loads(answers)
        connection.execute(
            sa.text("UPDATE card SET seq = :seq, search_text = :text WHERE id = :id"),
            {"seq": number, "text": card_search_text(answers, author_name or ""), "id": card_id},
        )
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.alter_column("search_text", server_default=None)
        batch_op.create_unique_constraint(batch_op.f("uq_card_seq"), ["seq"])


def downgrade() -> None:
    """Drop the arrival number and the folded text."""
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_card_seq"), type_="unique")
        batch_op.drop_column("search_text")
        batch_op.drop_column("seq")
