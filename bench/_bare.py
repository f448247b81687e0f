"""The baseline for bench/load.py: a bare FastAPI + SQLite endpoint that inserts a posted row.

Same stack, same SQLite settings (WAL, synchronous FULL), nothing of ActionCards.
"""

import os
import sqlite3
import threading
import uuid
from typing import Annotated

from fastapi import FastAPI, Form
from fastapi.responses import JSONResponse, RedirectResponse

DATABASE = os.environ["ACTIONCARDS_DATABASE_URL"].removeprefix("sqlite:///") + ".bare"
app = FastAPI()
local = threading.local()


def connection() -> sqlite3.Connection:
    if not hasattr(local, "db"):
        local.db = sqlite3.connect(DATABASE, timeout=10)
        local.db.execute("PRAGMA journal_mode=WAL")
        local.db.execute("PRAGMA synchronous=FULL")
        local.db.execute("CREATE TABLE IF NOT EXISTS card (id TEXT PRIMARY KEY, body TEXT)")
    return local.db


@app.get("/healthz")
def health() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@app.post("/cards")
def create(body: Annotated[str, Form(alias="answers.commitments")]) -> RedirectResponse:
    db = connection()
    with db:
        db.execute("INSERT INTO card VALUES (?, ?)", (str(uuid.uuid4()), body))
    return RedirectResponse("/cards/done", status_code=303)
