"""How the exports scale: 10,000 cards of a whole meeting in every format.

Builds a temporary SQLite database with the Puerto Vallarta meeting, 200 delegations and
10,000 cards over its seven groups (in six languages, grouped into recommendations, tagged,
some set aside or withdrawn, each group with its report), then writes every export to a
file: CSV, XLSX and JSON of all the cards, and the chair's summary as DOCX.

Each export runs in a fresh process of its own, three times; the time is the median. Memory
is the peak resident set during the export less the resident set before it (ru_maxrss as
Linux keeps it per process in /proc/self/status VmHWM, its peak reset after the setup
through /proc/self/clear_refs; ru_maxrss itself would carry the parent's peak across exec).
It counts what lxml and openpyxl hold outside Python too, unlike tracemalloc. The baseline,
measured the same way in the same run, reads the 10,000 cards plainly (one SELECT of the
cards and their delegations, every row fetched).
Last line: cards=10000 csv_s=... xlsx_s=... docx_s=... json_s=... peak_mb=...
"""

import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
from sqlalchemy import insert
from sqlmodel import Session, col, select

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

from app.across import MeetingFilter  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.exports import cards_csv, cards_json, cards_xlsx  # noqa: E402
from app.meetings import current_meeting, load_meeting, meeting_groups  # noqa: E402
from app.models import (  # noqa: E402
    Card,
    CardTag,
    Delegation,
    Meeting,
    Recommendation,
    Report,
    SetAside,
    Support,
    Tag,
    ident,
)
from app.report import SECTIONS  # noqa: E402
from app.schema import create_schema  # noqa: E402
from app.summary_docx import summary_data, summary_docx  # noqa: E402

CARDS = 10_000
RUNS = 3
FORMATS = ("csv", "xlsx", "json", "docx")
# Besides 170 Member States and 2 observer States: who else writes cards, and how many.
OTHERS = {"un_entity": 6, "igo": 4, "civil_society": 10, "private_sector": 3, "academia": 3,
          "trade_union": 2}  # fmt: skip
WORDS = {
    "en": "migrants rights regular pathways children detention skills remittances data return",
    "fr": "migrants droits voies régulières enfants détention compétences données retour",
    "es": "migrantes derechos vías regulares niños detención competencias datos retorno",
    "ar": "المهاجرين حقوق مسارات نظامية الأطفال الاحتجاز المهارات التحويلات البيانات العودة",
    "zh": "移民 权利 正常途径 儿童 拘留 技能 汇款 数据 返回 合作",
    "ru": "мигранты права законные пути дети задержание навыки переводы данные возвращение",
}


def text(rng: random.Random, language: str, words: int) -> str:
    return " ".join(rng.choice(WORDS[language].split()) for _ in range(words)) + "."


def build(path: Path) -> None:
    """Fill a fresh database as the night before the last day would leave it."""
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    rng = random.Random(2017)
    with Session(engine) as session:
        meeting = load_meeting(session, ROOT / "meetings" / "puerto-vallarta-2017.toml")
        groups = meeting_groups(session, meeting)
        states = list(session.exec(select(Delegation).order_by(col(Delegation.name))))
        for kind, count in OTHERS.items():
            for n in range(count):
                session.add(Delegation(name=f"{kind} {n} {text(rng, 'ar', 2)}", kind=kind))
        session.commit()
        writers = [d for d in states if d.kind == "member_state"][:170]
        writers += [d for d in states if d.kind != "member_state"]
        writers += list(session.exec(select(Delegation).where(Delegation.iso2 == None)))  # noqa: E711
        start = datetime(2017, 12, 4, 15, tzinfo=UTC)
        cards = []
        for n in range(CARDS):
            group = groups[n % len(groups)] if n % 10 else groups[rng.randrange(6)]
            language = rng.choice(meeting.languages)
            answers = {q["key"]: text(rng, language, 40 if q["required"] else 12)
                       for q in group.questions if q["required"] or rng.random() < 0.6}  # fmt: skip
            moment = start + timedelta(seconds=15 * n)
            cards.append({
                "id": str(uuid.uuid4()), "meeting_id": meeting.id, "group_id": group.id,
                "delegation_id": rng.choice(writers).id, "language": language,
                "author_name": rng.choice(["", "Ana", "=cmd", "Олег", "ليلى"]),
                "answers": answers, "status": "withdrawn" if rng.random() < 0.02 else "active",
                "version": 1, "source": "web", "created_at": moment, "updated_at": moment,
            })  # fmt: skip
        session.execute(insert(Card), cards)
        _sort(session, meeting, cards, rng)
        session.commit()
    engine.dispose()


