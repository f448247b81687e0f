"""The command line: python -m app COMMAND --help."""

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from alembic import command
from alembic.config import Config
from sqlmodel import Session, col, select

from app import access, auth, embedding, exports, paper_cli, printing, suggestions
from app.across import STATUSES, MeetingFilter
from app.backup import BackupError, backup, restore
from app.db import get_engine
from app.demo import load_demo
from app.i18n import set_language
from app.meetings import (
    MeetingFileError,
    current_meeting,
    import_delegations,
    load_meeting,
    meeting_groups,
    read_delegations_csv,
)
from app.models import AccessCode, Delegation, Meeting, ident
from app.settings import get_settings
from app.summary_docx import summary_data, summary_docx

ROOT = Path(__file__).parent.parent


def migrate(_args: argparse.Namespace) -> int:
    """Bring the database schema up to date."""
    command.upgrade(Config(str(ROOT / "alembic.ini")), "head")
    return 0


def load_meeting_cmd(args: argparse.Namespace) -> int:
    with Session(get_engine()) as session:
        try:
            meeting = load_meeting(session, Path(args.file))
        except MeetingFileError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        groups = meeting_groups(session, meeting)
        print(f"loaded {meeting.slug}: {len(groups)} groups")
        if args.demo:
            print(f"demo: {load_demo(session, meeting)} cards added")
    return 0


def _meeting(session: Session) -> Meeting:
    meeting = current_meeting(session, get_settings().meeting)
    if meeting is None:
        raise SystemExit("error: no meeting loaded; run: python -m app load-meeting FILE")
    return meeting


def import_delegations_cmd(args: argparse.Namespace) -> int:
    with Session(get_engine()) as session:
        kinds = {k["slug"] for k in _meeting(session).delegation_kinds}
        result = import_delegations(session, read_delegations_csv(Path(args.file)), kinds)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    if result.errors:
        print("nothing imported", file=sys.stderr)
        return 1
    print(f"{result.added} added, {result.updated} updated")
    return 0


def issue_codes(args: argparse.Namespace) -> int:
    with Session(get_engine()) as session:
        meeting = _meeting(session)
        query = select(Delegation).order_by(col(Delegation.name))
        if args.kind:
            query = query.where(col(Delegation.kind).in_(args.kind))
        if args.delegation:
            query = query.where(col(Delegation.name).in_(args.delegation))
        delegations = list(session.exec(query))
        if args.delegation and len(delegations) != len(set(args.delegation)):
            found = {d.name for d in delegations}
            print(f"error: unknown: {sorted(set(args.delegation) - found)}", file=sys.stderr)
            return 1
        codes = [(d, access.issue_code(session, meeting, d)) for d in delegations]
        session.commit()
        for delegation, code in codes:
            print(f"{access.display(code.code)}\t{delegation.name}")
    return 0


def revoke_code(args: argparse.Namespace) -> int:
    with Session(get_engine()) as session:
        found = access.find_active(session, _meeting(session), args.code)
        if found is None:
            print("error: no active code like that", file=sys.stderr)
            return 1
        access.revoke_code(session, found)
        session.commit()
    print("revoked; issue a new one with: python -m app issue-codes --delegation NAME")
    return 0


def print_slips(args: argparse.Namespace) -> int:
    return _print_sheets(args, lambda s, m: printing.slips_html(s, m, args.kind))


def print_posters(args: argparse.Namespace) -> int:
    return _print_sheets(args, printing.posters_html)


def _print_sheets(args: argparse.Namespace, render: Callable[[Session, Meeting], str]) -> int:
    """Write sheets whose QR codes phones can open: refuse an address only this computer opens."""
    url = get_settings().public_url
    problem = printing.public_url_problem(url)
    if problem and not (args.allow_loopback and printing.is_loopback(url)):
        print(
            f"error: ACTIONCARDS_PUBLIC_URL: {problem}.\n"
            "Set it to the address delegates' phones open, then print again, for example:\n"
            f"  ACTIONCARDS_PUBLIC_URL=https://cards.example.org python -m app {args.command} ...\n"
            "To try the sheets on this computer only, add --allow-loopback.",
            file=sys.stderr,
        )
        return 1
    if problem:
        print(
            f"WARNING: {problem}. These sheets are for trying out on this computer:"
            " do not hand them out. Set ACTIONCARDS_PUBLIC_URL before printing the real ones.",
            file=sys.stderr,
        )
    with Session(get_engine()) as session:
        html = render(session, _meeting(session))
    Path(args.output).write_text(html, encoding="utf-8")
    print(f"wrote {args.output}: open it in a browser and print on A4")
    return 0


