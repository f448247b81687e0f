"""Cards are compared by meaning, across languages, with vectors kept up to date off the
request path."""

import time
from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app import embedding
from app.audit import Actor
from app.cards import edit_card, read_card_input
from app.meetings import meeting_groups
from app.models import Card, CardVector, Meeting
from app.settings import get_settings
from app.similarity import (
    CROSS_LANGUAGE_BONUS,
    LanguageMeans,
    SentenceEncoder,
    WordEncoder,
    centred,
    similar,
    suggest,
)
from tests.conftest import ON_POSTGRESQL, add_card


def test_the_packaged_model_links_languages_and_tells_near_misses_apart() -> None:
    """The real model, loaded from the pinned package with no network."""
    texts = [
        "End the detention of migrant children.",
        "Mettre fin à la détention des enfants migrants.",
        "إنهاء احتجاز الأطفال المهاجرين",
        "结束对移民儿童的拘留",
        "Прекратить содержание под стражей детей-мигрантов.",
        "Build more detention centres for adults.",  # shares words, says the opposite
        "Recognise the skills and qualifications of migrants.",
    ]
    vectors = SentenceEncoder().encode(texts)
    assert vectors.shape == (7, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    # Not centred by language here (seven cards are no meeting): the uncentred threshold.
    assert suggest(vectors, threshold=0.5) == [[0, 1, 2, 3, 4], [5], [6]]
    ranked = [i for i, _score in similar(vectors[2], vectors[[0, 5, 6]], k=3)]
    assert ranked[0] == 0  # the Arabic card is closest to its English twin


def test_word_vectors_ignore_case_and_accents_and_link_no_languages() -> None:
    vectors = WordEncoder().encode(["Détention des ENFANTS", "detention des enfants", "拘留"])
    assert vectors[0] @ vectors[1] == pytest.approx(1)
    assert vectors[0] @ vectors[2] == 0


def test_average_linkage_does_not_chain_cards_whose_ends_differ() -> None:
    # a ~ b and b ~ c, but a and c say different things: not one group at 0.6.
    a, c = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    b = (a + c) / np.linalg.norm(a + c)
    vectors = np.stack([a, b, c]).astype(np.float32)
    assert suggest(vectors, threshold=0.6) == [[0, 1], [2]]
    assert suggest(vectors, threshold=0.8) == [[0], [1], [2]]
    assert suggest(vectors, threshold=0.2) == [[0, 1, 2]]


def test_pairs_across_languages_get_their_bonus_and_only_they() -> None:
    # Two cards at a cosine of 0.3: under the threshold, as many pairs in
    # two languages that say the same thing are, even after centring.
    angle = np.arccos(0.3)
    first = np.array([1.0, 0.0])
    other = np.array([np.cos(angle), np.sin(angle)])
    vectors = np.stack([first, other]).astype(np.float32)
    assert suggest(vectors, threshold=0.35) == [[0], [1]]
    assert suggest(vectors, threshold=0.35, languages=["en", "en"]) == [[0], [1]]
    assert suggest(vectors, threshold=0.35, languages=["en", "zh"]) == [[0, 1]]
    assert 0.3 + CROSS_LANGUAGE_BONUS >= 0.35
    [(_row, plain)] = similar(vectors[0], vectors[1:], k=1)
    [(_row, across)] = similar(vectors[0], vectors[1:], k=1, language="en", languages=["zh"])
    assert across == pytest.approx(plain + CROSS_LANGUAGE_BONUS)


def test_centring_by_language_removes_what_a_language_shares() -> None:
    shared = np.array([0.0, 0.0, 1.0])
    english = [np.array([1.0, 0, 0]) + shared, np.array([0, 1.0, 0]) + shared]
    french = [np.array([1.0, 0, 0]) - shared, np.array([0, 1.0, 0]) - shared]
    vectors = np.stack(english + french).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    languages = ["en", "en", "fr", "fr"]
    means = LanguageMeans.of(vectors, languages)
    means.prior = 0
    flat = centred(vectors, languages, means)
    assert flat[0] @ flat[2] == pytest.approx(1, abs=1e-5)  # the same idea, in two languages
    assert vectors[0] @ vectors[2] == pytest.approx(0.0, abs=1e-5)


def test_vectors_are_computed_for_new_cards_and_again_after_an_edit(
    session: Session, meeting: Meeting
) -> None:
    card = add_card(session, meeting, "human", "Mexico", "es", {"commitments": "Niñez primero"})
    assert embedding.embed_all(session) == 1
    assert embedding.embed_all(session) == 0  # nothing left to do
    stored = session.get(CardVector, card.id)
    assert stored is not None and (stored.model, stored.card_version) == ("words", 1)
    edited = read_card_input(
        meeting,
        meeting_groups(session, meeting),
        {"group": "human", "language": "es"},
        {"commitments": "Los niños, primero"},
    )
    edit_card(session, card, edited, 1, Actor("delegation", 1, "Mexico"))
    session.commit()
    assert embedding.embed_all(session) == 1
    session.expire_all()
    assert session.get(CardVector, card.id).card_version == 2  # type: ignore[union-attr]
    # Another model's vectors are not comparable: all are computed again.
    assert embedding.embed_all(session, SentenceEncoder()) == 1


@pytest.fixture
def background(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An embedder thread as servers run it, ended before the test's database goes."""
    monkeypatch.setattr(get_settings(), "embed_in_background", True)
    yield
    embedding.stop(engine)


def test_storing_a_card_wakes_the_embedder_and_the_answer_does_not_wait(
    session: Session, meeting: Meeting, background: None
) -> None:
    card = add_card(session, meeting, "human", "Chile", "es", {"commitments": "Visados."})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        session.expire_all()
        if session.exec(select(CardVector).where(CardVector.card_id == card.id)).first():
            break
        time.sleep(0.05)
    else:
        raise AssertionError("no vector was computed in the background")
    assert session.exec(select(Card)).all() == [card]


def test_the_embedder_waits_while_cards_keep_arriving(
    session: Session, meeting: Meeting, monkeypatch: pytest.MonkeyPatch, background: None
) -> None:
    """Its tokenizer holds the interpreter: during a burst it would slow every answer."""
    monkeypatch.setattr(embedding.Embedder, "QUIET", 5.0)  # far longer than any gap below
    card = add_card(session, meeting, "human", "Chile", "es", {"commitments": "Visados."})
    burst_ends = time.monotonic() + 1.5
    while time.monotonic() < burst_ends:
        embedding.cards_changed(session)  # another card arrives
        session.expire_all()
        assert session.get(CardVector, card.id) is None
        time.sleep(0.1)
    deadline = time.monotonic() + 20
    while session.get(CardVector, card.id) is None and time.monotonic() < deadline:
        time.sleep(0.05)
        session.expire_all()
    assert session.get(CardVector, card.id) is not None


def test_a_server_starting_embeds_the_cards_stored_while_none_ran(
    session: Session,
    meeting: Meeting,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    card = add_card(session, meeting, "human", "Chile", "es", {"commitments": "Demo."})
    monkeypatch.setattr(get_settings(), "embed_in_background", True)
    monkeypatch.setattr(embedding.Embedder, "QUIET", 0.0)
    embedding.wake(engine)  # what the app's lifespan does at start
    deadline = time.monotonic() + 20
    while session.get(CardVector, card.id) is None and time.monotonic() < deadline:
        time.sleep(0.05)
        session.expire_all()
    embedding.stop(engine)  # what it does at the end, before the engine goes
    assert session.get(CardVector, card.id) is not None


@ON_POSTGRESQL
def test_two_servers_never_embed_the_same_card_and_a_dead_ones_claim_is_taken_over(
    engine: Engine, session: Session, meeting: Meeting
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serves from one server: no claims to share (runs on PostgreSQL)")
    for name in ("Mexico", "Chile", "Peru"):
        add_card(session, meeting, "human", name, "es", {"commitments": f"Texto de {name}."})
    with Session(engine) as first, Session(engine) as second:
        claimed = [card.id for card, _group in embedding.pending(first, "words", limit=2)]
        others = [card.id for card, _group in embedding.pending(second, "words")]
        assert len(claimed) == 2 and len(others) == 1 and not set(claimed) & set(others)
        second.rollback()
        first.connection().invalidate()  # the first server dies mid-batch: its claim goes
        first.rollback()
        taken_over = [card.id for card, _group in embedding.pending(second, "words")]
        assert sorted(taken_over) == sorted(claimed + others)
