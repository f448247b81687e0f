"""`python -m app print-cards`: issue serials for blank paper cards and write their A4 sheets."""

import argparse
import sys
from pathlib import Path

from sqlmodel import Session, select

from app import paper, printing
from app.audit import Actor
from app.db import get_engine
from app.meetings import current_meeting, meeting_groups
from app.models import Delegation
from app.settings import get_settings

# The audit log's author of what the command line does.
COMMAND_LINE = Actor("system", None, "python -m app print-cards")


def print_cards(args: argparse.Namespace) -> int:
    """Issue the next serials of a group (or reprint a batch) and write the sheet of cards."""
    with Session(get_engine()) as session:
        meeting = current_meeting(session, get_settings().meeting)
        if meeting is None:
            print("error: no meeting loaded: run load-meeting first", file=sys.stderr)
            return 1
        if args.batch:
            serials = paper.batch_serials(session, meeting, args.batch)
            if not serials:
                print(f"error: no batch {args.batch}", file=sys.stderr)
                return 1
        else:
            groups = meeting_groups(session, meeting)
            group = next((g for g in groups if g.slug == args.group), None)
            if group is None:
                print(f"error: no group {args.group!r}: give --group SLUG", file=sys.stderr)
                return 1
            if not 1 <= args.count <= paper.MAX_BATCH:
                print(f"error: --count from 1 to {paper.MAX_BATCH}", file=sys.stderr)
                return 1
            delegation = None
            if args.delegation:
                query = select(Delegation).where(Delegation.name == args.delegation)
                delegation = session.exec(query).first()
                if delegation is None:
                    print(f"error: no delegation {args.delegation!r}", file=sys.stderr)
                    return 1
            serials = paper.issue_serials(
                session, meeting, group, args.count, COMMAND_LINE, delegation
            )
        html = printing.cards_html(session, meeting, serials)
        first, last, batch = serials[0].serial, serials[-1].serial, serials[0].batch
    Path(args.output).write_text(html, encoding="utf-8")
    print(f"wrote {args.output}: batch {batch}, {first} to {last}; print on A4 and cut in four")
    return 0


def add_command(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Describe the command and its options."""
    help = "issue serials for blank A6 paper cards of a group and write them, four to an A4 sheet"
    c = sub.add_parser("print-cards", help=help, description=help)
    c.set_defaults(func=print_cards)
    c.add_argument("output", help="HTML file to write")
    c.add_argument("--group", help="the group's slug")
    c.add_argument("--count", type=int, default=40, help="how many cards (default 40)")
    c.add_argument("--delegation", help="pre-print this delegation's name (as stored)")
    c.add_argument("--batch", type=int, help="print an issued batch again (no new serials)")
