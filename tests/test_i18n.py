"""Every word a delegate reads is translated; the language is chosen, remembered and used."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from app.i18n import CATALOGS, LANGUAGES, negotiate
from tests.conftest import ROOT
from tests.helpers import soup

JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)


def extracted_messages() -> set[str]:
    """Extract every translatable message from the code and templates, as `make messages` does."""
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def catalog(language: str) -> Catalog:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def test_the_delegate_pages_ship_in_english_french_and_spanish() -> None:
    assert {"en", "fr", "es"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_is_translated(language: str) -> None:
    translations = catalog(language)
    missing = []
    for message in sorted(extracted_messages()):
        entry = translations.get(message)
        strings = entry.string if entry else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(message)
    assert missing == [], f"{language}: run `make messages` and translate these"
    assert [(m.id, errors) for m in translations if (errors := list(m.check(translations)))] == []


class TextFinder(HTMLParser):
    """Collect text nodes outside <style> and <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag in ("style", "script")
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "alt") and value and value.strip():
                self.found.append(f"{name}={value}")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self.skip and re.search(r"[^\W\d_]", data):
            self.found.append(data.strip())


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*.html"))
)
def test_templates_hold_no_text_that_bypasses_gettext(template: str) -> None:
    finder = TextFinder()
    finder.feed(JINJA.sub(" ", Path(ROOT, template).read_text(encoding="utf-8")))
    assert finder.found == []


def test_accept_language_picks_a_supported_language() -> None:
    assert negotiate("de-CH, es;q=0.8, en;q=0.5") == "es"
    assert negotiate("fr-CA") == "fr"
    assert negotiate("de, it;q=0.5") is None
    assert negotiate("es;q=bogus, fr;q=0.1") == "fr"


def test_the_browser_language_is_used_first(client: TestClient) -> None:
    page = client.get("/join", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert soup(page).html["lang"] == "es"
    assert "Código de acceso" in page.text


def test_the_switcher_changes_and_remembers_the_language(delegate: TestClient) -> None:
    response = delegate.get("/language/fr?next=/cards/new%3Fgroup%3Dhuman")
    assert response.url.path == "/cards/new"
    page = soup(response)
    assert page.html["lang"] == "fr"
    assert page.select_one("#group option[selected]").get_text() == "6. Dimension humaine"
    assert "Au nom de" in response.text and "Mexique" in response.text  # the State's French name
    again = delegate.get("/cards", headers={"Accept-Language": "es"})
    assert soup(again).html["lang"] == "fr"  # the choice beats the browser


def test_an_unknown_language_is_ignored(client: TestClient) -> None:
    response = client.get("/language/xx?next=/join")
    assert soup(response).html["lang"] == "en"


def test_validation_messages_speak_the_interface_language(delegate: TestClient) -> None:
    delegate.cookies.set("lang", "es")
    page = delegate.get("/cards/new?group=global")
    form = {n["name"]: n.get("value", "") for n in soup(page).select("input[name]")}
    response = delegate.post("/cards", data=form | {"group": "global", "language": "es"})
    assert response.status_code == 422
    assert "Esta respuesta es obligatoria." in response.text


def test_a_language_named_in_a_sentence_is_written_as_that_sentence_writes_it(
    delegate: TestClient,
) -> None:
    delegate.cookies.set("lang", "es")
    page = delegate.get("/cards/new?group=global")
    form = {n["name"]: n.get("value", "") for n in soup(page).select("input[name]")}
    card = {"group": "global", "language": "fr", "answers.commitments": "Des voies régulières."}
    response = delegate.post("/cards", data=form | card)
    assert response.url.path.startswith("/cards/")
    assert "en francés" in soup(response).select_one("article.stored .meta").get_text(" ")
    # Alone, in the language menu, a name starts with a capital.
    assert soup(response).select_one("strong[lang=es]").get_text() == "Español"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_example_code_stays_whole_in_every_language(client: TestClient, language: str) -> None:
    client.cookies.set("lang", language)
    hint = soup(client.get("/join")).select_one("#code-hint")
    assert hint.select_one("bdi.nowrap").get_text() == "HXKM-4729"  # not broken at the hyphen
