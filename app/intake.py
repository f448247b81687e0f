"""Card intake under load: the new cards of many requests stored together, one commit for all.

Stored one by one, each card paid for its own trip to a worker thread, its own reads of the
meeting, its group and its phone's session, and its own commit and disk sync; under load the
threads doing that fought over the GIL and SQLite's single writer, and a card cost the server
several times what the database needed (bench/load.py). Here one thread at a time takes every
card waiting, reads what they need once, and stores them in one transaction: a busy server
commits large batches, a quiet one commits each card on its own at once.

Only the plain case comes through here: a signed-in phone sending a new, valid card within its
rate. Anything else (an error to show, a repeat, an id in use, a closed group, a signed-out
phone) answers "not stored", and the request takes the full path in app.routes.cards, which
says what is wrong. So does every card of a batch that could not be stored.
"""

import asyncio
import logging
import threading
import weakref
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import auth, embedding
from app.cards import Rows, form_answers, insert_rows, new_card, read_card_input, taken_ids
from app.db import new_session
from app.limits import TooManyRequests, check_card_rate
from app.meetings import current_meeting, meeting_groups
from app.models import Group, Meeting, ident
from app.settings import get_settings

# Enough to keep a busy server's commits rare, few enough that one batch stays short.
BATCH = 200

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """A card form as posted by a phone signed in with `token`."""

    token: str
    address: str  # for the per-address rate limit
    card_id: str
    form: dict[str, str]


def store_batch(session: Session, batch: list[Submission]) -> list[bool]:
    """Store the plain new cards of a batch in one transaction; say which were stored."""
    meeting = current_meeting(session, get_settings().meeting)
    if meeting is None:
        return [False] * len(batch)
    groups = {group.slug: group for group in meeting_groups(session, meeting)}
    phones = auth.delegate_sessions(session, [s.token for s in batch])
    taken = taken_ids(session, [s.card_id for s in batch])
    rows: Rows = []
    stored = []
    for submission in batch:
        found = phones.get(submission.token)
        card_rows = None
        if found is not None and submission.card_id not in taken:
            card_rows = _plain_card(meeting, groups, found, submission)
        stored.append(card_rows is not None)
        rows.extend(card_rows or [])
        taken.add(submission.card_id)  # a twin in the same batch takes the full path
    if rows:
        insert_rows(session, rows)
        session.commit()
        embedding.cards_changed(session)
    return stored


def _plain_card(
    meeting: Meeting,
    groups: dict[str, Group],
    found: auth.PhoneSession,
    submission: Submission,
) -> Rows | None:
    """Return the rows of a valid new card within its rate, else None."""
    phone, delegation, access = found
    if phone.meeting_id != meeting.id:
        return None
    form = submission.form
    group = groups.get(str(form.get("group", ""))[:40])
    card = read_card_input(meeting, [group] if group else [], form, form_answers(form))
    if not card.ok:
        return None
    try:
        check_card_rate(submission.address, ident(delegation))
    except TooManyRequests:
        return None
    access_id = access.id if access else None
    return new_card(meeting, delegation, submission.card_id, card, access_id)[1]


class Intake:
    """The cards waiting to be stored in one database, and the one thread storing them."""

    def __init__(self, engine: Engine) -> None:
        # Weak, so that the registry below does not keep a disposed engine (each test has one).
        self._engine = weakref.ref(engine)
        self._lock = threading.Lock()
        self._waiting: list[tuple[Submission, asyncio.Future[bool]]] = []
        self._draining = False

    async def store(self, submission: Submission) -> bool:
        """Store a plain new card with the others waiting; False: take the full path."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        with self._lock:
            self._waiting.append((submission, future))
            start, self._draining = not self._draining, True
        if start:
            # A thread of its own rather than an event loop's executor: the cards waiting may
            # come from several loops (test clients), and none of them owns the drain.
            threading.Thread(target=self._drain, name="card-intake").start()
        return await future

    def _drain(self) -> None:
        """Store batches until no card waits (one such thread at a time)."""
        while batch := self._next_batch():
            _answer(batch, self._store([submission for submission, _future in batch]))

    def _next_batch(self) -> list[tuple[Submission, "asyncio.Future[bool]"]]:
        with self._lock:
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            self._draining = bool(batch)
            return batch

    def _store(self, batch: list[Submission]) -> list[bool]:
        engine = self._engine()
        if engine is None:
            return [False] * len(batch)
        # Whatever goes wrong, nothing of the batch was kept and each card takes the full path,
        # which stores it, answers its twin, or reports the failure, card by card. (Its rate
        # was counted here already: a rare twin may count twice against its delegation.)
        try:
            with new_session(engine) as session:
                return store_batch(session, batch)
        except IntegrityError:
            log.info("a twin was stored meanwhile; %s cards take the full path", len(batch))
        except Exception:  # never leave a request waiting, whatever the failure
            log.exception("a batch of %s cards could not be stored here", len(batch))
        return [False] * len(batch)


def _answer(batch: list[tuple[Submission, "asyncio.Future[bool]"]], stored: list[bool]) -> None:
    """Wake each waiting request, one call per event loop."""
    answers = sorted(
        ((future, ok) for (_submission, future), ok in zip(batch, stored, strict=True)),
        key=lambda pair: id(pair[0].get_loop()),
    )
    for _loop_id, pairs in groupby(answers, key=lambda pair: id(pair[0].get_loop())):
        settled = list(pairs)
        try:
            settled[0][0].get_loop().call_soon_threadsafe(_settle, settled)
        except RuntimeError:
            pass  # that event loop has closed: nobody waits there any more


def _settle(answers: list[tuple["asyncio.Future[bool]", bool]]) -> None:
    for future, ok in answers:
        if not future.done():  # a request whose phone went away no longer waits
            future.set_result(ok)


_intakes: "weakref.WeakKeyDictionary[Engine, Intake]" = weakref.WeakKeyDictionary()
_intakes_lock = threading.Lock()


def intake_for(session: Session) -> Intake:
    """Return the intake of the database this session uses."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with _intakes_lock:
        if engine not in _intakes:
            _intakes[engine] = Intake(engine)
        return _intakes[engine]
