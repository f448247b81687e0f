"""The text rules every export follows: what no document can hold is dropped, and text people
typed stays text in Markdown (read back by a CommonMark parser), spreadsheets and JSON."""

import json
import re
from html import unescape

import pytest
from markdown_it import MarkdownIt

from app.text import cell, clean, json_text, md_block, md_inline, neutralize, one_line, paragraphs
from tests.conftest import HOSTILE

# CommonMark with the GitHub tables and strikethrough, as most Markdown readers render it.
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
TRICKY = [
    HOSTILE,
    "**bold** _italic_ `code` ~~struck~~ $x$",
    "[a link](javascript:alert(1)) ![an image](x.png) <http://x.example> [^1]",
    "| a | b |",
    "# not a heading",
    "## nor this",
    "- not a list",
    "+ nor this",
    "* nor this",
    "1. not numbered",
    "2017) a year",
    "---",
    "===",
    "> not a quote",
    "&amp; stays &lt;as typed&gt;",
    "back\\slash \\*",
    "    not code",
    "<!-- not a comment -->",
]


def rendered_text(markdown: str) -> tuple[str, list[str]]:
    """Render Markdown; return its text and the HTML elements it made."""
    html = MARKDOWN.render(markdown)
    return unescape(re.sub(r"<[^>]+>", "", html)).strip(), re.findall(r"<(\w+)", html)


@pytest.mark.parametrize("typed", TRICKY)
def test_markdown_inline_text_renders_as_typed(typed: str) -> None:
    text, elements = rendered_text(md_inline(typed))
    assert text == typed.strip()
    assert elements == ["p"]


@pytest.mark.parametrize("typed", TRICKY)
def test_markdown_inline_text_stays_text_in_a_list_item(typed: str) -> None:
    text, elements = rendered_text(f"- label: {md_inline(typed)}\n- {md_inline(typed)}")
    assert text.split("\n") == [f"label: {typed.strip()}", typed.strip()]
    assert elements == ["ul", "li", "li"]


def test_markdown_blocks_keep_paragraphs_and_line_breaks() -> None:
    typed = "# First line\n- second line\n\n\n1. Second paragraph\n<script>x</script>\x00"
    html = MARKDOWN.render(md_block(typed))
    assert html == (
        "<p># First line<br />\n- second line</p>\n"
        "<p>1. Second paragraph<br />\n&lt;script&gt;x&lt;/script&gt;</p>\n"
    )
    in_item = MARKDOWN.render("1. " + md_block(typed, indent="   "))
    assert in_item.count("<li>") == 1 and in_item.count("<p>") == 2
    assert md_block("  \n\n ") == ""


def test_clean_drops_what_no_document_can_hold() -> None:
    assert clean("a\x00b\x07c\td\r\ne\rf\ufffe\x7f\x85g\ud800") == "abc\td\ne\nfg"
    assert clean(HOSTILE) == HOSTILE
    assert one_line(" a\n\n b\t c ") == "a b c"
    assert paragraphs("one\ntwo\n \n\nthree\n\n") == ["one\ntwo", "three"]


def test_spreadsheet_cells_hold_no_formula_and_no_control_character() -> None:
    assert neutralize('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [neutralize(v) for v in ("+1", "-1", "@SUM(A1)", "\tx", "\nx", "plain", "")] == [
        "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\nx", "plain", ""
    ]  # fmt: skip
    assert cell("\x00=1+1") == "'=1+1"
    assert cell("Bell\x07") == "Bell"


def test_json_keeps_a_lone_surrogate_as_its_escape() -> None:
    line = json_text(json.dumps({"a": "x\ud800y 移民"}, ensure_ascii=False))
    line.encode("utf-8")  # would raise with the surrogate left raw
    assert json.loads(line) == {"a": "x\ud800y 移民"}
