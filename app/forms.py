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
