"""Exports keep every character and never hand a spreadsheet a formula."""

import csv
import io

from app.exports import cards_csv, neutralize


def test_cells_that_look_like_formulas_are_neutralized() -> None:
    assert neutralize('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [neutralize(v) for v in ("+1", "-1", "@SUM(A1)", "plain")] == [
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "plain",
    ]


def test_csv_keeps_non_latin_text_and_one_column_per_question() -> None:
    records = [
        {
            "id": "1",
            "group": "human",
            "answers": {"commitments": "حماية المهاجرين", "means": "=1+1"},
        },
        {"id": "2", "group": "human", "answers": {"priorities": "移民", "commitments": "x"}},
    ]
    rows = list(csv.reader(io.StringIO(cards_csv(records).removeprefix("\ufeff"))))
    assert rows[0] == ["id", "group", "commitments", "means", "priorities"]
    assert rows[1] == ["1", "human", "حماية المهاجرين", "'=1+1", ""]
    assert rows[2] == ["2", "human", "x", "", "移民"]
