"""Every route against every role: who gets in, and what the others get instead.

A route added without a rule here fails `test_every_route_has_a_rule`.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from app.models import Comment, Meeting, Recommendation, Support, User, ident
from tests.conftest import add_card, browser_like, code_for, sign_in_as

ROLES = (
    "anonymous", "owner", "other_delegation", "other_rapporteur", "rapporteur",
    "cofacilitator", "secretariat",
)  # fmt: skip
STAFF = ("other_rapporteur", "rapporteur", "cofacilitator", "secretariat")
DELEGATES = ("owner", "other_delegation")


def public(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def delegate_page(owner: int, other: int | None = None) -> dict[str, int]:
    """Pages for the delegation that owns the card; the others are sent to the join page."""
    rules = dict.fromkeys(ROLES, 303)
    rules.update(owner=owner, other_delegation=owner if other is None else other)
    return rules


def api(owner: int, other: int | None = None) -> dict[str, int]:
    rules = dict.fromkeys(ROLES, 401)
    rules.update(owner=owner, other_delegation=owner if other is None else other)
    return rules


def staff_read(status: int = 200) -> dict[str, int]:
    rules = dict.fromkeys(ROLES, 303)
    rules.update(other_rapporteur=403, rapporteur=status, cofacilitator=status, secretariat=status)
    return rules


def staff_write(status: int = 303) -> dict[str, int]:
    rules = staff_read(status)
    rules["cofacilitator"] = 403
    return rules


def reviewer(status: int = 200) -> dict[str, int]:
    """Pages across all groups: co-facilitators and the secretariat; rapporteurs see their own."""
    rules = dict.fromkeys(ROLES, 303)
    rules.update(other_rapporteur=403, rapporteur=403, cofacilitator=status, secretariat=status)
    return rules


def secretariat(status: int = 200) -> dict[str, int]:
    rules = dict.fromkeys(ROLES, 303)
    rules.update(dict.fromkeys(STAFF, 403), secretariat=status)
    return rules


# (method, path template): (form or JSON body, expected status per role)
RULES: dict[tuple[str, str], tuple[dict | None, dict[str, int]]] = {
    ("GET", "/"): (None, public()),
    ("GET", "/join"): (None, public()),
    ("POST", "/join"): ({"code": "nope"}, public(422)),
    ("GET", "/j/{code}"): (None, public(404)),  # a wrong code: a right one would sign in
    ("GET", "/join/delegation"): (None, public(404)),
    ("POST", "/join/delegation"): ({"delegation": "Chile"}, public(404)),
    ("GET", "/language/{code}"): (None, public(303)),
    ("POST", "/signout"): (None, public(303)),
    ("GET", "/signin"): (None, public()),
    ("POST", "/signin"): ({"username": "x", "password": "y"}, public(422)),
    ("GET", "/healthz"): (None, public()),
    ("GET", "/readyz"): (None, public()),
    ("GET", "/sw.js"): (None, public()),
    ("GET", "/g/{slug}"): (None, public(303)),
    ("GET", "/cards/new"): (None, delegate_page(200)),
    ("POST", "/cards"): ({"group": "human"}, delegate_page(422)),
    ("GET", "/cards"): (None, delegate_page(200)),
    ("GET", "/cards/{card_id}"): (None, delegate_page(200, 404)),
    ("GET", "/cards/{card_id}/edit"): (None, delegate_page(200, 404)),
    ("POST", "/cards/{card_id}/edit"): ({"group": "human"}, delegate_page(422, 404)),
    ("GET", "/cards/{card_id}/withdraw"): (None, delegate_page(200, 404)),
    ("POST", "/cards/{card_id}/withdraw"): (None, delegate_page(303, 404)),
    ("POST", "/cards/{card_id}/restore"): (None, delegate_page(303, 404)),
    ("GET", "/api/groups"): (None, public()),
    ("POST", "/api/cards"): ({"group": "human", "answers": {}, "language": "en"}, api(422)),
    ("GET", "/api/cards/{card_id}"): (None, api(200, 404)),
    ("GET", "/api/groups/{slug}/cards"): (None, api(200)),
    ("GET", "/groups"): (None, {**staff_read(), "other_rapporteur": 200}),
    ("GET", "/groups/{slug}"): (None, staff_read()),
    ("GET", "/groups/{slug}/arrivals"): (None, staff_read(400)),
    ("POST", "/groups/{slug}/seen"): ({"shown_at": "x"}, staff_read(303)),  # one's own look
    ("GET", "/groups/{slug}/cards/{card_id}"): (None, staff_read()),
    ("POST", "/groups/{slug}/cards/{card_id}/tags"): ({"new_tag": "x"}, staff_write()),
    ("POST", "/groups/{slug}/cards/{card_id}/support"): ({"recommendation": "new"}, staff_write()),
    ("POST", "/groups/{slug}/cards/{card_id}/support/{recommendation_id}/delete"): (
        None,
        staff_write(),
    ),  # fmt: skip
    ("POST", "/groups/{slug}/cards/{card_id}/set-aside"): ({"reason": "off_topic"}, staff_write()),
    ("POST", "/groups/{slug}/cards/{card_id}/tag-proposals"): ({"tag": "x"}, staff_write(400)),
    ("POST", "/groups/{slug}/recommendations"): ({"text": "x"}, staff_write()),
    ("POST", "/groups/{slug}/recommendations/{recommendation_id}"): (
        {"action": "edit", "text": "y"},
        staff_write(),
    ),  # fmt: skip
    # No card named: refused whole (422) to those who may act on the group's suggestions.
    ("POST", "/groups/{slug}/suggestions"): ({"action": "dismiss"}, staff_write(422)),
    ("GET", "/groups/{slug}/triage"): (None, staff_write(200)),
    ("POST", "/groups/{slug}/recommendations/{recommendation_id}/placements/{card_id}"): (
        {"action": "confirm"},  # with no version seen: told to reload
        staff_write(422),
    ),  # fmt: skip
    ("GET", "/cards/similar"): (None, api(200)),  # the hint: a delegate's, or an empty 401
    # Supporting a card: its own delegation is told it already counts, another one supports it.
    ("POST", "/cards/{card_id}/support"): (None, delegate_page(409, 303)),
    ("POST", "/groups/{slug}/cards/bulk"): ({"action": "set_aside"}, staff_write(422)),
    ("GET", "/groups/{slug}/report"): (None, staff_read()),
    ("POST", "/groups/{slug}/report"): ({"version": "0", "summary": "s"}, staff_write()),
    ("GET", "/groups/{slug}/report/print"): (None, staff_read()),
    ("GET", "/groups/{slug}/report.docx"): (None, staff_read()),
    ("GET", "/groups/{slug}/report.md"): (None, staff_read()),
    ("GET", "/groups/{slug}/report/present"): (None, staff_read()),
    ("GET", "/groups/{slug}/review"): (None, staff_read()),
    ("POST", "/groups/{slug}/comments"): ({"body": "x"}, staff_read(303)),
    ("POST", "/groups/{slug}/comments/{comment_id}/resolve"): (None, staff_read(303)),
    # 409: nothing to review, unless the role saved a draft above (only the secretariat can).
    ("POST", "/groups/{slug}/reviewed"): (None, reviewer(303)),
    ("GET", "/overview"): (None, reviewer()),
    ("GET", "/search"): (None, reviewer()),
    ("GET", "/delegations"): (None, reviewer()),
    ("GET", "/delegations/{delegation_id}"): (None, reviewer()),
    ("GET", "/recurring"): (None, reviewer()),
    # No recommendations named: refused whole (422) to those who may decide.
    ("POST", "/recurring/choices"): ({"decision": "confirm"}, reviewer(422)),
    ("GET", "/accounts"): (None, secretariat()),
    ("GET", "/audit"): (None, secretariat()),
    ("GET", "/audit.csv"): (None, secretariat()),
    ("POST", "/accounts"): ({"username": ""}, secretariat(422)),
    ("POST", "/accounts/{account_id}/password"): ({"password": "x"}, secretariat(422)),
    ("POST", "/accounts/{account_id}"): (
        {"role": "rapporteur", "group_human": "human"},
        secretariat(303),
    ),
    ("POST", "/accounts/{account_id}/deactivate"): (None, secretariat(303)),
    ("POST", "/accounts/{account_id}/activate"): (None, secretariat(303)),
    # Exports across all groups: co-facilitators and the secretariat, not rapporteurs.
    ("GET", "/exports/cards.csv"): (None, reviewer()),
    ("GET", "/exports/cards.xlsx"): (None, reviewer()),
    ("GET", "/exports/cards.json"): (None, reviewer()),
    ("GET", "/exports/summary.docx"): (None, reviewer()),
    # Paper cards: the secretariat's (clerks, who key them in too, in tests/test_paper.py).
    ("GET", "/desk"): (None, secretariat()),
    ("GET", "/desk/delegations"): (None, secretariat()),
    ("POST", "/desk/cards"): ({"serial": "nope"}, secretariat(422)),
    ("GET", "/paper"): (None, secretariat()),
    ("POST", "/paper/batches"): ({"count": "0"}, secretariat(422)),
    ("GET", "/paper/batches/{batch}"): (None, secretariat(404)),  # none issued
    ("POST", "/paper/void"): ({"serial": "G1-0001"}, secretariat(422)),
    ("POST", "/paper/double-entry"): ({"double_entry": "on"}, secretariat(303)),
    # Double entry's differences (clerks settle them too, in tests/test_double_entry.py).
    ("GET", "/desk/differences"): (None, secretariat()),
    ("GET", "/desk/differences/{serial}"): (None, secretariat(404)),  # none issued
    ("POST", "/desk/differences/{serial}"): ({}, secretariat(404)),
    # Speakers lists (app.routes.floor, app.routes.speak): moderators of the group and the
    # secretariat run one (moderators are tested in tests/test_floor.py); anyone signed in
    # follows it. An action naming no version is refused (409); a request that is not there, 404.
    ("GET", "/floor"): (None, staff_read() | {"other_rapporteur": 200}),
    ("GET", "/floor/{slug}"): (None, secretariat()),
    ("POST", "/floor/{slug}/add"): ({"delegation": "Kenya", "kind": "statement"}, secretariat(303)),
    ("POST", "/floor/{slug}/{action}"): (None, secretariat(409)),
    ("POST", "/floor/{slug}/requests/{request_id}/{action}"): (None, secretariat(404)),
    ("GET", "/floor/{slug}/projector"): (None, public(200) | {"anonymous": 303}),
    ("GET", "/floor/{slug}/state"): (None, public(200) | {"anonymous": 303}),
    ("GET", "/floor/{slug}/events"): (None, public(200) | {"anonymous": 303}),
    ("GET", "/speak"): (None, delegate_page(200)),
    ("POST", "/speak"): ({"group": "human", "kind": "statement"}, delegate_page(303)),
    ("POST", "/speak/{request_id}/withdraw"): (None, delegate_page(409)),
    # The ledger: nothing released in this world, so no delegation can answer (404) and
    # nobody can confirm in person (409); a delegation's page says there is nothing yet.
    ("GET", "/groups/{slug}/ledger"): (None, staff_read()),
    ("GET", "/groups/{slug}/ledger.json"): (None, staff_read()),
    ("POST", "/groups/{slug}/ledger/release"): ({"deadline": "x"}, staff_write(422)),
    ("POST", "/groups/{slug}/ledger/cards/{card_id}/confirm"): (None, staff_read(409)),
    ("GET", "/ledger"): (None, delegate_page(200)),
    ("POST", "/ledger/cards/{card_id}"): ({"answer": "agree"}, delegate_page(404)),
    ("GET", "/exports/ledger.csv"): (None, reviewer()),
    ("GET", "/exports/ledger.xlsx"): (None, reviewer()),
}


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Yield every route of the app, looking inside included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI keeps included routers whole
            yield from api_routes(route.original_router.routes)


def test_every_route_has_a_rule(app: FastAPI) -> None:
    routes = {(method, r.path) for r in api_routes(app.routes) for method in r.methods}
    assert len(routes) > 40
    assert routes - set(RULES) == set(), "add a rule for each new route to RULES"
    assert set(RULES) - routes == set()


@pytest.fixture
def world(
    app: FastAPI, session: Session, meeting: Meeting, accounts: dict[str, User]
) -> Iterator[dict]:
    """A Mexico card in the human group behind a recommendation, and a browser per role."""
    card = add_card(session, meeting, "human", "Mexico", "en", {"commitments": "Protect children."})
    rec = Recommendation(group_id=card.group_id, text="R")
    session.add(rec)
    session.flush()
    session.add(Support(recommendation_id=ident(rec), card_id=card.id))
    remark = Comment(group_id=card.group_id, author_id=accounts["cofacilitator"].id, body="C")
    session.add(remark)
    session.commit()
    mexico = code_for(session, meeting, "Mexico")
    clients: dict[str, TestClient] = {}
    for role in ROLES:
        client = browser_like(app).__enter__()
        if role in DELEGATES:
            code = mexico if role == "owner" else code_for(session, meeting, "France")
            client.post("/join", data={"code": code})
            client.headers["Authorization"] = f"Bearer {code}"
        elif role != "anonymous":
            sign_in_as(client, accounts[role].username)
        clients[role] = client
    yield {
        "clients": clients,
        "values": {
            "slug": "human", "card_id": card.id, "recommendation_id": str(rec.id),
            "account_id": str(accounts["rapporteur"].id), "code": "WRONG234",
            "comment_id": str(remark.id), "delegation_id": str(card.delegation_id),
            "batch": "1", "serial": "G1-0001", "request_id": "999999", "action": "next",
        },
        "card": card,
    }  # fmt: skip
    for client in clients.values():
        client.__exit__(None, None, None)


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_expected(world: dict, role: str, session: Session) -> None:
    client = world["clients"][role]
    results = {}
    for (method, template), (body, expected) in RULES.items():
        path = template.format(**world["values"])
        if template == "/groups/{slug}/arrivals":
            path += "?after=not-a-time"
        if "withdraw" in template or "signout" in template:
            continue  # checked last: they change the world for the other routes
        kwargs = {"json": body} if template.startswith("/api/") else {"data": body}
        response = client.request(method, path, follow_redirects=False, **kwargs)
        results[(method, template)] = (response.status_code, expected[role])
    wrong = {route: got for route, got in results.items() if got[0] != got[1]}
    assert wrong == {}, f"{role}: (got, expected)"
    for template in ("/cards/{card_id}/withdraw", "/signout"):
        expected = RULES[("POST", template)][1][role]
        response = client.post(template.format(**world["values"]), follow_redirects=False)
        assert response.status_code == expected, template


# Rate limits count reads too (a delegate's look-ups of similar cards): on PostgreSQL their
# counters are rows (app.counters), but no page's content.
COUNTERS = {"limitevent", "limitturn"}


def snapshot(session: Session) -> dict[str, list]:
    """Every row of every table but the rate limits' counters, to compare before and after."""
    session.expire_all()
    return {
        table.name: sorted(map(repr, session.execute(table.select()).all()))
        for table in SQLModel.metadata.sorted_tables
        if table.name not in COUNTERS
    }


@pytest.mark.parametrize("role", ROLES)
def test_reading_a_page_writes_nothing(world: dict, role: str, session: Session) -> None:
    """Every GET, for every role, leaves every table as it was."""
    client = world["clients"][role]
    before = snapshot(session)
    for (method, template), _rule in RULES.items():
        if method == "GET":
            client.get(template.format(**world["values"]), follow_redirects=False)
    after = snapshot(session)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == set(), f"{role}: GETs changed these tables"