def create_user(args: argparse.Namespace) -> int:
    """Make an account as /accounts does (app.auth.create_account), from the command line."""
    password = os.environ.get("ACTIONCARDS_PASSWORD") or getpass.getpass("Password: ")
    with Session(get_engine()) as session:
        try:
            user = auth.create_account(
                session, _meeting(session), args.username, args.name or "", args.role,
                password, args.group or [],
            )  # fmt: skip
        except auth.AccountErrors as wrong:
            for field, message in wrong.errors.items():
                print(f"error: {field}: {message}", file=sys.stderr)
            return 1
        session.commit()
        print(f"created {user.role} {user.username}")
    return 0


def export_cards(args: argparse.Namespace) -> int:
    with Session(get_engine()) as session:
        meeting = _meeting(session)
        f = MeetingFilter(
            q=args.q or "",
            group=args.group or "",
            kind=args.kind or "",
            language=args.written_in or "",
            status=args.status,
        )
        if args.delegation:
            query = select(Delegation).where(Delegation.name == args.delegation)
            delegation = session.exec(query).first()
            if delegation is None:
                print(f"error: no delegation {args.delegation!r}", file=sys.stderr)
                return 1
            f.delegation = ident(delegation)
        with _output(args.output) as out:
            if args.format == "xlsx":
                exports.cards_xlsx(session, meeting, f, out)
            else:
                chunks = (exports.cards_csv if args.format == "csv" else exports.cards_json)(
                    session, meeting, f
                )
                for chunk in chunks:
                    out.write(chunk.encode("utf-8"))
    if args.output != "-":
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


@contextmanager
def _output(path: str) -> Iterator[IO[bytes]]:
    """Open the file to write, or standard output for "-"."""
    if path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
    else:
        with open(path, "wb") as out:
            yield out


def chair_summary(args: argparse.Namespace) -> int:
    with Session(get_engine()) as session:
        document = summary_docx(summary_data(session, _meeting(session)))
    Path(args.output).write_bytes(document)
    print(f"wrote {args.output}: the draft chair's summary, every group's report")
    return 0


def set_intake(args: argparse.Namespace) -> int:
    with Session(get_engine()) as session:
        meeting = _meeting(session)
        is_open = args.state == "open"
        if not args.group:
            meeting.intake_open = is_open
            session.add(meeting)
        for group in meeting_groups(session, meeting):
            if group.slug in (args.group or []):
                group.intake_open = is_open
                session.add(group)
        session.commit()
    print(f"intake {args.state}: {', '.join(args.group) if args.group else 'whole meeting'}")
    return 0


def backup_cmd(args: argparse.Namespace) -> int:
    try:
        backup(get_engine(), Path(args.file))
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote a snapshot to {args.file}")
    return 0


def restore_cmd(args: argparse.Namespace) -> int:
    try:
        counts = restore(Path(args.file), get_engine())
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(", ".join(f"{table} {n}" for table, n in counts.items() if n))
    return 0


def list_codes(_args: argparse.Namespace) -> int:
    with Session(get_engine()) as session:
        query = (
            select(AccessCode, Delegation)
            .join(Delegation, col(Delegation.id) == AccessCode.delegation_id)
            .where(AccessCode.meeting_id == _meeting(session).id)
            .order_by(col(Delegation.name))
        )
        for code, delegation in session.exec(query):
            state = "revoked" if code.revoked_at else "active"
            print(f"{access.display(code.code)}\t{state}\t{delegation.name}")
    return 0


def embed_cards(_args: argparse.Namespace) -> int:
    """Compute the vectors of every card that has none, or an outdated one."""
    with Session(get_engine()) as session:
        print(f"embedded {embedding.embed_all(session)} cards")
    return 0


def suggest_groups(args: argparse.Namespace) -> int:
    """Print the groups the workspace suggests for a group's unplaced cards."""
    with Session(get_engine()) as session:
        meeting = _meeting(session)
        group = next((g for g in meeting_groups(session, meeting) if g.slug == args.group), None)
        if group is None:
            print(f"error: no group {args.group!r} in {meeting.slug}", file=sys.stderr)
            return 1
        embedding.embed_all(session)  # what the background thread would have done by now
        found = suggestions.suggestions(session, group, args.closeness)
        entries: list[dict[str, Any]] = [_suggestion_entry(s) for s in found.groups] + [
            {"label": suggestions.card_label(group, card), "cards": [card.id], "reasons": []}
            for card in found.alone
        ]
    if args.json:
        print(json.dumps(entries, ensure_ascii=False, indent=2))
        return 0
    for entry in entries:
        print(f"{entry['label']}\n  cards: {', '.join(entry['cards'])}")
        for reason in entry["reasons"]:
            print(f"  {reason}")
    return 0


