"""Card vectors: computed off the request path, stored, recomputed when a card changes.

A delegate's answer never waits for the model: storing a card wakes a thread of the server's
own (one per database), which embeds every card whose vector is missing or older than the
card, a batch at a time, and sleeps again. `python -m app embed-cards` does the same from
the command line for whatever is missing (a backfill, or a server without the thread).
"""

import logging
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, or_
from sqlmodel import Session, col, select

from app.db import new_session
from app.meetings import main_question
from app.models import Card, CardVector, Group, utcnow
from app.settings import get_settings
from app.similarity import Encoder, LanguageMeans, Vectors, centred, encoder

BATCH = 64
log = logging.getLogger(__name__)


def card_text(card: Card, group: Group) -> str:
    """Return what a card says, for comparing it: its main answer, or all of them."""
    text = card.answers.get(main_question(group)["key"], "").strip()
    return text or " ".join(v for v in card.answers.values() if v.strip())


def pending(session: Session, model: str, limit: int = BATCH) -> list[tuple[Card, Group]]:
    """Return cards whose vector for this model is missing or older than the card.

    On PostgreSQL the cards are claimed until the session commits: another server's embedder
    skips them (FOR NO KEY UPDATE SKIP LOCKED, which still lets votes and placements
    refer to them), and a server killed meanwhile lets them go with its
    connection. SQLite has a single server and no row locks.
    """
    query = (
        select(Card, Group)
        .join(Group, col(Group.id) == Card.group_id)
        .outerjoin(CardVector, col(CardVector.card_id) == Card.id)
        .where(
            or_(
                col(CardVector.card_id).is_(None),
                col(CardVector.model) != model,
                col(CardVector.card_version) != col(Card.version),
            )
        )
        .order_by(col(Card.seq))
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True, of=Card)
    )
    return list(session.exec(query).all())


def embed_pending(session: Session, using: Encoder | None = None, limit: int = BATCH) -> int:
    """Embed one batch of the cards that need it; return how many were embedded."""
    using = using or encoder()
    cards = pending(session, using.name, limit)
    if not cards:
        return 0
    vectors = using.encode([card_text(card, group) for card, group in cards])
    for (card, _group), vector in zip(cards, vectors, strict=True):
        row = session.get(CardVector, card.id) or CardVector(
            card_id=card.id, model=using.name, card_version=card.version, vector=b""
        )
        row.model, row.card_version = using.name, card.version
        row.vector, row.computed_at = vector.astype(np.float32).tobytes(), utcnow()
        session.add(row)
    session.commit()
    return len(cards)


def embed_all(session: Session, using: Encoder | None = None) -> int:
    """Embed every card that needs it; return how many were embedded."""
    total = 0
    while done := embed_pending(session, using):
        total += done
    return total


class Embedder:
    """The thread that embeds a database's new and changed cards.

    Woken when cards are stored or edited, and every SWEEP seconds anyway: a card edited
    while a batch was being embedded is caught by the next pass. It waits for a QUIET moment
    with no card arriving (at most MAX_DELAY): the model's tokenizer is pure Python and holds
    the interpreter, so during a burst of cards it would slow every delegate's answer.
    """

    SWEEP = 30.0
    QUIET = 1.0
    MAX_DELAY = 60.0

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._wanted = threading.Event()
        self._started = False
        self._lock = threading.Lock()
        self._last_card = 0.0
        self._stopped = False
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Say that cards changed; start the thread on first use."""
        self._last_card = time.monotonic()
        self._wanted.set()
        with self._lock:
            start, self._started = not self._started, True
        if start:
            self._thread = threading.Thread(target=self._run, name="card-embedder", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Let the batch being embedded finish, then end the thread (before an engine goes)."""
        self._stopped = True
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopped:
            self._wanted.wait(self.SWEEP)
            self._wait_for_quiet()
            self._wanted.clear()
            engine = self._engine()
            if engine is None or self._stopped:  # the database is gone, or the server is
                return
            try:
                with new_session(engine) as session:
                    while embed_pending(session):
                        pass
            except Exception:  # tried again at the next card or sweep; pages show no hints
                log.exception("embedding cards failed")
            del engine

    def _wait_for_quiet(self) -> None:
        deadline = time.monotonic() + self.MAX_DELAY
        while (
            not self._stopped
            and time.monotonic() < deadline
            and time.monotonic() - self._last_card < self.QUIET
        ):
            time.sleep(self.QUIET / 4)


_embedders: "weakref.WeakKeyDictionary[Engine, Embedder]" = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def cards_changed(session: Session) -> None:
    """Wake the embedder of the session's database, where the settings run one."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    wake(engine)


def wake(engine: Engine) -> None:
    """Wake (or start) a database's embedder, where the settings run one.

    Also called when a server starts, so cards stored while no server ran (a demo, an
    import, a restore) get their vectors without waiting for the next card.
    """
    if not get_settings().embed_in_background:
        return
    with _registry_lock:
        embedder = _embedders.setdefault(engine, Embedder(engine))
    embedder.wake()


def stop(engine: Engine) -> None:
    """End a database's embedder, if it has one, before the engine is disposed."""
    with _registry_lock:
        embedder = _embedders.pop(engine, None)
    if embedder is not None:
        embedder.stop()


@dataclass
class MeetingVectors:
    """The current vectors of a meeting's cards, centred by language, a row per card."""

    ids: list[str]
    matrix: Vectors
    index: dict[str, int] = field(default_factory=dict)
    # The language means the rows were centred by, to centre a new text alike; None: not centred.
    means: LanguageMeans | None = None

    def __post_init__(self) -> None:
        self.index = {card_id: row for row, card_id in enumerate(self.ids)}

    def of(self, card_ids: Sequence[str]) -> tuple[list[str], Vectors]:
        """Return the cards among these that have a vector, and their rows."""
        known = [card_id for card_id in card_ids if card_id in self.index]
        return known, self.matrix[[self.index[card_id] for card_id in known]]


_cache: "weakref.WeakKeyDictionary[Engine, dict[tuple[int, str], tuple[Any, MeetingVectors]]]"
_cache = weakref.WeakKeyDictionary()


def meeting_vectors(session: Session, meeting_id: int, using: Encoder) -> MeetingVectors:
    """Return the meeting's up-to-date card vectors, centred by language where the encoder's
    vectors want it; read again from the database only after vectors changed."""
    model = using.name
    current = [
        col(Card.meeting_id) == meeting_id,
        col(CardVector.model) == model,
        col(CardVector.card_version) == col(Card.version),
    ]
    stamp = session.exec(
        select(func.count(), func.max(CardVector.computed_at))
        .select_from(CardVector)
        .join(Card, col(Card.id) == CardVector.card_id)
        .where(*current)
    ).one()
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    cached = _cache.setdefault(engine, {}).get((meeting_id, model))
    if cached and cached[0] == tuple(stamp):
        return cached[1]
    rows = session.exec(
        select(CardVector.card_id, CardVector.vector, Card.language)
        .join(Card, col(Card.id) == CardVector.card_id)
        .where(*current)
    ).all()
    ids = [card_id for card_id, _vector, _language in rows]
    languages = [language for _id, _vector, language in rows]
    raw = (
        np.stack([np.frombuffer(vector, dtype=np.float32) for _id, vector, _lang in rows])
        if rows
        else np.zeros((0, 1), dtype=np.float32)
    )
    means = LanguageMeans.of(raw, languages) if using.by_language else None
    if means is not None:
        raw = centred(raw, languages, means)
    found = MeetingVectors(ids, raw, means=means)
    _cache[engine][(meeting_id, model)] = (tuple(stamp), found)
    return found
