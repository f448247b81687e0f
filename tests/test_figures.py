"""The meeting's figures, against a small meeting counted by hand, and as the overview shows
them: SVG charts with a table of the same numbers beside each."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.charts import bar_chart, column_chart
from app.figures import meeting_figures, timeline
from app.i18n import set_language
from app.models import Delegation, Meeting, User
from app.timeline import MAX_BARS, time_labels
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
    times = [datetime(2025, 10, day, 10, tzinfo=UTC) for day in (14, 26, 30)]
    days = timeline(times * 2, "Europe/Paris")
    assert [b.start.day for b in days] == list(range(14, 31))
    assert {b.start.day: b.count for b in days if b.count} == {14: 2, 26: 2, 30: 2}
    assert all(b.unit == "day" and not b.hourly for b in days)


def test_the_hour_a_clock_change_repeats_is_counted_once() -> None:
    # 02:30 summer time, then 02:30 winter time, an hour later.
    times = [datetime(2025, 10, 26, 0, 30, tzinfo=UTC), datetime(2025, 10, 26, 1, 30, tzinfo=UTC)]
    hours = timeline([*times, datetime(2025, 10, 26, 3, 5, tzinfo=UTC)], "Europe/Paris")
    assert [(b.start.hour, b.count) for b in hours] == [(2, 2), (3, 0), (4, 1)]


def _span(start: datetime, length: timedelta, cards: int = 200) -> list[datetime]:
    """Cards spread evenly over a span, the first at its start and the last at its end."""
    return [start + length * i / (cards - 1) for i in range(cards)]


SPANS = [  # (how long the cards span, the bins expected, how many of them at most)
    (timedelta(hours=30), ("hour", 1), 31),
    (timedelta(hours=70), ("hour", 2), 36),  # a three-day meeting
    (timedelta(days=9), ("hour", 6), 37),
    (timedelta(days=40), ("day", 1), 41),
    (timedelta(days=300), ("week", 1), 44),
    (timedelta(days=3 * 365), ("month", 1), 37),
    (timedelta(days=3284), ("month", 3), 37),  # nine years: quarters
    (timedelta(days=40 * 365), ("year", 1), 41),
    (timedelta(days=400 * 365), ("year", 10), 41),
]


@pytest.mark.parametrize(("length", "size", "most"), SPANS)
def test_cards_over_time_take_bins_that_keep_the_chart_readable(
    length: timedelta, size: tuple[str, int], most: int
) -> None:
    start = datetime(2017, 12, 4, 15, 10, tzinfo=UTC)
    times = _span(start - length, length)
    buckets = timeline(times, "America/Mexico_City")
    assert (buckets[0].unit, buckets[0].step) == size
    assert len(buckets) <= min(most, MAX_BARS)
    assert sum(b.count for b in buckets) == len(times)
    assert all(b.start < c.start for b, c in zip(buckets, buckets[1:], strict=False))


def test_labels_say_the_year_when_the_cards_cross_one_or_span_long() -> None:
    set_language("en")
    day = datetime(2017, 12, 5, 15, 10, tzinfo=UTC)
    assert time_labels(timeline([day, day + timedelta(hours=2)], "UTC"))[0] == "Tue 15:00"
    assert time_labels(timeline([day, day + timedelta(days=5)], "UTC"))[:2] == [
        "Tue 15:00",
        "Tue 18:00",
    ]
    # Over more than six days a weekday comes back: the date, then the time.
    assert time_labels(timeline([day, day + timedelta(days=9)], "UTC"))[0] == "Dec 5, 12:00"
    assert time_labels(timeline([day, day + timedelta(days=20)], "UTC"))[0] == "Tue, Dec 5"
    new_year = time_labels(timeline([day, day + timedelta(days=30)], "UTC"))
    assert (new_year[0], new_year[-1]) == ("Tue, Dec 5, 2017", "Thu, Jan 4, 2018")
    weeks = time_labels(timeline([day - timedelta(days=100), day], "UTC"))
    assert weeks[-1] == "Dec 4\u2009–\u200910, 2017"
    months = time_labels(timeline([day - timedelta(days=1000), day], "UTC"))
    assert (months[0], months[-1]) == ("Mar 2015", "Dec 2017")
    quarters = time_labels(timeline([day - timedelta(days=3284), day], "UTC"))
    assert (quarters[0], quarters[-1]) == ("Q4 2008", "Q4 2017")
    years = time_labels(timeline([day - timedelta(days=400 * 365), day], "UTC"))
    assert years[-1] == "2010\u2009–\u20092019"
    set_language("fr")
    assert time_labels(timeline([day - timedelta(days=3284), day], "UTC"))[-1] == "T4 2017"
    set_language("en")


def test_one_card_years_back_keeps_the_overview_small(
    client: TestClient, session: Session, counted: Meeting, accounts: dict[str, User]
) -> None:
    """A card with an outlying date (a clock wrong, an import) made 3,284 daily columns."""
    card = add_card(session, counted, "human", "Mexico", "en", {"commitments": "Long ago."})
    card.created_at = START - timedelta(days=3284)
    session.add(card)
    session.commit()
    sign_in_as(client, "cora")
    response = client.get("/overview")
    assert len(response.content) < 60_000
    figure = BeautifulSoup(response.text, "html.parser").select_one(
        "figure[aria-labelledby=over-time-caption]"
    )
    columns = figure.select("svg rect")
    rows = _table(figure)
    assert 10 <= len(columns) <= MAX_BARS and len(rows) == len(columns)
    assert all(re.search(r"\b(2008|2009|201\d)\b", label) for label in rows)
    assert list(rows)[0] == "Q4 2008" and list(rows)[-1] == "Q4 2017"
    assert sum(int(count) for (count,) in rows.values()) == 9
    axis = [t.get_text() for t in figure.select("svg text.axis")]
    assert 2 <= len(axis) <= 4 and all(re.search(r"20\d\d", label) for label in axis)


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
