"""Accounts: signing in and out, the list of groups, and the secretariat's account admin."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from app import audit, auth
from app.audit import user_actor
from app.db import SessionDep
from app.deps import SESSION_KEY, USER_KEY, CurrentUser, MeetingDep, RowId, Secretariat
from app.forms import FormData, safe_next
from app.i18n import _
from app.limits import check_failures, count_failure
from app.meetings import meeting_groups
from app.models import Group, RapporteurGroup, User, ident
from app.review import open_counts, review_states
from app.templating import render
from app.workspace import progress

router = APIRouter(include_in_schema=False)


@router.get("/signin")
def read_sign_in(request: Request, meeting: MeetingDep, next: str = "") -> Response:
    """Show the sign-in form for the secretariat, co-facilitators and rapporteurs."""
    return render(request, "staff/signin.html", {"meeting": meeting, "next": safe_next(next, "")})


@router.post("/signin")
def create_user_sign_in(
    request: Request, session: SessionDep, meeting: MeetingDep, form: FormData
) -> Response:
    """Sign an account in with a fresh session, or say that the name or password is wrong."""
    username, target = form.get("username", ""), safe_next(form.get("next"), "")
    name = username.strip().lower()[:80]
    check_failures(request, "signin", name)
    user = auth.authenticate(session, username, form.get("password", ""))
    if user is None:
        count_failure(request, "signin", name)
        context = {
            "meeting": meeting,
            "next": target,
            "username": username[:80],
            "error": _("Wrong username or password."),
        }
        return render(request, "staff/signin.html", context, status_code=422)
    old = request.session.get(USER_KEY)
    if isinstance(old, str):
        auth.end_session(session, old)
    request.session[USER_KEY] = auth.start_session(session, user)
    return RedirectResponse(target or home_page(user), status_code=303)


def home_page(user: User) -> str:
    """Where an account starts: the overview for those who read every group."""
    return "/overview" if auth.is_reviewer(user) else "/groups"


@router.post("/signout")
def delete_sign_in(request: Request, session: SessionDep) -> Response:
    """Sign out: the delegation or account on this browser, and its server-side session."""
    token = request.session.get(USER_KEY)
    if isinstance(token, str):
        auth.end_session(session, token)
    phone = request.session.get(SESSION_KEY)
    if isinstance(phone, str):
        auth.end_delegate_session(session, phone)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/groups")
def list_groups(
    request: Request, session: SessionDep, meeting: MeetingDep, user: CurrentUser
) -> Response:
    """List the groups this account may open, with where their cards stand."""
    groups = [g for g in meeting_groups(session, meeting) if auth.can_read(session, user, g)]
    states, remarks = review_states(session), open_counts(session)
    rows = [
        {
            "group": g,
            "progress": progress(session, g),
            "state": states.get(ident(g)),
            "open": remarks.get(ident(g), 0),
        }
        for g in groups
    ]
    context = {"meeting": meeting, "user": user, "rows": rows}
    return render(request, "staff/groups.html", context)


def _accounts_context(session: Session, meeting: MeetingDep, user: User) -> dict[str, object]:
    users = list(session.exec(select(User).order_by(col(User.role), col(User.username))))
    links = session.exec(select(RapporteurGroup))
    groups = {g.id: g for g in meeting_groups(session, meeting)}
    assigned: dict[int, list[Group]] = {}
    for link in links:
        if link.group_id in groups:
            assigned.setdefault(link.user_id, []).append(groups[link.group_id])
    return {
        "meeting": meeting,
        "user": user,
        "users": users,
        "assigned": assigned,
        "groups": list(groups.values()),
        "roles": auth.ROLES,
    }


@router.get("/accounts")
def list_accounts(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Secretariat
) -> Response:
    """List every account, with a form to add one."""
    return render(request, "staff/accounts.html", _accounts_context(session, meeting, user))


@router.post("/accounts")
def create_account(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Secretariat, form: FormData
) -> Response:
    """Create an account; problems are shown next to their fields and nothing is stored."""
    values = {k: form.get(k, "").strip() for k in ("username", "display_name", "role")}
    values["username"] = values["username"].lower()
    group_ids = [int(v) for k, v in form.items() if k.startswith("group_") and v.isdigit()]
    errors = _account_errors(session, values, form.get("password", ""))
    if errors:
        context = _accounts_context(session, meeting, user) | {"errors": errors, "new": values}
        return render(request, "staff/accounts.html", context, status_code=422)
    account = User(
        username=values["username"],
        display_name=values["display_name"] or values["username"],
        role=values["role"],
        password_hash=auth.hash_password(form["password"]),
    )
    session.add(account)
    session.flush()
    valid = {g.id for g in meeting_groups(session, meeting)}
    for group_id in set(group_ids) & valid:
        session.add(RapporteurGroup(user_id=ident(account), group_id=group_id))
    audit.record(session, user_actor(user), "account.create", "user", account.id, role=account.role)
    session.commit()
    return RedirectResponse("/accounts", status_code=303)


def _account_errors(session: Session, values: dict[str, str], password: str) -> dict[str, str]:
    errors = {}
    username = values["username"]
    if (
        not username
        or len(username) > 80
        or not username.replace(".", "").replace("-", "").isalnum()
    ):
        errors["username"] = _("Use letters, digits, dots or dashes (at most 80).")
    elif session.exec(select(User).where(User.username == username)).first():
        errors["username"] = _("This username is taken.")
    if len(values["display_name"]) > 120:
        errors["display_name"] = _("Keep the name under 120 characters.")
    if values["role"] not in auth.ROLES:
        errors["role"] = _("Choose a role.")
    if len(password) < auth.MIN_PASSWORD:
        errors["password"] = _("Use at least %(min)s characters.", min=auth.MIN_PASSWORD)
    return errors


@router.post("/accounts/{account_id}/password")
def update_account_password(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: Secretariat,
    account_id: RowId,
    form: FormData,
) -> Response:
    """Reset a forgotten password; the account is signed out everywhere."""
    account = session.get(User, account_id)
    if account is None:
        raise HTTPException(404)
    password = form.get("password", "")
    if len(password) < auth.MIN_PASSWORD:
        errors = {
            f"password_{account_id}": _("Use at least %(min)s characters.", min=auth.MIN_PASSWORD)
        }
        context = _accounts_context(session, meeting, user) | {"errors": errors}
        return render(request, "staff/accounts.html", context, status_code=422)
    account.password_hash = auth.hash_password(password)
    session.add(account)
    auth.end_all_sessions(session, account)
    audit.record(session, user_actor(user), "account.password", "user", account.id)
    session.commit()
    return RedirectResponse("/accounts?reset=" + str(account_id), status_code=303)
