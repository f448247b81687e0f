"""Charts drawn on the server as SVG geometry; templates/figures/_charts.html draws them.

No chart library runs in the browser: the page carries the shapes, and beside each chart a
table with the same numbers for screen readers and for anyone who wants the figures.
Right-to-left languages get mirrored bars, so that they grow from where reading starts.
"""

import unicodedata
from dataclasses import dataclass, field

WIDTH = 480
ROW = 36  # height of one bar's row: its label, then the bar below it
LABEL = 15  # the label's baseline, below the row's top
BAR_TOP = 19
BAR = 14
COLUMN_HEIGHT = 160
INSET = 28  # room before the first column for the scale's numbers
AXIS = 24  # room under the columns for their labels
MIN_COLUMN = 2  # the height of a column of one card beside thousands
AXIS_CHAR = 7.5  # the width of a letter or digit of an axis label (14 px), generously
AXIS_GAP = 16  # between two axis labels
AXIS_LABELS = 4  # at most, under the columns


@dataclass
class Segment:
    """One coloured stretch of a bar: a category's share, or the whole bar."""

    key: str
    value: int
    x: float
    width: float


@dataclass
class BarRow:
    label: str
    total: int
    y: float  # the row's top
    segments: list[Segment]
    label_x: float
    value_x: float
    label_y: float = 0
    bar_y: float = 0
    bar_height: float = BAR
    value_y: float = 0


@dataclass
class BarChart:
    rows: list[BarRow]
    width: int
    height: int
    # Coordinates run left to right (the SVG is direction ltr); labels are written in the
    # language's direction from their start: the left edge in LTR, the right edge in RTL.
    label_direction: str
    value_anchor: str  # the number after a bar: from its left edge, or to its right edge


def bar_chart(
    rows: list[tuple[str, dict[str, int]]], keys: list[str], rtl: bool = False
) -> BarChart:
    """Lay out horizontal bars, one per row, each stacked from the values of `keys` in order."""
    largest = max((sum(values.get(k, 0) for k in keys) for _, values in rows), default=0)
    room = WIDTH * 0.82  # the rest holds the number at the end of the bar
    scale = room / largest if largest else 0
    laid = []
    for index, (label, values) in enumerate(rows):
        y, offset, segments = index * ROW, 0.0, []
        for key in keys:
            width = values.get(key, 0) * scale
            x = WIDTH - offset - width if rtl else offset
            segments.append(Segment(key, values.get(key, 0), round(x, 1), round(width, 1)))
            offset += width
        value_x = WIDTH - offset - 6 if rtl else offset + 6
        laid.append(
            BarRow(
                label=label,
                total=sum(values.get(k, 0) for k in keys),
                y=y,
                segments=[s for s in segments if s.value],
                label_x=WIDTH if rtl else 0,
                value_x=round(value_x, 1),
                label_y=y + LABEL,
                bar_y=y + BAR_TOP,
                value_y=y + BAR_TOP + BAR - 2,
            )
        )
    return BarChart(
        rows=laid,
        width=WIDTH,
        height=max(len(rows) * ROW, ROW),
        label_direction="rtl" if rtl else "ltr",
        value_anchor="end" if rtl else "start",
    )


@dataclass
class Column:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    show_label: bool


@dataclass
class ColumnChart:
    columns: list[Column]
    width: int
    height: int
    baseline: float
    peak: int
    ticks: list[tuple[float, int]] = field(default_factory=list)


def column_chart(points: list[tuple[str, int]], rtl: bool = False) -> ColumnChart:
    """Lay out vertical columns in time order (right to left in RTL), labelling as many as
    fit under the axis without touching (four at most): the longer the labels, the fewer."""
    peak = max((value for _, value in points), default=0)
    count = max(len(points), 1)
    slot = (WIDTH - INSET) / count
    scale = (COLUMN_HEIGHT - 20) / peak if peak else 0
    half = max((_label_width(label) for label, _ in points), default=0) / 2
    fit = max(1, min(AXIS_LABELS, int((WIDTH - INSET) // (2 * half + AXIS_GAP))))
    every = max(1, -(-count // fit))
    columns = []
    for index, (label, value) in enumerate(points):
        height = max(value * scale, MIN_COLUMN) if value else 0  # one card still shows
        position = count - 1 - index if rtl else index
        columns.append(
            Column(
                label=label,
                value=value,
                x=round(INSET + position * slot + slot * 0.1, 1),
                y=round(COLUMN_HEIGHT - height, 1),
                width=round(slot * 0.8, 1),
                height=round(height, 1),
                show_label=index % every == every // 2 and _clear_of_edges(position, slot, half),
            )
        )
    ticks = [(round(COLUMN_HEIGHT - v * scale, 1), v) for v in (peak // 2, peak) if v]
    return ColumnChart(
        columns=columns,
        width=WIDTH,
        height=COLUMN_HEIGHT + AXIS,
        baseline=COLUMN_HEIGHT,
        peak=peak,
        ticks=ticks,
    )


def _label_width(label: str) -> float:
    """Estimate a label's width in pixels: Chinese and Japanese characters take two places."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in label)
    return (len(label) + wide) * AXIS_CHAR


def _clear_of_edges(position: int, slot: float, half: float) -> bool:
    """Whether a label centred under this column, `half` its width each side, stays inside."""
    centre = INSET + (position + 0.5) * slot
    return half <= centre <= WIDTH - half
