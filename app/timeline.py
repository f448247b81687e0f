"""Cards over time: how many were written in each hour, day, week, month or year, in the
meeting's time zone, with bins chosen so that the chart stays readable whatever the span.

A three-day meeting is counted in hours; one card dated years back (a wrong clock, an
import) turns the same chart into quarters or years rather than thousands of daily columns.
Bins follow the meeting's wall clock: the hour a clock change repeats is counted once.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_interval, format_skeleton

from app.i18n import get_language

MAX_BARS = 48
# From the finest: every one divides the next, hours divide a day, months a year.
SIZES = (
    ("hour", 1), ("hour", 2), ("hour", 3), ("hour", 6), ("day", 1), ("week", 1),
    ("month", 1), ("month", 3), ("year", 1),
)  # fmt: skip
YEAR_STEPS = (2, 5, 10, 20, 50, 100, 200, 500, 1000)
WEEKDAYS_REPEAT = timedelta(days=6)  # beyond this, "Tue 09:00" names two moments


@dataclass
class TimeBucket:
    """Cards written in one bin: `step` hours, days, weeks, months or years from `start`."""

    start: datetime  # in the meeting's time zone
    unit: str  # hour | day | week | month | year
    step: int
    count: int = 0

    @property
    def hourly(self) -> bool:
        return self.unit == "hour"


def timeline(times: list[datetime], timezone: str) -> list[TimeBucket]:
    """Count cards per bin in the meeting's time zone, gaps as 0, at most MAX_BARS bins."""
    if not times:
        return []
    zone = ZoneInfo(timezone)
    local = sorted(t.astimezone(zone).replace(tzinfo=None) for t in times)
    unit, step = _size(local[0], local[-1])
    counts = Counter(_bin(t, unit, step) for t in local)
    buckets, key, last = [], _bin(local[0], unit, step), _bin(local[-1], unit, step)
    while key <= last:
        buckets.append(TimeBucket(key.replace(tzinfo=zone), unit, step, counts[key]))
        key = _next(key, unit, step)
    return buckets


def time_labels(buckets: list[TimeBucket]) -> list[str]:
    """Name each bin as the current language writes it, with the year when the bins cross
    one or are weeks and longer ("Tue 09:00", "Tue, Dec 5", "Q4 2017", "2010–2019")."""
    if not buckets:
        return []
    first, last = buckets[0].start, buckets[-1].start
    year = first.year != last.year or buckets[0].unit not in ("hour", "day")
    dated = year or last - first > WEEKDAYS_REPEAT
    return [_label(b, year, dated, get_language()) for b in buckets]


def _label(bucket: TimeBucket, year: bool, dated: bool, language: str) -> str:
    start = bucket.start
    if bucket.unit == "hour" and dated:  # the date, then the time, joined as the language does
        day = format_skeleton("yMMMd" if year else "MMMd", start, locale=language)
        time = format_skeleton("Hm", start, locale=language)
        return str(Locale.parse(language).datetime_formats["short"]).format(time, day)
    if bucket.unit == "hour":
        return format_skeleton("EHm", start, locale=language)
    if bucket.unit == "day":
        return format_skeleton("yMMMEd" if year else "MMMEd", start, locale=language)
    if bucket.unit == "week":
        end = start.date() + timedelta(days=6)
        return str(format_interval(start.date(), end, "yMMMd", locale=language))
    if bucket.unit == "month":
        return format_skeleton("yMMM" if bucket.step == 1 else "yQQQ", start, locale=language)
    if bucket.step == 1:
        return format_skeleton("y", start, locale=language)
    end = date(start.year + bucket.step - 1, 1, 1)
    return str(format_interval(start.date(), end, "y", locale=language))


def _size(first: datetime, last: datetime) -> tuple[str, int]:
    """Return the finest bin that counts the span in at most MAX_BARS bins."""
    for unit, step in SIZES:
        if _bins(_bin(first, unit, step), _bin(last, unit, step), unit, step) <= MAX_BARS:
            return unit, step
    years = last.year - first.year + 1
    return "year", next((s for s in YEAR_STEPS if years / s < MAX_BARS), YEAR_STEPS[-1])


def _bins(start: datetime, end: datetime, unit: str, step: int) -> int:
    if unit == "hour":
        return int((end - start).total_seconds() // 3600) // step + 1
    if unit in ("day", "week"):
        return (end - start).days // (7 if unit == "week" else 1) + 1
    if unit == "month":
        return ((end.year - start.year) * 12 + end.month - start.month) // step + 1
    return (end.year - start.year) // step + 1


def _bin(moment: datetime, unit: str, step: int) -> datetime:
    """Return the start of the bin a local (naive) moment falls in."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "hour":
        return midnight.replace(hour=moment.hour - moment.hour % step)
    if unit == "day":
        return midnight
    if unit == "week":  # from Monday, as ISO 8601 counts weeks
        return midnight - timedelta(days=moment.weekday())
    if unit == "month":
        return midnight.replace(month=moment.month - (moment.month - 1) % step, day=1)
    return midnight.replace(year=moment.year - moment.year % step, month=1, day=1)


def _next(key: datetime, unit: str, step: int) -> datetime:
    if unit == "hour":
        return key + timedelta(hours=step)
    if unit in ("day", "week"):
        return key + timedelta(days=7 if unit == "week" else 1)
    if unit == "month":
        months = key.month - 1 + step
        return key.replace(year=key.year + months // 12, month=months % 12 + 1)
    return key.replace(year=key.year + step)
