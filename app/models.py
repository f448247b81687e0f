"""All tables. Alembic (migrations/) owns the schema; these classes describe it."""

from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

# Names for constraints, so that migrations can drop and rename them on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Localized text from a meeting file: {"en": "...", "fr": "...", "es": "..."}.
Localized = dict[str, str]


def utcnow() -> datetime:
    """Return the current time in UTC; every timestamp is stored aware, in UTC."""
    return datetime.now(UTC)


class HasId(Protocol):
    id: int | None


def ident(row: HasId) -> int:
    """Return the primary key of a row that has been stored (and so has one)."""
    if row.id is None:
        raise ValueError(f"{row!r} has not been stored yet")
    return row.id


def json_column() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Meeting(SQLModel, table=True):
    """A meeting, loaded from a file in meetings/."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: Localized = json_column()
    venue: str = Field(max_length=200)
    start_date: date
    end_date: date
    timezone: str = Field(max_length=64, default="UTC")
    # Languages a card may be written in; the interface has its own list (app.i18n).
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Ordered [{"slug": "member_state", "label": {...}}, ...]
    delegation_kinds: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    intake_open: bool = True
    # Informal sessions may let a phone pick its delegation from a list instead of a code.
    delegation_picker: bool = False
    # Paper cards keyed twice by two clerks, each blind to the other (app.paper).
    paper_double_entry: bool = False
    loaded_at: datetime = Field(default_factory=utcnow)
    # The speakers lists' rules (app.floor.rules): seconds per kind of intervention, warning.
    floor: dict[str, Any] = json_column()


class Group(SQLModel, table=True):
    """An action group (or session) whose cards answer the same questions."""

    __table_args__ = (UniqueConstraint("meeting_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    slug: str = Field(max_length=40)
    number: int
    title: Localized = json_column()
    description: Localized = json_column()
    # [{"key", "label": {...}, "hint": {...}, "required": bool, "max_length": int}, ...]
    questions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    intake_open: bool = True


class Delegation(SQLModel, table=True):
    """A Member State, observer, UN entity or other stakeholder that writes cards."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40, index=True)
    # ISO 3166 code for States, so their names can be shown in every language.
    iso2: str | None = Field(default=None, max_length=2)


class AccessCode(SQLModel, table=True):
    """The code on a delegation's printed slip; it signs a phone in as that delegation."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    code: str = Field(max_length=16, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class Card(SQLModel, table=True):
    """The current state of one index card; its history is in CardVersion."""

    # Made by the browser (or by the server when it renders the form), so a repeat of the
    # same submission is recognised as the same card.
    id: str = Field(primary_key=True, max_length=36)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    access_code_id: int | None = Field(default=None, foreign_key="accesscode.id")
    language: str = Field(max_length=8)
    author_name: str = Field(default="", max_length=120)
    answers: dict[str, str] = json_column()
    status: str = Field(default="active", max_length=16)  # active | withdrawn
    version: int = 1
    # "Add our support" to another delegation's card: this card backs that one.
    supports_card_id: str | None = Field(default=None, foreign_key="card.id", max_length=36)
    source: str = Field(default="web", max_length=16)  # web | api | import
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # The order in which new cards were committed (1, 2, 3...), given at their commit
    # (app.cards.number_arrivals): the live workspace's cursor, where a clock cannot be one.
    seq: int | None = Field(default=None, unique=True)
    # The answers and author's name folded for searching: no case, no accents (app.search).
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # A card keyed in from paper (source "paper"): the serial printed on it, and the clerk.
    paper_serial: str | None = Field(default=None, max_length=16)
    keyed_by: int | None = Field(default=None, foreign_key="user.id")


class CardVector(SQLModel, table=True):
    """A card's sentence vector, for comparing it with other cards (app.similarity)."""

    card_id: str = Field(foreign_key="card.id", primary_key=True, max_length=36)
    model: str = Field(max_length=40)  # vectors of different models are not comparable
    card_version: int  # the version of the card it was computed from: older means stale
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # float32, unit length
    computed_at: datetime = Field(default_factory=utcnow)


