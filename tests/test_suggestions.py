"""The workspace proposes groups of unplaced cards and likely recommendations; the
rapporteur decides. (Cards are compared by plain words here: tests/__init__.py.)"""

import json

import pytest
from sqlmodel import Session

from app import cli, embedding
from app.deps import group_by_slug
from app.grouping import (
    create_recommendation,
    dismiss_suggestion,
    likely_recommendations,
    recommendations,
    shared_words,
    suggestions,
    take_out_of_suggestion,
    unplaced,
)
from app.models import Card, Group, Meeting
from tests.conftest import add_card

TEXTS = [
    ("Mexico", "es", "Poner fin a la detención de niños migrantes"),
    ("Chile", "es", "Fin de la detención de niños migrantes en frontera"),
    ("Peru", "es", "Detención de niños migrantes: alternativas"),
    ("Kenya", "en", "Recognise skills of migrant workers"),
    ("Ghana", "en", "Recognise the skills and diplomas of migrant workers"),
    ("France", "fr", "Portabilité des pensions"),
]


@pytest.fixture
def group(session: Session, meeting: Meeting) -> Group:
    found = group_by_slug(session, meeting, "human")
    assert found is not None
    return found


@pytest.fixture
def cards(session: Session, meeting: Meeting, group: Group) -> list[Card]:
    made = [
        add_card(session, meeting, "human", name, lang, {"commitments": text})
        for name, lang, text in TEXTS
    ]
    embedding.embed_all(session)
    return made


def ids(cards: list[Card]) -> list[str]:
    return [card.id for card in cards]


def test_unplaced_cards_that_share_words_are_proposed_together(
    session: Session, group: Group, cards: list[Card]
) -> None:
    found = suggestions(session, group, closeness=-2)
    assert [ids(s.cards) for s in found.groups] == [ids(cards[0:3]), ids(cards[3:5])]
    assert ids(found.alone) == [cards[5].id]
    first = found.groups[0]
    assert first.languages == ["es"]
    assert {"detención", "niños", "migrantes"} <= set(first.shared)
    assert first.label in [t for _n, _l, t in TEXTS]
    assert found.not_compared == 0


def test_tighter_proposes_fewer_and_looser_more(
    session: Session, group: Group, cards: list[Card]
) -> None:
    sizes = [sum(len(s.cards) for s in suggestions(session, group, c).groups) for c in (-2, 0, 4)]
    assert sizes[0] >= sizes[1] >= sizes[2]
    assert sizes[0] > sizes[2]


def test_placed_cards_leave_the_suggestions_and_new_cards_wait_for_their_vector(
    session: Session, meeting: Meeting, group: Group, cards: list[Card]
) -> None:
    create_recommendation(session, group, "Recognise skills.", ids(cards[3:5]))
    session.commit()
    add_card(session, meeting, "human", "Haiti", "fr", {"commitments": "Sans vecteur encore"})
    found = suggestions(session, group, closeness=-2)
    assert [ids(s.cards) for s in found.groups] == [ids(cards[0:3])]
    assert found.not_compared == 1
    assert len(unplaced(session, group)) == 5


def test_a_dismissed_suggestion_stays_dismissed_until_a_new_card_joins_it(
    session: Session, meeting: Meeting, group: Group, cards: list[Card], accounts: dict
) -> None:
    dismiss_suggestion(session, group, ids(cards[0:3]), accounts["rapporteur"].id)
    session.commit()
    found = suggestions(session, group, closeness=-2)
    assert [ids(s.cards) for s in found.groups] == [ids(cards[3:5])]
    assert set(ids(cards[0:3])) <= set(ids(found.alone))
    add_card(
        session,
        meeting,
        "human",
        "Bolivia (Plurinational State of)",
        "es",
        {"commitments": "Niños migrantes y detención"},
    )
    embedding.embed_all(session)
    again = suggestions(session, group, closeness=-2)
    assert len(again.groups[0].cards) == 4


def test_a_card_taken_out_of_a_suggestion_is_not_proposed_with_it_again(
    session: Session, group: Group, cards: list[Card], accounts: dict
) -> None:
    take_out_of_suggestion(session, group, cards[2].id, ids(cards[0:3]), accounts["rapporteur"].id)
    session.commit()
    found = suggestions(session, group, closeness=-2)
    assert ids(found.groups[0].cards) == ids(cards[0:2])
    assert cards[2].id in ids(found.alone)


def test_each_unplaced_card_gets_its_likeliest_recommendations_with_why(
    session: Session, meeting: Meeting, group: Group, cards: list[Card]
) -> None:
    create_recommendation(session, group, "End child detention.", ids(cards[0:2]))
    create_recommendation(session, group, "Recognise skills.", [cards[3].id])
    session.commit()
    views = recommendations(session, group)
    likely = likely_recommendations(session, group, [cards[2], cards[4], cards[5]], views)
    assert [x.view.number for x in likely[cards[2].id]] == [1]
    assert likely[cards[2].id][0].shared[:3] == ["Detención", "niños", "migrantes"]
    assert likely[cards[2].id][0].nearest.startswith("Poner fin")
    assert [x.view.number for x in likely[cards[4].id]] == [2]
    assert likely[cards[5].id] == []  # close to nothing: nothing proposed


def test_shared_words_ignore_case_accents_and_short_words() -> None:
    texts = ["La DETENCION de niños", "detención de los Niños", "otra cosa de"]
    assert shared_words(texts) == ["DETENCION", "niños"]


def test_suggest_groups_prints_every_unplaced_card_once_as_json(
    session: Session, group: Group, cards: list[Card], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(cli, "get_engine", lambda: session.get_bind())
    assert cli.main(["suggest-groups", "--group", "human", "--json", "--closeness", "-2"]) == 0
    entries = json.loads(capsys.readouterr().out)
    listed = [card_id for entry in entries for card_id in entry["cards"]]
    assert sorted(listed) == sorted(ids(cards))
    assert entries[0]["cards"] == ids(cards[0:3])
    assert any(reason.startswith("shared words:") for reason in entries[0]["reasons"])
    assert entries[-1] == {"label": TEXTS[5][2], "cards": [cards[5].id], "reasons": []}
    assert cli.main(["suggest-groups", "--group", "nowhere"]) == 1
