"""Text rules for every file the app writes: which characters no document can hold, and how
text that people typed stays text in Markdown, in a spreadsheet, in Word and in JSON.

Every export (CSV, XLSX, JSON, Markdown, the Word report and the chair's summary) passes the
names, cards, tags and report sections it writes through these functions, and nothing else.
"""

import re

# No document can hold these: control characters other than tab and newline (XML 1.0 refuses
# them, and a reader sees nothing), lone surrogates (not even UTF-8 can carry them), and the
# two non-characters U+FFFE and U+FFFF.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
WHITESPACE = re.compile(r"\s+")
BLANK_LINE = re.compile(r"\n\s*\n")

# A spreadsheet runs a cell that starts like a formula; a leading apostrophe keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

# Markdown punctuation that formats inline text (emphasis, links, code, tables, strikethrough,
# maths), and what makes a line a heading, a list item or a rule when it starts one.
MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~$])")
MARKDOWN_LIST_NUMBER = re.compile(r"^(\d+)([.)])")
MARKDOWN_BLOCK_MARK = re.compile(r"^([#+=-])")
HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def clean(text: str) -> str:
    """Remove the characters no document can hold; make every line end a plain newline."""
    return NOT_TEXT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str) -> str:
    """Return text cleaned and on one line, each run of spaces and newlines one space."""
    return WHITESPACE.sub(" ", clean(text)).strip()


def paragraphs(text: str) -> list[str]:
    """Split cleaned text into its paragraphs (blocks between blank lines), none empty."""
    return [block.strip() for block in BLANK_LINE.split(clean(text).strip()) if block.strip()]


def neutralize(value: str) -> str:
    """Make a cell safe to open in a spreadsheet: a formula stays text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell(text: str) -> str:
    """Return text for a spreadsheet cell (CSV or XLSX): cleaned, and no formula."""
    return neutralize(clean(text))


def json_text(line: str) -> str:
    """Make a JSON text encodable as UTF-8 without losing a character: a lone surrogate,
    which only json.dumps(ensure_ascii=False) leaves raw, is written as its \\u escape."""
    return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


def md_inline(text: str) -> str:
    """Return text for one line of Markdown that renders as typed: no HTML, no formatting."""
    return _md_line(one_line(text))


def md_block(text: str, indent: str = "") -> str:
    """Return text as Markdown paragraphs that render as typed, its line breaks kept.

    `indent` starts every line after the first, so that a block stays inside a list item.
    """
    blocks = []
    for block in paragraphs(text):
        lines = [_md_line(line.strip()) for line in block.split("\n") if line.strip()]
        blocks.append(f"\\\n{indent}".join(lines))  # a backslash at the end: a hard break
    return f"\n\n{indent}".join(blocks)


def _md_line(line: str) -> str:
    # HTML as entities (every Markdown reads them), formatting characters backslash-escaped.
    escaped = MARKDOWN_INLINE.sub(r"\\\1", line).translate(HTML)
    escaped = MARKDOWN_LIST_NUMBER.sub(r"\1\\\2", escaped)
    return MARKDOWN_BLOCK_MARK.sub(r"\\\1", escaped)
