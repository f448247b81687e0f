"""sentence vectors of cards, for suggestions

Revision ID: 7b2f4c9e1a80
Revises: 3c51a0e2d7b4
Create Date: 2026-12-01 23:40:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7b2f4c9e1a80"
down_revision: Union[str, Sequence[str], None] = "3c51a0e2d7b4"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add the cardvector table (filled by the embedder, or `python -m app embed-cards`)."""
    op.create_table(
        "cardvector",
        sa.Column("card_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("card_version", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["card.id"], name=op.f("fk_cardvector_card_id_card")),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_cardvector")),
    )


def downgrade() -> None:
    """Drop the card vectors."""
    op.drop_table("cardvector")
