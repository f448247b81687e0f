"""Interface languages: gettext catalogs, the language of a request, localized formatting."""

import unicodedata
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_interval
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

CATALOGS = Path(__file__).parent / "translations"
SOURCE_LANGUAGE = "en"
# Every language with a catalog is offered; adding Arabic means adding ar/LC_MESSAGES/messages.po.
LANGUAGES = [SOURCE_LANGUAGE] + sorted(p.name for p in CATALOGS.iterdir() if p.is_dir())
RTL_LANGUAGES = {"ar", "fa", "he", "ur"}

_language: ContextVar[str] = ContextVar("language", default=SOURCE_LANGUAGE)


@lru_cache
def translations(language: str) -> NullTranslations:
    """Return the catalog of a language, compiled from its .po file on first use."""
    po = CATALOGS / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def set_language(language: str) -> None:
    """Make a language the current one for this request (or CLI command)."""
    _language.set(language if language in LANGUAGES else SOURCE_LANGUAGE)


def get_language() -> str:
    """Return the current interface language."""
    return _language.get()


def gettext(message: str, **variables: object) -> str:
    """Translate a message into the current language and fill in its %(name)s variables."""
    text = translations(get_language()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    """Translate a message that depends on a count; %(num)s is the count."""
    text = translations(get_language()).ungettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext

# Whole numbers that reach every plural category of the six languages (Arabic "other" needs 100,
# French and Spanish "many" a million).
_COUNTS = [*range(200), 1000, 10_000, 100_000, 1_000_000]


@lru_cache
def plural_samples(language: str) -> list[tuple[str, int]]:
    """Return one count for each plural category (CLDR) that whole numbers reach in a language.

    A template renders a message once per category; a script picks one with Intl.PluralRules.
    Where only fractions reach "other" (Russian), the form of the largest sample stands in for
    it, for browsers without Intl.PluralRules (they ask for "one" or "other").
    """
    rule = Locale.parse(language).plural_form
    samples: dict[str, int] = {}
    for n in _COUNTS:
        samples.setdefault(rule(n), n)
    samples.setdefault("other", max(samples.values()))
    return list(samples.items())


def negotiate(accept_language: str) -> str | None:
    """Pick an interface language from an Accept-Language header."""
    ranked = []
    for part in accept_language.split(","):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag:
            ranked.append((quality, tag.strip()))
    for _quality, tag in sorted(ranked, key=lambda r: -r[0]):
        base = tag.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return None


def localize(text: dict[str, str] | None, language: str | None = None) -> str:
    """Choose the current language's version of a text from a meeting file."""
    if not text:
        return ""
    language = language or get_language()
    return text.get(language) or text.get(SOURCE_LANGUAGE) or next(iter(text.values()))


def language_name(code: str, in_language: str | None = None, in_sentence: bool = False) -> str:
    """Name a language, by default in that language itself ("Français").

    Alone (a menu, a list) the name starts with a capital; within a sentence it is written as
    the language writes it there ("en español", "in French").
    """
    try:
        locale = Locale.parse(in_language or code)
        name = Locale.parse(code).get_display_name(locale) or code
    except (ValueError, LookupError):
        return code
    return name if in_sentence else name[:1].upper() + name[1:]


def text_direction(language: str) -> str:
    """Return "rtl" for languages written right to left."""
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def format_time(moment: datetime, timezone: str = "UTC") -> str:
    """Format a timestamp in the meeting's time zone and the current language."""
    return format_datetime(moment.astimezone(ZoneInfo(timezone)), "medium", locale=get_language())


def format_number(number: int) -> str:
    """Format a number as the current language writes it ("1,000", "1.000", "1 000")."""
    return str(format_decimal(number, locale=get_language()))


def format_dates(start: date, end: date) -> str:
    """Format a meeting's dates as the language writes a range ("4–6 December 2017")."""
    return str(format_interval(start, end, "yMMMMd", locale=get_language()))


def sort_key(text: str) -> str:
    """Sort names the way a reader expects: accents and case do not matter."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def delegation_name(name: str, iso2: str | None, language: str | None = None) -> str:
    """Name a delegation in the current language: States by their ISO code, others as stored."""
    language = language or get_language()
    if iso2 and language != SOURCE_LANGUAGE:
        return Locale.parse(language).territories.get(iso2, name)
    return name
