"""The meeting's figures, against a small meeting counted by hand, and as the overview shows
them: SVG charts with a table of the same numbers beside each."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.charts import bar_chart, column_chart
from app.figures import meeting_figures, timeline
from app.models import Delegation, Meeting, User
from tests.conftest import add_card, sign_in_as

# (group, delegation, withdrawn) in order of arrival, one card each. By hand:
# human:  Mexico x2, Holy See, UNICEF, Kenya (withdrawn: not counted) -> 4 cards, 3 delegations
#         (1 Member State, 1 observer, 1 UN entity)
# global: Mexico, Kenya, an NGO, IOM -> 4 cards, 4 delegations
#         (2 Member States, 1 observer (IOM is an intergovernmental organization), 1 stakeholder)
# meeting: 8 cards from 6 delegations: Mexico, Kenya (member states: 2), Holy See and IOM
#         (observers: 2), UNICEF (UN entities: 1), the NGO (stakeholders: 1)
CARDS = [
    ("human", "Mexico", False),
    ("human", "Mexico", False),
    ("human", "Holy See", False),
    ("human", "United Nations Children's Fund", False),
    ("human", "Kenya", True),
    ("global", "Mexico", False),
    ("global", "Kenya", False),
    ("global", "Migrant Rights Network", False),
    ("global", "International Organization for Migration", False),
]
START = datetime(2017, 12, 5, 15, 10, tzinfo=UTC)  # 09:10 in Puerto Vallarta (UTC-6)


@pytest.fixture
def counted(session: Session, meeting: Meeting) -> Meeting:
    for name, kind in [
        ("United Nations Children's Fund", "un_entity"),
        ("Migrant Rights Network", "civil_society"),
        ("International Organization for Migration", "igo"),
    ]:
        if not session.exec(select(Delegation).where(Delegation.name == name)).first():
            session.add(Delegation(name=name, kind=kind))
    session.commit()
    for index, (group, name, withdrawn) in enumerate(CARDS):
        card = add_card(session, meeting, group, name, "en", {"commitments": f"Card {index}"})
        # Two cards an hour: 09:10, 09:40, 10:10... and none between 11:00 and 12:00.
        card.created_at = START + timedelta(minutes=30 * index + (60 if index >= 4 else 0))
        card.status = "withdrawn" if withdrawn else "active"
        session.add(card)
    session.commit()
    return meeting


def test_participation_is_counted_as_by_hand(session: Session, counted: Meeting) -> None:
    figures = meeting_figures(session, counted)
    groups = {g.slug: p for g, p in figures.groups}
    human, global_ = groups["human"], groups["global"]
    assert (human.cards, human.delegations) == (4, 3)
    assert dict(human.by_category) == {"member_states": 1, "observers": 1, "un_entities": 1}
    assert dict(human.cards_by_category) == {"member_states": 2, "observers": 1, "un_entities": 1}
    assert (global_.cards, global_.delegations) == (4, 4)
    assert dict(global_.by_category) == {"member_states": 2, "observers": 1, "stakeholders": 1}
    total = figures.meeting
    assert (total.cards, total.delegations) == (8, 6)
    assert dict(total.by_category) == {
        "member_states": 2,
        "observers": 2,
        "un_entities": 1,
        "stakeholders": 1,
    }
    assert total.by_kind["igo"] == 1 and total.by_kind["observer_state"] == 1
    assert groups["national"].cards == 0


def test_cards_over_time_are_hours_of_the_meeting_with_gaps_as_zero(
    session: Session, counted: Meeting
) -> None:
    buckets = meeting_figures(session, counted).timeline
    hours = [(b.start.strftime("%H:%M"), b.count) for b in buckets]
    # Arrivals (local): 09:10 09:40 10:10 10:40 [withdrawn 12:10] 12:40 13:10 13:40 14:10
    assert hours == [
        ("09:00", 2),
        ("10:00", 2),
        ("11:00", 0),
        ("12:00", 1),
        ("13:00", 2),
        ("14:00", 1),
    ]
    assert all(b.hourly for b in buckets)


def test_a_long_span_is_counted_day_by_day_across_a_clock_change() -> None:
    # Europe/Paris leaves summer time on 26 October 2025: that day has 25 hours.
    times = [datetime(2025, 10, 25, 10, tzinfo=UTC), datetime(2025, 10, 27, 10, tzinfo=UTC)]
    days = timeline(times * 2, "Europe/Paris")
    assert [(b.start.day, b.count, b.hourly) for b in days] == [
        (25, 2, False),
        (26, 0, False),
        (27, 2, False),
    ]


def test_bars_are_proportional_and_mirrored_in_right_to_left() -> None:
    rows = [("a", {"x": 10, "y": 5}), ("b", {"x": 3})]
    chart = bar_chart(rows, ["x", "y"])
    first, second = chart.rows
    assert first.total == 15 and second.total == 3
    assert first.segments[0].width == pytest.approx(2 * first.segments[1].width, abs=0.2)
    assert second.segments[0].width == pytest.approx(first.segments[0].width * 0.3, abs=0.2)
    rtl = bar_chart(rows, ["x", "y"], rtl=True)
    assert rtl.rows[0].segments[0].x + rtl.rows[0].segments[0].width == pytest.approx(chart.width)
    assert rtl.label_direction == "rtl" and rtl.value_anchor == "end"
    assert bar_chart([], ["x"]).rows == []


def test_columns_keep_time_order_and_scale_to_the_peak() -> None:
    chart = column_chart([("9", 2), ("10", 4), ("11", 0)])
    heights = [c.height for c in chart.columns]
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[2] == 0
    assert chart.columns[0].x < chart.columns[1].x
    mirrored = column_chart([("9", 2), ("10", 4), ("11", 0)], rtl=True)
    assert mirrored.columns[0].x > mirrored.columns[1].x


def _table(figure: BeautifulSoup) -> dict[str, list[str]]:
    rows = figure.select("tbody tr")
    return {
        r.th.get_text(strip=True): [td.get_text(strip=True) for td in r.select("td")] for r in rows
    }


def test_overview_shows_each_chart_with_a_table_of_the_same_numbers(
    client: TestClient, counted: Meeting, accounts: dict[str, User]
) -> None:
    sign_in_as(client, "cora")
    page = BeautifulSoup(client.get("/overview").text, "html.parser")
    by_category = page.select_one("figure[aria-labelledby=by-category-caption]")
    assert _table(by_category) == {
        "Member States": ["2"],
        "Observers": ["2"],
        "UN entities": ["1"],
        "Other stakeholders": ["1"],
    }
    # The SVG is drawn from the same numbers: the bar values printed at the end of each bar.
    assert [t.get_text() for t in by_category.select("svg text.value")] == ["2", "2", "1", "1"]
    assert by_category.svg["aria-hidden"] == "true"
    per_group = _table(page.select_one("figure[aria-labelledby=cards-per-group-caption]"))
    assert per_group["1. Global dimension"] == ["4", "4"]
    assert per_group["6. Human dimension"] == ["4", "3"]
    stacked = _table(page.select_one("figure[aria-labelledby=delegations-per-group-caption]"))
    assert stacked["6. Human dimension"] == ["1", "1", "1", "0"]
    over_time = _table(page.select_one("figure[aria-labelledby=over-time-caption]"))
    assert list(over_time.values()) == [["2"], ["2"], ["0"], ["1"], ["2"], ["1"]]
    assert len(page.select("figure[aria-labelledby=over-time-caption] svg rect")) == 6


def test_overview_figures_follow_the_language(
    client: TestClient, counted: Meeting, accounts: dict[str, User]
) -> None:
    sign_in_as(client, "cora")
    client.get("/language/ar")
    page = BeautifulSoup(client.get("/overview").text, "html.parser")
    assert page.html["dir"] == "rtl"
    figure = page.select_one("figure[aria-labelledby=by-category-caption]")
    label = figure.svg.select_one("text.label")
    assert (label["direction"], label["x"]) == ("rtl", figure.svg["viewbox"].split()[2])
    assert "دول" in figure.table.get_text()  # the categories are named in Arabic


def test_a_group_review_page_shows_the_group_figures(
    client: TestClient, counted: Meeting, accounts: dict[str, User]
) -> None:
    sign_in_as(client, "cora")
    page = BeautifulSoup(client.get("/groups/human/review").text, "html.parser")
    by_category = _table(page.select_one("figure[aria-labelledby=group-by-category-caption]"))
    assert by_category == {
        "Member States": ["1"],
        "Observers": ["1"],
        "UN entities": ["1"],
        "Other stakeholders": ["0"],
    }
    over_time = _table(page.select_one("figure[aria-labelledby=group-over-time-caption]"))
    assert list(over_time.values()) == [["2"], ["2"]]  # 09:10 09:40, 10:10 10:40
