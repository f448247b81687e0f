"""Sorting the demo's largest group in a real browser, as a rapporteur who takes the proposals.

A fresh SQLite database gets the Puerto Vallarta meeting with its demo cards and their vectors
(the real sentence encoder, `embed-cards`), then a live server (one uvicorn worker, as
`make run`) and Chromium at laptop size (1280x800). The rapporteur of the group with the most
cards, signed in:

1. makes a recommendation of each suggested group, in the words proposed (one press each);
2. places each card that shows a likely recommendation in the first one (one press each),
   reloading while new proposals appear;
3. takes the rest one at a time in triage: key 1 where a recommendation is proposed, else N
   (a new recommendation of the card).

The rapporteur here accepts every proposal: what it measures is the work of sorting (actions,
and the machine's time for them), not the judgement, whose quality bench/grouping.py scores.
The baseline, from the same run: one action per card, the least the workspace asked before
suggestions (each card placed by typing an R-number). A person also reads every card: the
seconds are the machine's part only. BENCH_SORT_GROUP names another group. Last line:
cards=... actions=... suggestions=... likely=... triage=... seconds=... actions_per_card=...
"""

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from _live import PYTHON, ROOT, environment, free_port, start  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "a long benchmark password"


def prepare(database: Path) -> str:
    """Migrate, load the meeting with demo cards, embed them; return the largest group."""
    env = {**environment(database), "ACTIONCARDS_PASSWORD": PASSWORD}
    meeting = str(ROOT / "meetings" / "puerto-vallarta-2017.toml")
    for command in (["migrate"], ["load-meeting", meeting, "--demo"], ["embed-cards"]):
        subprocess.run(
            [PYTHON, "-m", "app", *command], env=env, cwd=ROOT, check=True, capture_output=True
        )
    slug = os.environ.get("BENCH_SORT_GROUP") or largest_group(database)
    subprocess.run(
        [PYTHON, "-m", "app", "create-user", "ravi", "--role", "rapporteur", "--group", slug],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    return slug


def largest_group(database: Path) -> str:
    with sqlite3.connect(database) as db:
        query = (
            'SELECT g.slug FROM card c JOIN "group" g ON g.id = c.group_id'
            " WHERE c.status = 'active' GROUP BY g.slug ORDER BY count(*) DESC LIMIT 1"
        )
        return str(db.execute(query).fetchone()[0])


def cards_in(database: Path, slug: str) -> int:
    with sqlite3.connect(database) as db:
        query = (
            'SELECT count(*) FROM card c JOIN "group" g ON g.id = c.group_id'
            " WHERE c.status = 'active' AND g.slug = ?"
        )
        return int(db.execute(query, (slug,)).fetchone()[0])


def sort_group(page: Page, base: str, slug: str) -> Counter[str]:
    """Sort every card of the group; return how many actions of each kind it took."""
    actions: Counter[str] = Counter()
    page.goto(f"{base}/groups/{slug}")
    while True:
        suggestion = page.locator("#suggestions article.suggestion").first
        likely = page.locator(".likely button").first
        if suggestion.count():
            suggestion.locator("button[value=create]").click()
            page.wait_for_load_state()
            actions["suggestions"] += 1
        elif likely.count():
            card = likely.locator("xpath=ancestor::*[starts-with(@id, 'card-')][1]")
            card_id = card.get_attribute("id")
            likely.click()
            page.locator(f"#{card_id} .likely").wait_for(state="detached")
            actions["likely"] += 1
        elif actions["likely"] != actions.get("_seen", 0):
            actions["_seen"] = actions["likely"]
            page.reload()  # placed cards may have made other recommendations likely
        else:
            break
    del actions["_seen"]
    page.goto(f"{base}/groups/{slug}/triage")
    while page.locator("[data-card]").count():
        lead = page.locator("p.lead").inner_text()
        card = page.locator("[data-card]").get_attribute("data-card")
        page.keyboard.press("1" if page.locator(f"#likely-{card}-1").count() else "n")
        page.wait_for_function(
            "lead => !document.querySelector('[data-card]') ||"
            " document.querySelector('p.lead').innerText !== lead",
            arg=lead,
        )
        actions["triage"] += 1
    return actions


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "sorting.db"
        slug = prepare(database)
        cards = cards_in(database, slug)
        port = free_port()
        server = start("app.main:app", port, database)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"{base}/signin")
                page.fill("input[name=username]", "ravi")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                began = time.perf_counter()
                actions = sort_group(page, base, slug)
                seconds = time.perf_counter() - began
                page.goto(f"{base}/groups/{slug}")
                left = page.locator("#cards article").count()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    total = sum(actions.values())
    print(f"group {slug}: {cards} cards, {left} left to sort in the default view afterwards")
    print(
        f"actions: {total} ({actions['suggestions']} suggestions taken, {actions['likely']}"
        f" likely recommendations, {actions['triage']} in triage); baseline, one per card:"
        f" {cards}; ratio {total / cards:.2f}"
    )
    print(f"machine time: {seconds:.1f} s, {seconds / max(total, 1):.2f} s per action")
    print(
        f"cards={cards} actions={total} suggestions={actions['suggestions']}"
        f" likely={actions['likely']} triage={actions['triage']} seconds={seconds:.1f}"
        f" actions_per_card={total / cards:.2f}"
    )


if __name__ == "__main__":
    main()