def _sort(session: Session, meeting: Meeting, cards: list[dict], rng: random.Random) -> None:
    """Group most cards into recommendations, tag a third, set some aside; write reports."""
    themes = [ident(t) for t in session.exec(select(Tag))]
    supports, tags, asides = [], [], []
    for group in meeting_groups(session, meeting):
        recs = []
        for position in range(1, 31):
            rec = Recommendation(group_id=ident(group), text=text(rng, "en", 25), position=position)
            session.add(rec)
            recs.append(rec)
        session.flush()
        mine = [c for c in cards if c["group_id"] == group.id]
        for card in mine:
            roll = rng.random()
            if roll < 0.65:
                for rec in rng.sample(recs, rng.choice([1, 1, 2])):
                    supports.append({"recommendation_id": rec.id, "card_id": card["id"]})
            elif roll < 0.75:
                asides.append({"card_id": card["id"], "reason": "off_topic"})
            if rng.random() < 0.3:
                for tag in rng.sample(themes, 2 if rng.random() < 0.3 else 1):
                    tags.append({"card_id": card["id"], "tag_id": tag})
        sections = {s: text(rng, "en", 150) for s in SECTIONS}
        session.add(Report(group_id=ident(group), sections=sections, version=1))
    session.execute(insert(Support), supports)
    session.execute(insert(CardTag), tags)
    session.execute(insert(SetAside), asides)


def memory_kb(field: str) -> int:
    """Return VmRSS (now) or VmHWM (the peak since the last reset) of this process in KB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def child(fmt: str, db: str, out: str) -> None:
    """Run one export (or the plain read) and print its seconds and peak memory rise in KB."""
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        meeting = current_meeting(session)
        assert meeting is not None
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
        before = memory_kb("VmRSS")
        began = time.perf_counter()
        everything = MeetingFilter(status="all")
        if fmt == "read":
            query = select(Card, Delegation).join(
                Delegation, col(Delegation.id) == Card.delegation_id
            )
            assert len(session.exec(query).all()) == CARDS
        elif fmt in ("csv", "json"):
            export = cards_csv if fmt == "csv" else cards_json
            with open(out, "w", encoding="utf-8", newline="") as f:
                for chunk in export(session, meeting, everything):
                    f.write(chunk)
        elif fmt == "xlsx":
            with open(out, "wb") as f:
                cards_xlsx(session, meeting, everything, f)
        else:
            Path(out).write_bytes(summary_docx(summary_data(session, meeting)))
        seconds = time.perf_counter() - began
        after = memory_kb("VmHWM")
    print(f"{seconds:.4f} {after - before}")


def measure(fmt: str, db: Path, out: Path) -> tuple[float, float]:
    """Return the median seconds and the largest memory rise (MB) of RUNS fresh processes."""
    times, rises = [], []
    for _run in range(RUNS):
        result = subprocess.run(
            [sys.executable, __file__, "--child", fmt, str(db), str(out)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        seconds, kilobytes = result.stdout.split()[-2:]
        times.append(float(seconds))
        rises.append(int(kilobytes) / 1024)
    return statistics.median(times), max(rises)


def check(folder: Path) -> None:
    """Read every file back: 10,000 cards in each (the withdrawn ones included)."""
    with open(folder / "cards.csv", encoding="utf-8-sig", newline="") as f:
        assert sum(1 for _row in csv.reader(f)) == CARDS + 1
    assert len(json.loads((folder / "cards.json").read_text(encoding="utf-8"))) == CARDS
    book = openpyxl.load_workbook(folder / "cards.xlsx", read_only=True)
    rows = sum(1 for sheet in book.worksheets[1:] for _row in sheet.iter_rows(values_only=True))
    assert rows == CARDS + len(book.worksheets[1:])  # a header on each group's sheet


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db = folder / "bench.db"
        began = time.perf_counter()
        build(db)
        print(f"built {CARDS} cards from 200 delegations in {time.perf_counter() - began:.1f} s")
        base_s, base_mb = measure("read", db, folder / "read")
        print(f"each in a fresh process, median of {RUNS}; memory: peak RSS rise (VmHWM)")
        print(f"  read  {base_s:6.2f} s          +{base_mb:5.1f} MB   (baseline: plain SELECT)")
        results = {}
        for fmt in FORMATS:
            out = folder / ("summary.docx" if fmt == "docx" else f"cards.{fmt}")
            seconds, rise = measure(fmt, db, out)
            results[fmt] = (seconds, rise)
            size = out.stat().st_size / 1e6
            print(
                f"  {fmt:5} {seconds:6.2f} s  x{seconds / base_s:5.1f}  +{rise:5.1f} MB"
                f"   {size:5.1f} MB file"
            )
        check(folder)
    peak = max(rise for _s, rise in results.values())
    times = " ".join(f"{fmt}_s={results[fmt][0]:.2f}" for fmt in ("csv", "xlsx", "docx", "json"))
    print(f"cards={CARDS} {times} peak_mb={peak:.1f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        main()
