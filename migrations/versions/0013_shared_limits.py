"""rate limits shared by every app server on one PostgreSQL: counted events and turns

Revision ID: 0013limits
Revises: 0012ledger
Create Date: 2026-12-02 17:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013limits"
down_revision: Union[str, Sequence[str], None] = "0012ledger"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add the limits' two tables."""
    op.create_table(
        "limitevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_limitevent")),
    )
    op.create_index("ix_limitevent_name_at", "limitevent", ["bucket", "key", "at"], unique=False)
    op.create_table(
        "limitturn",
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("turn", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "key", name=op.f("pk_limitturn")),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("limitturn")
    op.drop_index("ix_limitevent_name_at", table_name="limitevent")
    op.drop_table("limitevent")
