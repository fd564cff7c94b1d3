"""Accounts: sign-up, confirmation, sessions, password changes and resets."""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from portal.extensions import db
from portal.models import ADMIN, INVESTOR, REVIEWER, ROLES, User, UserSession
from portal.models.base import utcnow
from portal.security import client_address
from portal.services import DomainError
from portal.services.audit import record, recorded_since, user_target
from portal.services.mail import queue_email
from portal.services.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from portal.urls import external_url

ROLE_LABELS = {INVESTOR: _l("Investor"), REVIEWER: _l("Reviewer"), ADMIN: _l("Administrator")}

CONFIRM_SALT = "confirm-email"
RESET_SALT = "reset-password"
INVITE_SALT = "invite"
EMAIL_CHANGE_SALT = "change-email"

LOGIN_THROTTLED = "login.throttled"
RESET_THROTTLED = "password.reset_throttled"
# However many attempts a limit refuses, the log notes it (and the owner hears of it) once
# in this time.
THROTTLE_NOTICE_EVERY = timedelta(hours=1)


class AddressTaken(DomainError):
    """An account with this e-mail address exists: for admins and operators to hear, never
    for a stranger (sign_up answers alike)."""


def normalize_email(email: str, check_deliverability: bool = False) -> str:
    try:
        info = validate_email(email.strip(), check_deliverability=check_deliverability)
    except EmailNotValidError as exc:
        # email-validator explains in English only; the reader gets their language.
        raise DomainError(_("Enter a valid e-mail address."), field="email") from exc
    return info.normalized.lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email.strip().lower()))


def create_user(
    email: str,
    password: str,
    role: str = INVESTOR,
    full_name: str = "",
    confirmed: bool = False,
    locale: str | None = None,
) -> User:
    """A new account (the caller commits). Refuses a taken e-mail or a weak password."""
    if role not in ROLES:
        raise DomainError(_("Unknown role."), field="role")
    email = normalize_email(email)
    if find_user_by_email(email):
        raise AddressTaken(_("An account with this e-mail already exists."), field="email")
    check_password_policy(password, email)
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        full_name=full_name.strip(),
        locale=locale,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    # Two processes may pass the check above for the same address at the same instant; the
    # unique index decides, and the loser gets the same answer as above, not an error page.
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:
        raise AddressTaken(_("An account with this e-mail already exists."), field="email") from exc
    return user


