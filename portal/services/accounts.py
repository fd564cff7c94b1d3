"""Accounts: sign-up, confirmation, sessions, password changes and resets."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import ADMIN, INVESTOR, REVIEWER, ROLES, User, UserSession
from portal.models.base import utcnow
from portal.services import DomainError
from portal.services.mail import queue_email
from portal.services.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)

ROLE_LABELS = {INVESTOR: _l("Investor"), REVIEWER: _l("Reviewer"), ADMIN: _l("Administrator")}

CONFIRM_SALT = "confirm-email"
RESET_SALT = "reset-password"
INVITE_SALT = "invite"
EMAIL_CHANGE_SALT = "change-email"


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
        raise DomainError(_("An account with this e-mail already exists."), field="email")
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
        raise DomainError(_("An account with this e-mail already exists."), field="email") from exc
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (the caller commits).

    A hash made at an older Argon2 cost is replaced by one at the current cost: the login is
    the only moment the password is known. The password itself has not changed, so
    `password_changed_at` and the sessions are left alone.
    """
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so response times do not reveal accounts.
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    if "hash" not in _DUMMY:
        _DUMMY["hash"] = hash_password(secrets.token_hex(16))
    return _DUMMY["hash"]


# --- sessions -------------------------------------------------------------------------------


def start_session(user: User, user_agent: str = "") -> UserSession:
    """A new server-side session for a login; its token is what the cookie carries."""
    session = UserSession(token=secrets.token_urlsafe(32), user=user, user_agent=user_agent[:255])
    db.session.add(session)
    user.current_session_token = session.token
    return session


def load_session_user(token: str) -> User | None:
    """The user of a live session, or None when the session was revoked or never existed."""
    row = db.session.scalar(
        db.select(UserSession)
        .where(UserSession.token == token, UserSession.revoked_at.is_(None))
        .join(UserSession.user)
    )
    if row is None or not row.user.active:
        return None
    row.user.current_session_token = token
    return row.user


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


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    set_password(user, new_password)
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
    link = url_for("auth.confirm", token=make_confirm_token(user), _external=True)
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
    link = url_for("auth.reset", token=make_invite_token(user), _external=True)
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
    change (the caller commits). Returns the normalized new address."""
    if not verify_password(user.password_hash, password):
        raise DomainError(_("The current password is not right."), field="current_password")
    try:
        new_email = normalize_email(new_email)
    except DomainError as exc:
        raise DomainError(exc.message, field="new_email") from exc
    if new_email == user.email:
        raise DomainError(_("This is already your e-mail address."), field="new_email")
    if find_user_by_email(new_email):
        raise DomainError(_("An account with this e-mail already exists."), field="new_email")
    token = _serializer(EMAIL_CHANGE_SALT).dumps(
        {"uid": user.id, "old": user.email, "new": new_email}
    )
    link = url_for("auth.confirm_email_change", token=token, _external=True)
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
    queue_email(
        old,
        _("Your Khorgos Gateway e-mail address was changed"),
        "email_changed",
        user=user,
        old_email=old,
    )
    return user, old


def send_reset(user: User) -> None:
    link = url_for("auth.reset", token=make_reset_token(user), _external=True)
    queue_email(user.email, _("Reset your Khorgos Gateway password"), "reset", user=user, link=link)