def _suggestion_entry(suggestion: suggestions.Suggestion) -> dict[str, object]:
    reasons = [
        f"closeness {suggestion.closeness:.2f}",
        f"languages: {', '.join(suggestion.languages)}",
    ]
    if suggestion.shared:
        reasons.append(f"shared words: {', '.join(suggestion.shared)}")
    return {
        "label": suggestion.label,
        "cards": [c.id for c in suggestion.cards],
        "reasons": reasons,
    }


def _loopback_option(command_parser: argparse.ArgumentParser) -> None:
    command_parser.add_argument(
        "--allow-loopback",
        action="store_true",
        help="print even when ACTIONCARDS_PUBLIC_URL is 127.0.0.1 or localhost (to try it out)",
    )


def parser() -> argparse.ArgumentParser:
    """Describe every command and its options."""
    p = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    p.add_argument(
        "--language", default="en", help="language of printed sheets and exports (en, fr, es...)"
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help: str) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        command_parser = sub.add_parser(name, help=help, description=help)
        command_parser.set_defaults(func=func)
        return command_parser

    add("migrate", migrate, "bring the database schema up to date (alembic upgrade head)")
    c = add("load-meeting", load_meeting_cmd, "load or update a meeting from its TOML file")
    c.add_argument("file")
    c.add_argument("--demo", action="store_true", help="also load the demo delegations and cards")
    c = add("import-delegations", import_delegations_cmd, "add delegations from a CSV file")
    c.add_argument("file", help="UTF-8 CSV with columns name, kind, iso2 (iso2 may be empty)")
    c = add("issue-codes", issue_codes, "give delegations access codes (keeps existing ones)")
    c.add_argument("--kind", action="append", help="only delegations of this kind (repeatable)")
    c.add_argument("--delegation", action="append", help="only this delegation (repeatable)")
    add("list-codes", list_codes, "list the meeting's access codes")
    c = add("revoke-code", revoke_code, "revoke an access code; phones using it are signed out")
    c.add_argument("code")
    c = add("print-slips", print_slips, "write the A4 sheet of access slips with QR codes")
    c.add_argument("output", help="HTML file to write")
    c.add_argument("--kind", action="append", help="only delegations of this kind (repeatable)")
    _loopback_option(c)
    c = add("print-posters", print_posters, "write one A4 QR poster per group")
    c.add_argument("output", help="HTML file to write")
    _loopback_option(c)
    paper_cli.add_command(sub)
    c = add(
        "create-user",
        create_user,
        "create an account (password from ACTIONCARDS_PASSWORD or asked)",
    )
    c.add_argument("username")
    c.add_argument("--role", choices=auth.ROLES, required=True)
    c.add_argument("--name", help="the name shown to others")
    c.add_argument(
        "--group", action="append", help="a rapporteur's or moderator's group slug (repeatable)"
    )
    c = add("export-cards", export_cards, "export the meeting's cards (all unless filtered)")
    c.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
    c.add_argument("--group", help="only this group's cards (its slug)")
    c.add_argument("--kind", help="only cards from this kind of delegation (its slug)")
    c.add_argument("--written-in", help="only cards written in this language (en, fr...)")
    c.add_argument("--delegation", help="only this delegation's cards (its name)")
    c.add_argument("--q", help="only cards whose text, delegation or author contains this")
    c.add_argument(
        "--status",
        choices=STATUSES,
        default="all",
        help="active, withdrawn, or all (the default, unlike the screen's active)",
    )
    c.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    c = add("chair-summary", chair_summary, "write the draft chair's summary as a Word document")
    c.add_argument("output", help="DOCX file to write")
    add("embed-cards", embed_cards, "compute the vectors of cards that have none or an old one")
    c = add("suggest-groups", suggest_groups, "print the workspace's suggested groups of a group")
    c.add_argument("--group", required=True, help="the group's slug")
    c.add_argument("--json", action="store_true", help="a JSON list of {label, cards, reasons}")
    c.add_argument("--closeness", type=int, default=0, help="tighter (1, 2...) or looser (-1...)")
    c = add("intake", set_intake, "open or close intake for the meeting or some groups")
    c.add_argument("state", choices=("open", "close"))
    c.add_argument("--group", action="append", help="only this group (repeatable)")
    c = add("backup", backup_cmd, "write a consistent snapshot of the database (while it runs)")
    c.add_argument("file", help="new file to write (an SQLite database)")
    c = add("restore", restore_cmd, "restore a snapshot into an empty, migrated database")
    c.add_argument("file")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command."""
    args = parser().parse_args(argv)
    set_language(args.language)
    return int(args.func(args))
