"""Reading HTML forms: one dependency gives a handler the posted fields as a dict."""

from typing import Annotated

from fastapi import Depends, Request


async def read_form(request: Request) -> dict[str, str]:
    """Return the posted form's text fields (the last value of a repeated name wins)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormData = Annotated[dict[str, str], Depends(read_form)]


def safe_next(target: str | None, default: str = "/") -> str:
    """Return a local path to go to after a form, never another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


# The largest id an integer column holds on every database (PostgreSQL's INTEGER).
MAX_ID = 2**31 - 1


def form_id(value: object) -> int | None:
    """Return the row id a form names, or None for anything that cannot be one."""
    text = str(value)
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None
