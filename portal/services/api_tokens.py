"""Personal access tokens for the API: made, listed and revoked by their owner, checked on
each request that carries one.

A token is `kg_` followed by a random secret; only its SHA-256 is stored, so a copy of the
database gives no working token. It is shown once, when made. Every token is read-only (the
API has no writes) and expires (at most a year after it was made). A token opens the API's
non-public statistics only: it never signs anyone in to the web pages.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import ApiToken, User
from portal.models.base import utcnow
from portal.services import DomainError
from portal.services.audit import record

PREFIX = "kg_"
SHOWN_CHARACTERS = 10  # of the token, kept in clear to tell tokens apart ("kg_AbCdEfG")
READ = "read"  # the only scope: the API is read-only
MAX_DAYS = 366
DEFAULT_DAYS = 90
# last_used_at is written at most this often per token, so scripts do not write on every call.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, to show once


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def may_create(user: User) -> bool:
    """Only staff have non-public figures to read."""
    return user.is_staff


def create(user: User, name: str, days: int, now: datetime | None = None) -> NewToken:
    """A new token for `user`, valid `days` days; the caller commits and shows `secret` once."""
    if not may_create(user):
        raise DomainError(_l("Only reviewers and administrators may create API tokens."))
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Give the token a name."), "name")
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(_l("Choose between 1 and 366 days."), "days")
    now = now or utcnow()
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:100],
        prefix=secret[:SHOWN_CHARACTERS],
        token_hash=digest(secret),
        scope=READ,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    record(user, "api_token.create", f"api token {token.prefix}", name[:100])
    return NewToken(token, secret)


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too, marked as such)."""
    return list(
        db.session.scalars(
            db.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke(user: User, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke one of the user's own tokens (another's is not found); the caller commits."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise DomainError(_l("There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        record(user, "api_token.revoke", f"api token {token.prefix}", token.name)
    return token


def authenticate(secret: str, now: datetime | None = None) -> User | None:
    """The active staff member whose live token this is, or None; notes the token's use
    (at most every few minutes) in the caller's transaction."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    now = now or utcnow()
    if token is None or not token.is_usable(now):
        return None
    user = token.user
    if not user.is_active or not may_create(user):
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
    return user
