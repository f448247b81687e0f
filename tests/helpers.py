"""Shared helpers for reading pages the way a person reads them."""

from bs4 import BeautifulSoup
from httpx2 import Response
from sqlmodel import Session, select

from app.models import Card, CardVersion


def soup(response: Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def error_for(response: Response, field_id: str) -> str:
    """Return the error message tied to a field through aria-describedby, or ''."""
    page = soup(response)
    field = page.find(id=field_id)
    assert field is not None, f"no field #{field_id}"
    for described in (field.get("aria-describedby") or "").split():
        node = page.find(id=described)
        if node is not None and "error" in (node.get("class") or []):
            return node.get_text(strip=True)
    return ""


def form_fields(response: Response, selector: str = "form.card-form") -> dict[str, str]:
    """Return the values a browser would submit for a form on the page."""
    form = soup(response).select_one(selector)
    assert form is not None, f"no {selector}"
    values: dict[str, str] = {}
    for node in form.select("input[name], textarea[name], select[name]"):
        if node.name == "textarea":
            values[node["name"]] = node.get_text()
        elif node.name == "select":
            chosen = node.select_one("option[selected]") or node.select_one("option")
            values[node["name"]] = chosen["value"] if chosen else ""
        else:
            values[node["name"]] = node.get("value", "")
    return values


def cards(session: Session) -> list[Card]:
    session.expire_all()
    return list(session.exec(select(Card)))


def versions(session: Session, card_id: str) -> list[CardVersion]:
    session.expire_all()
    query = select(CardVersion).where(CardVersion.card_id == card_id)
    return sorted(session.exec(query), key=lambda v: v.version)
