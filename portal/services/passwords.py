"""Password rules (NIST SP 800-63B) and hashing (Argon2id)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from portal.services import DomainError

MIN_LENGTH = 12  # ASVS 4.0.3 2.1.1 (NIST 800-63B allows 8; we ask for a passphrase)
MAX_LENGTH = 128

# zxcvbn ships the common-password list gathered from breaches; 800-63B asks us to refuse those.
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def check_password_policy(password: str, email: str = "") -> None:
    """Refuse short, overlong, common or context-derived passwords; accept any characters."""
    if len(password) < MIN_LENGTH:
        raise DomainError(_("Use at least %(n)d characters.", n=MIN_LENGTH), field="password")
    if len(password) > MAX_LENGTH:
        raise DomainError(_("Use at most %(n)d characters.", n=MAX_LENGTH), field="password")
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) < 3:
        raise DomainError(
            _("This password is too common and easy to guess; choose another."),
            field="password",
        )
    local = email.split("@", 1)[0].lower()
    if local and len(local) >= 4 and local in lowered:
        raise DomainError(_("The password must not contain your e-mail address."), field="password")
    if "khorgos" in lowered and len(lowered) < 12:
        raise DomainError(
            _("A password built on the site's name is easy to guess; choose another."),
            field="password",
        )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made at another cost than the configured one (upgrade at login)."""
    return _hasher().check_needs_rehash(password_hash)