class CardVersion(SQLModel, table=True):
    """One state a card has been in; a card is never changed without adding one."""

    __table_args__ = (UniqueConstraint("card_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    card_id: str = Field(foreign_key="card.id", index=True, max_length=36)
    version: int
    action: str = Field(max_length=16)  # create | edit | withdraw
    group_id: int = Field(foreign_key="group.id")
    language: str = Field(max_length=8)
    author_name: str = Field(default="", max_length=120)
    answers: dict[str, str] = json_column()
    status: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A person of the secretariat, a co-facilitator or a rapporteur."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=20)  # secretariat | cofacilitator | rapporteur | clerk
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class RapporteurGroup(SQLModel, table=True):
    """Which groups a rapporteur works on."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    group_id: int = Field(foreign_key="group.id", primary_key=True)


class UserSession(SQLModel, table=True):
    """A signed-in account on one browser; deleted at sign-out."""

    # sha256 of the random token kept in the cookie: a leaked table signs nobody in.
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class Tag(SQLModel, table=True):
    """A theme of the meeting (group_id empty) or a label a rapporteur made for one group."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    group_id: int | None = Field(default=None, foreign_key="group.id", index=True)
    slug: str = Field(max_length=80)
    name: Localized = json_column()
    # What a theme is about, per language, from the meeting file: cards close to it get the
    # tag proposed (app.grouping), never put on until a rapporteur accepts it.
    description: Localized = json_column()


class CardTag(SQLModel, table=True):
    """A tag put on a card by a rapporteur."""

    card_id: str = Field(foreign_key="card.id", primary_key=True, max_length=36)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, index=True)


class Recommendation(SQLModel, table=True):
    """What several cards say, in the rapporteur's own words."""

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    text: str = Field(max_length=2000)
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Support(SQLModel, table=True):
    """A card behind a recommendation; a card may support several."""

    recommendation_id: int = Field(foreign_key="recommendation.id", primary_key=True)
    card_id: str = Field(foreign_key="card.id", primary_key=True, max_length=36, index=True)
    # The card's version when it was placed (or last confirmed): an edit or a withdrawal since
    # marks the placement "changed since placed" until a rapporteur confirms, moves or removes it.
    card_version: int | None = None


class SuggestionChoice(SQLModel, table=True):
    """What a rapporteur said of a suggested group: dismissed, or one card taken out of it.

    Suggestions are worked out afresh from the cards each time; these choices are what
    keeps a dismissed one dismissed and a card taken out of one out of it.
    """

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    kind: str = Field(max_length=16)  # dismissed | apart
    # dismissed: the suggestion's cards; apart: the card taken out first, then the others.
    card_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class TagRefusal(SQLModel, table=True):
    """A proposed tag a rapporteur turned down for a card: it is not proposed for it again."""

    card_id: str = Field(foreign_key="card.id", primary_key=True, max_length=36)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class RecurringChoice(SQLModel, table=True):
    """A co-facilitator's word on a proposed recurring idea: recommendations of several groups
    that say the same thing (confirmed: counted once in the chair's summary) or do not."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    recommendation_ids: list[int] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # sorted
    decision: str = Field(max_length=16)  # confirmed | rejected
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class SetAside(SQLModel, table=True):
    """A card the report leaves out, and why: off topic or a duplicate of another card."""

    card_id: str = Field(foreign_key="card.id", primary_key=True, max_length=36)
    reason: str = Field(max_length=20)  # app.grouping.SET_ASIDE_REASONS
    note: str = Field(default="", max_length=500)  # the reason in words, for "other"
    duplicate_of: str | None = Field(default=None, foreign_key="card.id", max_length=36)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Report(SQLModel, table=True):
    """The draft report of a group: the rapporteurs' texts, section by section."""

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", unique=True)
    sections: dict[str, str] = json_column()
    version: int = 0
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)


