"""The secretariat's command line: python -m app."""

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docx
import openpyxl
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from sqlmodel import Session, select

from app.cli import main
from app.db import get_engine
from app.main import create_app
from app.models import AccessCode, Group, Meeting, RapporteurGroup, User
from app.settings import get_settings
from tests.conftest import MEETING_FILE, ROOT


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the command line at a fresh SQLite file, migrated like `make run` does."""
    monkeypatch.setenv("ACTIONCARDS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ACTIONCARDS_PUBLIC_URL", "https://cards.example.org")
    get_settings.cache_clear()
    get_engine.cache_clear()
    assert main(["migrate"]) == 0
    assert main(["load-meeting", str(MEETING_FILE)]) == 0
    yield tmp_path
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def db() -> Session:
    return Session(get_engine())


def test_help_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0
    for name in (
        "load-meeting",
        "import-delegations",
        "issue-codes",
        "print-slips",
        "print-posters",
        "create-user",
        "export-cards",
        "chair-summary",
        "intake",
        "revoke-code",
    ):
        assert name in result.stdout


def test_issue_codes_and_print_the_slips(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["issue-codes", "--kind", "observer_state"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[1] for line in printed] == ["Holy See", "State of Palestine"]
    assert main(["issue-codes", "--kind", "observer_state"]) == 0  # keeps the same codes
    assert capsys.readouterr().out.splitlines() == printed
    assert main(["print-slips", str(cli_db / "slips.html")]) == 0
    page = BeautifulSoup((cli_db / "slips.html").read_text(encoding="utf-8"), "html.parser")
    slips = page.select(".slip")
    assert [s.h2.get_text() for s in slips] == ["Holy See", "State of Palestine"]
    assert slips[0].select_one("svg") is not None
    assert slips[0].select_one(".code").get_text() == printed[0].split("\t")[0]
    assert "https://cards.example.org/join" in slips[0].get_text()


def test_print_slips_in_french_names_states_in_french(cli_db: Path) -> None:
    main(["issue-codes", "--delegation", "Germany"])
    main(["--language", "fr", "print-slips", str(cli_db / "slips.html")])
    page = BeautifulSoup((cli_db / "slips.html").read_text(encoding="utf-8"), "html.parser")
    assert page.html["lang"] == "fr"
    assert page.select_one(".slip h2").get_text() == "Allemagne"


def test_unknown_delegation_is_an_error(cli_db: Path) -> None:
    assert main(["issue-codes", "--delegation", "Atlantis"]) == 1


def test_revoke_a_code(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["issue-codes", "--delegation", "Chile"])
    code = capsys.readouterr().out.split("\t")[0]
    assert main(["revoke-code", code]) == 0
    assert main(["revoke-code", code]) == 1
    with db() as session:
        assert session.exec(select(AccessCode)).one().revoked_at is not None


def test_posters_one_per_group_with_its_link(cli_db: Path) -> None:
    assert main(["print-posters", str(cli_db / "posters.html")]) == 0
    page = BeautifulSoup((cli_db / "posters.html").read_text(encoding="utf-8"), "html.parser")
    urls = [p.get_text() for p in page.select(".poster .url")]
    assert urls[0] == "https://cards.example.org/g/global"
    assert len(urls) == 7 and len(page.select(".poster svg")) == 7


def test_create_users_with_argon2_passwords(
    cli_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACTIONCARDS_PASSWORD", "a long enough secret")
    assert main(["create-user", "ana", "--role", "rapporteur", "--group", "human"]) == 0
    capsys.readouterr()
    assert main(["create-user", "ANA", "--role", "rapporteur"]) == 1  # exists already
    assert "This username is taken." in capsys.readouterr().err
    assert main(["create-user", "bo", "--role", "rapporteur", "--group", "nowhere"]) == 1
    assert "nowhere" in capsys.readouterr().err
    monkeypatch.setenv("ACTIONCARDS_PASSWORD", "short")
    assert main(["create-user", "cy", "--role", "secretariat"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    with db() as session:
        [user] = session.exec(select(User)).all()
        assert user.password_hash.startswith("$argon2")
        assert PasswordHash.recommended().verify("a long enough secret", user.password_hash)
        link = session.exec(select(RapporteurGroup)).one()
        assert session.get(Group, link.group_id).slug == "human"  # type: ignore[union-attr]


def test_an_account_made_on_the_command_line_signs_in(
    cli_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIONCARDS_PASSWORD", "a long enough secret")
    assert main(["create-user", "Sam", "--role", "secretariat", "--name", "Sam Okafor"]) == 0
    with TestClient(create_app(), headers={"Origin": "http://testserver"}) as browser:
        form = {"username": "Sam", "password": "a long enough secret"}
        response = browser.post("/signin", data=form, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/overview"
        assert "Sam Okafor" in browser.get("/accounts").text


def test_import_delegations_from_csv(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = cli_db / "good.csv"
    good.write_text("name,kind,iso2\nMigrant Forum in Asia,civil_society,\n", encoding="utf-8")
    assert main(["import-delegations", str(good)]) == 0
    assert "1 added" in capsys.readouterr().out
    bad = cli_db / "bad.csv"
    bad.write_text("name,kind,iso2\nSomeone,aliens,\n", encoding="utf-8")
    assert main(["import-delegations", str(bad)]) == 1
    assert "unknown kind 'aliens'" in capsys.readouterr().err


def test_export_cards_as_csv_json_and_xlsx(cli_db: Path) -> None:
    assert main(["load-meeting", str(MEETING_FILE), "--demo"]) == 0
    assert main(["export-cards", "--group", "human", "-o", str(cli_db / "h.csv")]) == 0
    raw = (cli_db / "h.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows and {r["Group"] for r in rows} == {"6. Human dimension"}
    assert all(r["Actionable commitments for the Global Compact"] for r in rows)
    assert {r["Status"] for r in rows} >= {"Inbox", "Withdrawn"}  # all cards unless asked
    assert main(["export-cards", "--format", "json", "-o", str(cli_db / "all.json")]) == 0
    records = json.loads((cli_db / "all.json").read_text(encoding="utf-8"))
    assert len(records) > len(rows)
    assert any("é" in json.dumps(r["answers"], ensure_ascii=False) for r in records)
    options = ["--status", "active", "--written-in", "es", "--delegation", "Mexico"]
    assert main(["export-cards", "--format", "xlsx", *options, "-o", str(cli_db / "m.xlsx")]) == 0
    book = openpyxl.load_workbook(cli_db / "m.xlsx")
    assert book.sheetnames[0] == "Summary" and len(book.sheetnames) == 8
    found = [row for sheet in book.worksheets[1:] for row in sheet.iter_rows(min_row=2)]
    assert found and {(r[3].value, r[5].value, r[7].value) for r in found} <= {
        ("Mexico", "Spanish", status) for status in ("Inbox", "In recommendations")
    }
    assert len(found) == sum(
        1 for r in records
        if (r["delegation"], r["language"], r["status"]) == ("Mexico", "es", "active")
    )  # fmt: skip


def test_export_cards_of_an_unknown_delegation_is_an_error(
    cli_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export-cards", "--delegation", "Atlantis"]) == 1
    assert "no delegation 'Atlantis'" in capsys.readouterr().err


def test_chair_summary_in_french(cli_db: Path) -> None:
    assert main(["load-meeting", str(MEETING_FILE), "--demo"]) == 0
    assert main(["--language", "fr", "chair-summary", str(cli_db / "summary.docx")]) == 0
    document = docx.Document(str(cli_db / "summary.docx"))
    assert document.core_properties.language == "fr"
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert len(headings) == 7 and "Dimension humaine" in headings[5]


def test_close_and_open_intake(cli_db: Path) -> None:
    assert main(["intake", "close", "--group", "global"]) == 0
    with db() as session:
        closed = {g.slug for g in session.exec(select(Group)) if not g.intake_open}
        assert closed == {"global"}
    assert main(["intake", "close"]) == 0
    with db() as session:
        assert session.exec(select(Meeting)).one().intake_open is False
