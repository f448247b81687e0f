"""Accounts: signing in and out, the list of groups, and the secretariat's account admin."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from app import audit, auth
from app.audit import user_actor
from app.db import SessionDep
from app.deps import (
    SESSION_KEY,
    USER_KEY,
    CurrentUser,
    MeetingDep,
    PasswordAttempt,
    RowId,
    Secretariat,
)
from app.forms import FormData, safe_next
from app.i18n import _, ngettext
from app.limits import remember_device
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
    request: Request,
    turn: PasswordAttempt,  # waited for before the database session opens: it holds nothing
    session: SessionDep,
    meeting: MeetingDep,
    form: FormData,
) -> Response:
    """Sign an account in with a fresh session, or say that the name or password is wrong."""
    username, target = form.get("username", ""), safe_next(form.get("next"), "")
    context = {"meeting": meeting, "next": target, "username": username[:80]}
    if turn.retry_after:
        error = ngettext(
            "Too many wrong passwords were tried. Wait %(num)s second, then try again.",
            "Too many wrong passwords were tried. Wait %(num)s seconds, then try again.",
            turn.retry_after,
        )
        context["error"] = error
        refused = render(request, "staff/signin.html", context, status_code=429)
        refused.headers["Retry-After"] = str(turn.retry_after)
        return refused
    user = auth.authenticate(session, username, form.get("password", ""))
    if user is None:
        context["error"] = _("Wrong username or password.")
        return render(request, "staff/signin.html", context, status_code=422)
    turn.succeeded()
    old = request.session.get(USER_KEY)
    if isinstance(old, str):
        auth.end_session(session, old)
    request.session[USER_KEY] = auth.start_session(session, user)
    response = RedirectResponse(target or home_page(user), status_code=303)
    remember_device(request, response, user.username)
    return response


def home_page(user: User) -> str:
    """Where an account starts: the overview for those who read every group."""
    if user.role == "clerk":
        return "/desk"
    if user.role == "moderator":
        return "/floor"  # their speakers lists
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
        "errors": {},
    }


def _chosen_groups(form: dict[str, str]) -> list[str]:
    """Return the slugs of the groups ticked in an account form (group_<slug> boxes)."""
    return [value for key, value in form.items() if key.startswith("group_")]


def _account(session: Session, account_id: int) -> User:
    account = session.get(User, account_id)
    if account is None:
        raise HTTPException(404)
    return account


def _account_form_again(
    request: Request, session: Session, meeting: MeetingDep, user: User, **context: object
) -> Response:
    """Show the accounts again with what was typed and the errors next to their fields."""
    context = _accounts_context(session, meeting, user) | context
    return render(request, "staff/accounts.html", context, status_code=422)


@router.get("/accounts")
def list_accounts(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Secretariat
) -> Response:
    """List every account, with forms to change each and to add one."""
    return render(request, "staff/accounts.html", _accounts_context(session, meeting, user))


@router.post("/accounts")
def create_account(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Secretariat, form: FormData
) -> Response:
    """Create an account; problems are shown next to their fields and nothing is stored."""
    new = {k: form.get(k, "").strip() for k in ("username", "display_name", "role")}
    groups = _chosen_groups(form)
    try:
        account = auth.create_account(
            session, meeting, new["username"], new["display_name"], new["role"],
            form.get("password", ""), groups,
        )  # fmt: skip
    except auth.AccountErrors as wrong:
        new_groups = {"groups": groups}
        return _account_form_again(
            request, session, meeting, user, errors=wrong.errors, new=new | new_groups
        )
    kept = sorted(groups) if account.role in auth.GROUP_ROLES else []
    audit.record(
        session, user_actor(user), "account.create", "user", account.id,
        role=account.role, groups=kept,
    )  # fmt: skip
    session.commit()
    return RedirectResponse("/accounts", status_code=303)


@router.post("/accounts/{account_id}")
def update_account(
    request: Request,
    session: SessionDep,
    meeting: MeetingDep,
    user: Secretariat,
    account_id: RowId,
    form: FormData,
) -> Response:
    """Change an account's role and groups; the last secretariat account keeps its role."""
    account = _account(session, account_id)
    role, groups = form.get("role", "").strip(), _chosen_groups(form)
    try:
        kept = auth.update_account(session, meeting, account, role, groups)
    except auth.AccountErrors as wrong:
        errors = {f"{field}_{account_id}": message for field, message in wrong.errors.items()}
        changed = {"id": account_id, "role": role, "groups": groups}
        return _account_form_again(request, session, meeting, user, errors=errors, changed=changed)
    audit.record(
        session, user_actor(user), "account.update", "user", account.id, role=role, groups=kept
    )
    session.commit()
    return RedirectResponse(f"/accounts?updated={account_id}", status_code=303)


@router.post("/accounts/{account_id}/deactivate")
def deactivate_account(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Secretariat, account_id: RowId
) -> Response:
    """Deactivate an account: it is signed out at once and can no longer sign in."""
    return _set_active(request, session, meeting, user, account_id, active=False)


@router.post("/accounts/{account_id}/activate")
def activate_account(
    request: Request, session: SessionDep, meeting: MeetingDep, user: Secretariat, account_id: RowId
) -> Response:
    """Let a deactivated account sign in again."""
    return _set_active(request, session, meeting, user, account_id, active=True)


def _set_active(
    request: Request,
    session: Session,
    meeting: MeetingDep,
    user: User,
    account_id: int,
    active: bool,
) -> Response:
    account = _account(session, account_id)
    try:
        auth.set_active(session, account, active)
    except auth.AccountErrors as wrong:
        errors = {f"deactivate_{account_id}": message for message in wrong.errors.values()}
        return _account_form_again(request, session, meeting, user, errors=errors)
    action = "account.activate" if active else "account.deactivate"
    audit.record(session, user_actor(user), action, "user", account.id)
    session.commit()
    done = "activated" if active else "deactivated"
    return RedirectResponse(f"/accounts?{done}={account_id}", status_code=303)


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
    account = _account(session, account_id)
    try:
        auth.set_password(session, account, form.get("password", ""))
    except auth.AccountErrors as wrong:
        errors = {f"password_{account_id}": wrong.errors["password"]}
        return _account_form_again(request, session, meeting, user, errors=errors)
    audit.record(session, user_actor(user), "account.password", "user", account.id)
    session.commit()
    return RedirectResponse("/accounts?reset=" + str(account_id), status_code=303)