class ReportVersion(SQLModel, table=True):
    """Every saved state of a report."""

    __table_args__ = (UniqueConstraint("report_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    version: int
    sections: dict[str, str] = json_column()
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Comment(SQLModel, table=True):
    """A reviewer's remark on a group's report or on one recommendation, or an answer to one.

    Answers point at the comment they answer; resolving the first comment closes the thread.
    """

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    # None: on the report as a whole. Kept when the recommendation is merged (it follows the
    # cards) and cleared when it is deleted, so no remark is lost with it.
    recommendation_id: int | None = Field(default=None, foreign_key="recommendation.id", index=True)
    reply_to: int | None = Field(default=None, foreign_key="comment.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    body: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    resolved_by: int | None = Field(default=None, foreign_key="user.id")


class Review(SQLModel, table=True):
    """A co-facilitator's mark that a report, as of one version, has been reviewed."""

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    report_version: int
    user_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class LastLook(SQLModel, table=True):
    """When a person last looked at a group's workspace, to count what is new since."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    group_id: int = Field(foreign_key="group.id", primary_key=True)
    seen_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Who did what to which card, recommendation, report or account, and when."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_kind: str = Field(max_length=16)  # delegation | user | system
    actor_id: int | None = None
    actor_name: str = Field(max_length=200)  # kept as it was, even if renamed later
    action: str = Field(max_length=40, index=True)
    target_type: str = Field(max_length=20)
    target_id: str = Field(max_length=40)
    detail: dict[str, Any] = json_column()


class DelegateSession(SQLModel, table=True):
    """A phone signed in as a delegation (by its code, or picked from the list)."""

    token_hash: str = Field(primary_key=True, max_length=64)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    access_code_id: int | None = Field(default=None, foreign_key="accesscode.id", index=True)
    meeting_id: int = Field(foreign_key="meeting.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class CardSerial(SQLModel, table=True):
    """A serial printed on a blank paper card, issued in advance, so no card is lost unseen."""

    __table_args__ = (UniqueConstraint("meeting_id", "serial"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    serial: str = Field(max_length=16)  # G3-0147: the group's number, then the card's
    batch: int = Field(index=True)  # the cards issued (and printed) together
    delegation_id: int | None = Field(default=None, foreign_key="delegation.id")  # pre-printed
    # issued | keyed | voided; under double entry also once (keyed by one clerk, waiting for
    # the second) and differs (the two keyings differ, waiting for a third person).
    status: str = Field(default="issued", max_length=16)
    card_id: str | None = Field(default=None, foreign_key="card.id", max_length=36, unique=True)
    keyed_by: int | None = Field(default=None, foreign_key="user.id")
    issued_at: datetime = Field(default_factory=utcnow)
    keyed_at: datetime | None = None
    differences: int | None = None  # double entry: the fields the two keyings differ in
    resolved_by: int | None = Field(default=None, foreign_key="user.id")


class PaperKeying(SQLModel, table=True):
    """One clerk's keying of a paper card under double entry, kept apart from the cards.

    The rapporteurs see the card only once the second keying agrees with the first, or a
    third person has settled where they differ.
    """

    __table_args__ = (UniqueConstraint("serial_id", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    serial_id: int = Field(foreign_key="cardserial.id", index=True)
    round: int  # 1 or 2
    clerk_id: int = Field(foreign_key="user.id")
    delegation_id: int = Field(foreign_key="delegation.id")
    language: str = Field(max_length=8)
    author_name: str = Field(default="", max_length=120)
    answers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    keyed_at: datetime = Field(default_factory=utcnow)


class FloorList(SQLModel, table=True):
    """A group's speakers list: open or closed, and a version that every change bumps.

    Projectors on any app server watch the version (app.floor_watch); a moderator's action
    names the version it saw, so two moderators acting at once cannot both move the list.
    """

    group_id: int = Field(foreign_key="group.id", primary_key=True)
    version: int = 0
    closed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


# At most one speaker at the microphone per group, and one wait per delegation and kind.
_SPEAKING = "started_at IS NOT NULL AND ended_at IS NULL"
_WAITING = "started_at IS NULL AND withdrawn_at IS NULL"


class FloorRequest(SQLModel, table=True):
    """A delegation on a group's speakers list; once it has spoken, the intervention itself.

    Its state comes from its timestamps: waiting, speaking (a deadline), paused (seconds
    left), done (ended, with the time spoken and any overrun), or withdrawn.
    """

    __table_args__ = (
        Index(
            "uq_floorrequest_speaking", "group_id", unique=True,
            sqlite_where=text(_SPEAKING), postgresql_where=text(_SPEAKING),
        ),
        Index(
            "uq_floorrequest_waiting", "group_id", "delegation_id", "kind", unique=True,
            sqlite_where=text(_WAITING), postgresql_where=text(_WAITING),
        ),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group.id", index=True)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    kind: str = Field(max_length=20)  # statement | point_of_order | reply
    position: int = 0  # the waiting order: lowest first
    source: str = Field(default="moderator", max_length=16)  # moderator | delegation
    requested_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None
    started_at: datetime | None = None
    allowed_seconds: int = 0
    deadline: datetime | None = None  # while speaking
    seconds_left: float | None = None  # while paused
    ended_at: datetime | None = None
    spoken_seconds: int | None = None
    overrun_seconds: int | None = None


class LedgerRelease(SQLModel, table=True):
    """A group's ledger shown to its delegations, who may answer until the deadline."""

    group_id: int = Field(foreign_key="group.id", primary_key=True)
    deadline: datetime
    user_id: int | None = Field(default=None, foreign_key="user.id")
    released_at: datetime = Field(default_factory=utcnow)


class LedgerAnswer(SQLModel, table=True):
    """A delegation's word on how one of its cards was reflected (app.ledger).

    It keeps the disposition and wording it answered: when either changes, the answer no
    longer counts and the delegation is shown what changed.
    """

    card_id: str = Field(foreign_key="card.id", primary_key=True, max_length=36)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    answer: str = Field(max_length=10)  # agree | disagree
    comment: str = Field(default="", max_length=1000)
    disposition: str = Field(max_length=200)  # app.ledger.Disposition.key when answered
    wording: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    answered_at: datetime = Field(default_factory=utcnow)
    confirmed_by: int | None = Field(default=None, foreign_key="user.id")  # "in person"
    confirmed_at: datetime | None = None


class LimitEvent(SQLModel, table=True):
    """A counted event of a rate limit (app.limits): a card sent, a wrong code or password.

    Only with several app servers on PostgreSQL, so that every server counts the same; one
    server keeps its counters in memory.
    """

    __table_args__ = (Index("ix_limitevent_name_at", "bucket", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=40)
    key: str = Field(max_length=200)
    at: float  # seconds since the epoch: every server's clock, kept by NTP


class LimitTurn(SQLModel, table=True):
    """The next free turn of a paced key (app.limits), shared like LimitEvent."""

    bucket: str = Field(max_length=40, primary_key=True)
    key: str = Field(max_length=200, primary_key=True)
    turn: float