def sign_up(email: str, password: str, full_name: str = "", locale: str | None = None) -> str:
    """Open an investor's account, or, when the address has one, tell its owner someone tried
    (the caller commits). Returns the normalized address.

    Both ways cost the same work, a password hash and one e-mail, and give the same answer, so
    the form does not tell a stranger who has an account. A weak password is refused first,
    whoever owns the address.
    """
    email = normalize_email(email)
    check_password_policy(password, email)
    owner = find_user_by_email(email)
    if owner is None:
        try:
            user = create_user(email, password, full_name=full_name, locale=locale)
        except AddressTaken:  # another sign-up for the address got there first
            owner = find_user_by_email(email)
        else:
            send_confirmation(user)
            return email
    else:
        hash_password(password)  # what a new account costs; the result is not kept
    if owner is not None and owner.active:
        send_signup_notice(owner)
    return email


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (the caller commits).

    A hash made at an older Argon2 cost is replaced by one at the current cost: the login is
    the only moment the password is known. The password itself has not changed, so
    `password_changed_at` and the sessions are left alone.

    Every attempt is in the audit log, the failures for an unknown address too.
    """
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so response times do not reveal accounts.
        verify_password(_dummy_hash(), password)
        record(None, "login.failure", audit_address(email), "no such account")
        return None
    if not verify_password(user.password_hash, password):
        record(user, "login.failure", user_target(user), "wrong password")
        return None
    if not user.active:
        record(user, "login.failure", user_target(user), "account deactivated")
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not user.has_second_factor:  # else the sign-in succeeds at the code (services/mfa.py)
        record(user, "login.success", user_target(user))
    return user


def audit_address(typed: str) -> str:
    """What someone typed as an address, fit for the audit log: an address that is no account's
    is kept (it shows which addresses are being tried), anything else is left out, since it may
    be a password typed into the wrong field."""
    try:
        return normalize_email(typed)
    except DomainError:
        return "—"


_DUMMY: dict[tuple[int, int], str] = {}


def _dummy_hash() -> str:
    """A hash at the configured cost, so checking it takes as long as checking a real one."""
    config = current_app.config
    cost = (config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"])
    if cost not in _DUMMY:
        _DUMMY[cost] = hash_password(secrets.token_hex(16))
    return _DUMMY[cost]


# --- sessions -------------------------------------------------------------------------------


# A session ends after a while without a request (per role) and, active or not, a fixed time
# after the sign-in (ASVS 3.3.2); "remember me" keeps the same session, so the same limits.
IDLE = "idle"
LIFETIME = "lifetime"
# last_seen_at is written at most once a minute: several processes serve the same user, and a
# write per request would cost more than a minute of precision is worth.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionEnd:
    """Why a session ended by itself: its `limit` (IDLE or LIFETIME) and how long that is."""

    limit: str
    after: timedelta


def idle_timeout(user: User) -> timedelta:
    config = current_app.config
    if user.is_staff:
        return timedelta(minutes=config["SESSION_IDLE_MINUTES_STAFF"])
    return timedelta(minutes=config["SESSION_IDLE_MINUTES_INVESTOR"])


def max_lifetime() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


def _ends(row: UserSession) -> tuple[datetime, datetime]:
    """When the session ends without activity, and when it ends regardless."""
    return row.last_active_at + idle_timeout(row.user), row.created_at + max_lifetime()


def _outlived(row: UserSession, now: datetime) -> SessionEnd | None:
    """The limit the session reached first, or None while it is within both."""
    idle_end, lifetime_end = _ends(row)
    if now < min(idle_end, lifetime_end):
        return None
    if idle_end <= lifetime_end:
        return SessionEnd(IDLE, idle_timeout(row.user))
    return SessionEnd(LIFETIME, max_lifetime())


def start_session(user: User, user_agent: str = "", ip_address: str = "") -> UserSession:
    """A new server-side session for a login; its token is what the cookie carries."""
    now = utcnow()
    session = UserSession(
        token=secrets.token_urlsafe(32),
        user=user,
        user_agent=user_agent[:255],
        ip_address=ip_address[:45],
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(session)
    user.current_session_token = session.token
    user.current_session = session
    return session


# Asked on every signed-in request: built once (a third of the lookup's cost was building it).
_LIVE_SESSION = (
    db.select(UserSession)
    .where(UserSession.token == db.bindparam("token"), UserSession.revoked_at.is_(None))
    .join(UserSession.user)
    .options(contains_eager(UserSession.user))
)


def load_session_user(token: str) -> User | None:
    """The user of a live session, or None when the session was revoked, never existed, or
    outlived its idle timeout or lifetime (end_outlived_session then says which)."""
    row = db.session.scalar(_LIVE_SESSION, {"token": token})
    if row is None or not row.user.active or _outlived(row, utcnow()):
        return None
    row.user.current_session_token = token
    row.user.current_session = row
    return row.user


def end_outlived_session(token: str) -> SessionEnd | None:
    """Revoke the session if it outlived a limit and say which (the caller commits)."""
    row = db.session.scalar(
        db.select(UserSession).where(UserSession.token == token, UserSession.revoked_at.is_(None))
    )
    if row is None:
        return None
    now = utcnow()
    ended = _outlived(row, now)
    if ended is not None:
        row.revoked_at = now
    return ended


def touch_session(user: User, force: bool = False) -> bool:
    """Note a request made with the user's session, at most once a minute unless `force`d.
    True when there is something to commit."""
    row = user.current_session
    if row is None:
        return False
    now = utcnow()
    if not force and row.last_seen_at is not None and now - row.last_seen_at < TOUCH_EVERY:
        return False
    row.last_seen_at = now
    return True


def session_seconds_left(user: User) -> tuple[int, int]:
    """Seconds until the user's session ends without activity, and until it ends regardless."""
    now = utcnow()
    idle_end, lifetime_end = _ends(user.current_session)
    return (
        max(0, int((idle_end - now).total_seconds())),
        max(0, int((lifetime_end - now).total_seconds())),
    )


