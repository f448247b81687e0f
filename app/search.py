"""Searching cards the way people type: no case, no accents, in every language.

Neither database folds accents on its own (SQLite's lower() knows only ASCII, PostgreSQL
needs an extension), so each card keeps its searchable text already folded, and what a
person types is folded the same way before it is compared.
"""

from functools import lru_cache

from sqlalchemy import ColumnElement, or_, true
from sqlmodel import Session, col, select

from app import i18n
from app.models import Card, Delegation


def fold(text: str) -> str:
    """Return text without case or accents: "Detención" and "DETENCION" both give "detencion".

    Compatibility decomposition splits letters from their marks (é, ё, أ, and Arabic
    vowel signs), which are then dropped; casefold handles ß and final sigma.
    """
    return " ".join(i18n.sort_key(text).split())


def card_search_text(answers: dict[str, str], author_name: str) -> str:
    """Return what a card is searched by: its answers and its author's name, folded."""
    return fold(" ".join([*answers.values(), author_name]))


def like_pattern(text: str) -> str:
    """Return a LIKE pattern that finds the text anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching_delegations(session: Session, folded: str) -> list[int]:
    """Return the ids of delegations whose name, stored or in any interface language, has it."""
    rows = session.exec(select(Delegation.id, Delegation.name, Delegation.iso2))
    return [
        id_
        for id_, name, iso2 in rows
        if id_ is not None and any(folded in n for n in _folded_names(name, iso2))
    ]


@lru_cache(maxsize=4096)
def _folded_names(name: str, iso2: str | None) -> tuple[str, ...]:
    names = {name} | {i18n.delegation_name(name, iso2, lang) for lang in i18n.LANGUAGES}
    return tuple(fold(n) for n in names)


def search_clause(session: Session, typed: str) -> ColumnElement[bool]:
    """Return the condition for cards that contain what was typed, or whose delegation does."""
    folded = fold(typed)
    if not folded:
        return true()
    delegations = matching_delegations(session, folded)
    text_match = or_(
        col(Card.search_text).like(like_pattern(folded), escape="\\"),
        # A paper card is found by its serial too, as printed on it (G3-0147).
        col(Card.paper_serial) == typed.strip().upper(),
    )
    if not delegations:
        return text_match
    return or_(text_match, col(Card.delegation_id).in_(delegations))