def end_session(token: str | None) -> None:
    if not token:
        return
    row = db.session.scalar(db.select(UserSession).where(UserSession.token == token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def end_all_sessions(user: User, except_token: str | None = None) -> int:
    rows = db.session.scalars(
        db.select(UserSession).where(
            UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
        )
    ).all()
    now = utcnow()
    count = 0
    for row in rows:
        if row.token != except_token:
            row.revoked_at = now
            count += 1
    return count


def sign_out(user: User) -> None:
    """End the session the user signs out of (the caller commits)."""
    end_session(user.current_session_token)
    record(user, "logout", user_target(user))


def sign_out_elsewhere(user: User) -> int:
    """End every session of the user but this one (the caller commits); how many ended."""
    ended = end_all_sessions(user, except_token=user.current_session_token)
    record(user, "session.revoke", user_target(user), f"sessions ended: {ended}")
    return ended


# --- signed links ---------------------------------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_confirm_token(user: User) -> str:
    return _serializer(CONFIRM_SALT).dumps({"uid": user.id, "email": user.email})


def make_reset_token(user: User) -> str:
    # The password hash's tail makes the link single-use: once the password changes, it is void.
    return _serializer(RESET_SALT).dumps({"uid": user.id, "pw": user.password_hash[-16:]})


def make_invite_token(user: User) -> str:
    """Like a reset link (single-use, it sets the password), but it lives for days."""
    return _serializer(INVITE_SALT).dumps({"uid": user.id, "pw": user.password_hash[-16:]})


def _load_token(token: str, *kinds: tuple[str, int]) -> dict:
    """The payload of a link signed as one of `kinds` (salt, max age in seconds)."""
    for salt, max_age in kinds:
        try:
            data = _serializer(salt).loads(token, max_age=max_age)
        except SignatureExpired as exc:
            raise DomainError(_("This link has expired. Ask for a new one.")) from exc
        except BadSignature:
            continue  # not this kind of link
        if not isinstance(data, dict) or "uid" not in data:
            raise DomainError(_("This link is not valid."))
        return data
    raise DomainError(_("This link is not valid."))


def confirm_email(token: str) -> User:
    data = _load_token(token, (CONFIRM_SALT, current_app.config["CONFIRM_TOKEN_MAX_AGE"]))
    user = db.session.get(User, data["uid"])
    if user is None or user.email != data.get("email"):
        raise DomainError(_("This link is not valid."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def user_for_reset_token(token: str) -> User:
    # A reset link (valid for an hour) or an invitation (valid for days): both set a password.
    config = current_app.config
    data = _load_token(
        token,
        (RESET_SALT, config["RESET_TOKEN_MAX_AGE"]),
        (INVITE_SALT, config["INVITE_TOKEN_MAX_AGE"]),
    )
    user = db.session.get(User, data["uid"])
    if user is None or user.password_hash[-16:] != data.get("pw"):
        raise DomainError(_("This link has already been used or is no longer valid."))
    return user


def set_password(user: User, new_password: str, keep_token: str | None = None) -> None:
    """Set a new password and end every other session of the user."""
    check_password_policy(new_password, user.email)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    end_all_sessions(user, except_token=keep_token)


def change_password(user: User, current: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current):
        raise DomainError(_("The current password is not right."), field="current_password")
    set_password(user, new_password, keep_token=user.current_session_token)
    record(user, "password.change", user_target(user))


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    set_password(user, new_password)
    record(user, "password.reset", user_target(user))
    # Following the link proves the address is the user's.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def set_full_name(user: User, full_name: str) -> None:
    """The name changes at once (the caller commits); only the e-mail address needs a link."""
    user.full_name = full_name.strip()


def set_locale(user: User, locale: str) -> None:
    """The language the user chose: their pages and e-mails follow it (the caller commits)."""
    user.locale = locale


# --- mail ------------------------------------------------------------------------------------


def send_confirmation(user: User) -> None:
    link = external_url("auth.confirm", token=make_confirm_token(user))
    queue_email(
        user.email,
        _("Confirm your e-mail address for Khorgos Gateway"),
        "confirm",
        user=user,
        link=link,
    )


def invite(email: str, full_name: str, role: str, locale: str, inviter: User) -> User:
    """An account an admin opens for someone (the caller commits and records it): it has no
    password anyone knows until the invitee follows the link in the e-mail and chooses one."""
    user = create_user(
        email, secrets.token_urlsafe(32), role=role, full_name=full_name, locale=locale
    )
    link = external_url("auth.reset", token=make_invite_token(user))
    with force_locale(locale):
        queue_email(
            user.email,
            _("You are invited to Khorgos Gateway"),
            "invite",
            user=user,
            inviter=inviter,
            role_label=ROLE_LABELS[role],
            link=link,
            days=current_app.config["INVITE_TOKEN_MAX_AGE"] // 86400,
        )
    return user


def request_email_change(user: User, new_email: str, password: str) -> str:
    """Check the password and the new address, and mail the new address a link that makes the
    change (the caller commits). Returns the normalized new address.

    An address that has an account gets a notice instead of the link, and the answer is the
    same: the form does not tell who has an account."""
    if not verify_password(user.password_hash, password):
        raise DomainError(_("The current password is not right."), field="current_password")
    try:
        new_email = normalize_email(new_email)
    except DomainError as exc:
        raise DomainError(exc.message, field="new_email") from exc
    if new_email == user.email:
        raise DomainError(_("This is already your e-mail address."), field="new_email")
    owner = find_user_by_email(new_email)
    if owner is not None:
        with _in_language_of(owner):
            queue_email(
                owner.email,
                _("Someone tried to use your e-mail address on Khorgos Gateway"),
                "email_taken",
                user=owner,
            )
        return new_email
    token = _serializer(EMAIL_CHANGE_SALT).dumps(
        {"uid": user.id, "old": user.email, "new": new_email}
    )
    link = external_url("auth.confirm_email_change", token=token)
    queue_email(
        new_email,
        _("Confirm your new e-mail address for Khorgos Gateway"),
        "email_change",
        user=user,
        new_email=new_email,
        link=link,
    )
    return new_email


def change_email(token: str) -> tuple[User, str]:
    """Make the change a link from request_email_change asks for; the old address is told.
    Returns the user and their old address (the caller commits)."""
    data = _load_token(token, (EMAIL_CHANGE_SALT, current_app.config["CONFIRM_TOKEN_MAX_AGE"]))
    user = db.session.get(User, data["uid"])
    if user is None or user.email != data.get("old"):  # used already, or changed since
        raise DomainError(_("This link has already been used or is no longer valid."))
    if find_user_by_email(data["new"]):
        raise DomainError(_("An account with this e-mail already exists."))
    old = user.email
    user.email = data["new"]
    user.email_confirmed_at = utcnow()  # opening the link proves the new address
    record(user, "email.change", user_target(user), f'email: "{old}" → "{user.email}"')
    queue_email(
        old,
        _("Your Khorgos Gateway e-mail address was changed"),
        "email_changed",
        user=user,
        old_email=old,
    )
    return user, old


def send_reset(user: User) -> None:
    link = external_url("auth.reset", token=make_reset_token(user))
    queue_email(user.email, _("Reset your Khorgos Gateway password"), "reset", user=user, link=link)


def request_password_reset(email: str) -> None:
    """Mail a reset link when the address has an active account; record the request either
    way (the caller commits), so both cost a write and the answer's time does not tell."""
    user = find_user_by_email(email)
    if user is not None and user.active:
        send_reset(user)
    target = user_target(user) if user is not None else audit_address(email)
    record(user, "password.reset_request", target)


def _in_language_of(user: User) -> AbstractContextManager:
    """A message a stranger's request sends to an account's owner is in the owner's language
    when they chose one (else the page's)."""
    return force_locale(user.locale) if user.locale else nullcontext()


def send_signup_notice(owner: User) -> None:
    """Someone tried to sign up with the owner's address: tell them, with a way back in."""
    with _in_language_of(owner):
        queue_email(
            owner.email,
            _("Someone tried to create a Khorgos Gateway account with your address"),
            "signup_attempt",
            user=owner,
            login_link=external_url("auth.login"),
            reset_link=external_url("auth.reset", token=make_reset_token(owner)),
        )


def note_throttled(action: str, typed_email: str, limit: str, per_account: bool) -> None:
    """A rate limit refused an attempt (the caller commits). The log notes it once an hour per
    account (or per client address) however many attempts follow, and the owner of a known
    account being guessed at hears of it once an hour too: the audit log is the memory all the
    portal's processes share."""
    since = utcnow() - THROTTLE_NOTICE_EVERY
    if per_account:
        user = find_user_by_email(typed_email)
        target = user_target(user) if user is not None else audit_address(typed_email)
        details = f"per account: {limit}"
        if recorded_since(action, since, target=target, details=details):
            return
    else:
        user, target, details = None, "", f"per client address: {limit}"
        if recorded_since(action, since, ip_address=client_address(), details=details):
            return
    record(user, action, target, details)
    if user is not None and user.active and action == LOGIN_THROTTLED:
        with _in_language_of(user):
            queue_email(
                user.email,
                _("Someone is trying to sign in to your Khorgos Gateway account"),
                "login_throttled",
                user=user,
                address=client_address() or "?",
                link=external_url("auth.forgot"),
            )
