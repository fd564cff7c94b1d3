"""Two-step sign-in: a time-based one-time code (TOTP, RFC 6238) after the password, and
single-use recovery codes for a lost phone (ASVS 4.0.3 2.8, 2.5, 4.3.1).

Secrets at rest: the TOTP secret is encrypted (Fernet, with a key derived from SECRET_KEY by
HKDF), so a copy of the database alone does not let anyone make codes. Recovery codes are
random (80 bits), so a fast salted hash is enough (ASVS 2.6.2): nobody can try 2**80 of them;
and they do not depend on SECRET_KEY, so they still open the account if that key has changed
and the secret can no longer be read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_

from portal.extensions import db
from portal.models import RecoveryCode, User
from portal.models.base import utcnow
from portal.services import DomainError
from portal.services.accounts import end_all_sessions
from portal.services.audit import record, recorded_since, user_target
from portal.services.passwords import verify_password

ISSUER = "Khorgos Gateway"
# A code of the step before or after the current one is accepted too: phones' clocks drift.
STEP_WINDOW = 1
# Between the password and the code: after this, the password is asked again.
SECOND_STEP_TIME = timedelta(minutes=5)
RECOVERY_CODES = 10
# Crockford's base32: no i, l, o or u, so a code read aloud or copied by hand stays right.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_LENGTH = 16  # 16 × 5 bits = 80 bits
MISREAD = str.maketrans({"o": "0", "i": "1", "l": "1"})
# What the audit log says happened (their labels: portal/admin/forms.py ACTION_LABELS).
ENABLED = "mfa.enable"
DISABLED = "mfa.disable"
FAILED = "mfa.failure"
RECOVERY_USED = "mfa.recovery_used"
RECOVERY_REGENERATED = "mfa.recovery_regenerated"
# However many codes the limit refuses, the log notes it once in this time per account.
THROTTLE_NOTICE_EVERY = timedelta(hours=1)


def required_for(user: User) -> bool:
    """Whether the user's role must sign in with a second factor (MFA_REQUIRED_ROLES)."""
    return user.role in current_app.config.get("MFA_REQUIRED_ROLES", ())


# --- the secret ------------------------------------------------------------------------------


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"khorgos-gateway totp-secret",
    ).derive(current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _secret(user: User) -> str | None:
    """The user's TOTP secret in clear, or None (none, or encrypted under another SECRET_KEY)."""
    if not user.totp_secret:
        return None
    try:
        return _fernet().decrypt(user.totp_secret.encode()).decode()
    except InvalidToken:
        return None


def start_enrollment(user: User) -> None:
    """A new secret for the user to add to their app (the caller commits); in use only once
    `confirm_enrollment` sees a code made from it."""
    if user.has_second_factor:
        raise DomainError(_("Two-step sign-in is already on."))
    user.totp_secret = _fernet().encrypt(pyotp.random_base32().encode()).decode()


def enrollment_secret(user: User) -> str | None:
    """The secret being set up, or None when no set-up is under way."""
    return None if user.has_second_factor else _secret(user)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code(uri: str) -> str:
    """The otpauth:// address as a QR code, an SVG data URI for an <img> (the CSP allows data:
    images, and no script is needed)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_enrollment(user: User, password: str, code: str) -> list[str]:
    """Turn two-step sign-in on once the password and a first code from the app are right;
    end the user's other sessions (signed in without it). Returns the recovery codes, which
    are shown once (the caller commits)."""
    secret = enrollment_secret(user)
    if secret is None:
        raise DomainError(_("Start the set-up again: it has expired."))
    if not verify_password(user.password_hash, password):
        raise DomainError(_("The current password is not right."), field="current_password")
    step = _matching_step(secret, code)
    if step is None:
        raise DomainError(_("This code is not right. Check the clock of your phone."), field="code")
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step  # the first code cannot sign in later
    end_all_sessions(user, except_token=user.current_session_token)
    record(user, ENABLED, user_target(user))
    return _new_recovery_codes(user)


def disable(user: User, password: str, code: str) -> None:
    """Turn two-step sign-in off (the caller commits; a failed code's audit entry too)."""
    if not user.has_second_factor:
        raise DomainError(_("Two-step sign-in is off."))
    if not verify_password(user.password_hash, password):
        raise DomainError(_("The current password is not right."), field="current_password")
    check_second_factor(user, code, "turning two-step sign-in off")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record(user, DISABLED, user_target(user))


def reset_by_operator(user: User) -> None:
    """Turn two-step sign-in off for someone who lost both their app and their recovery codes,
    after an operator has checked who they are (ASVS 2.5.x: recovery through the same proofing
    as enrollment). Their sessions end; if their role requires it, they set it up again at the
    next sign-in. The caller commits."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_all_sessions(user)
    record(None, DISABLED, user_target(user), "reset by an operator")


# --- codes -----------------------------------------------------------------------------------


def _digits(code: str) -> str:
    return "".join(code.split())


def _matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step whose code this is, within the window around now; None if none."""
    code = _digits(code)
    if not re.fullmatch(r"[0-9]{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or utcnow())
    for step in range(current - STEP_WINDOW, current + STEP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify(user: User, code: str) -> bool:
    """Whether `code` is the user's current one and was not used before (the caller commits).

    A code is refused a second time within its window: the step it belongs to is stored, and
    only a later step is accepted. The write is one conditional UPDATE, so two requests with
    the same code at the same instant cannot both pass."""
    secret = _secret(user) if user.has_second_factor else None
    step = _matching_step(secret, code) if secret else None
    if step is None:
        return False
    claimed = db.session.execute(
        db.update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return claimed.rowcount == 1


def _normalized_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch not in " -").translate(MISREAD)


def _hash_recovery_code(code: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(8)
    digest = hashlib.sha256(salt + code.encode()).hexdigest()
    return f"sha256${salt.hex()}${digest}"


def _is_recovery_code(stored: str, code: str) -> bool:
    _scheme, salt, _digest = stored.split("$")
    return hmac.compare_digest(stored, _hash_recovery_code(code, bytes.fromhex(salt)))


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; returns them in clear, once."""
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(code)))
    return ["-".join(code[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]


def use_recovery_code(user: User, code: str) -> bool:
    """Whether `code` is one of the user's unused recovery codes; it is used up (the caller
    commits). Spaces, dashes, case and o/0, i/l/1 mix-ups do not matter."""
    code = _normalized_recovery_code(code)
    if not user.has_second_factor or not re.fullmatch(
        f"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}", code
    ):
        return False
    unused = db.session.scalars(
        db.select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    match = next((row for row in unused if _is_recovery_code(row.code_hash, code)), None)
    if match is None:
        return False
    # One conditional UPDATE: of two requests with the same code, one wins.
    used = db.session.execute(
        db.update(RecoveryCode)
        .where(RecoveryCode.id == match.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:
        return False
    record(user, RECOVERY_USED, user_target(user), f"recovery codes left: {len(unused) - 1}")
    return True


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        db.select(db.func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def check_second_factor(user: User, code: str, purpose: str) -> None:
    """A code from the app or an unused recovery code, or a DomainError next to the code
    field and a failure in the audit log (the caller commits, the refusal too)."""
    if verify(user, code) or use_recovery_code(user, code):
        return
    record(user, FAILED, user_target(user), f"wrong code: {purpose}")
    raise DomainError(_("This code is not right, or it was used already."), field="code")


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes for a code; the old ones stop working (the caller commits)."""
    check_second_factor(user, code, "new recovery codes")
    record(user, RECOVERY_REGENERATED, user_target(user))
    return _new_recovery_codes(user)


# --- the sign-in's second step ----------------------------------------------------------------
# Between the password and the code the user is not signed in: the browser's session holds only
# this state (whose user, since when, a nonce that makes each attempt its own), signed with
# SECRET_KEY like the rest of the session.


def pending_sign_in(user: User, remember: bool, next_url: str | None) -> dict:
    """What the second step needs to know, to keep in the session until the code is given."""
    return {
        "uid": user.id,
        "nonce": secrets.token_urlsafe(16),
        "since": int(utcnow().timestamp()),
        "remember": bool(remember),
        "next": next_url,
    }


def user_for_pending(state) -> User | None:
    """The user a pending sign-in is for, or None when there is none, it is older than
    SECOND_STEP_TIME, or the account can no longer sign in with a code."""
    if not isinstance(state, dict) or not isinstance(state.get("uid"), int):
        return None
    since = state.get("since")
    age = utcnow().timestamp() - since if isinstance(since, int) else None
    if age is None or not 0 <= age <= SECOND_STEP_TIME.total_seconds():
        return None
    user = db.session.get(User, state["uid"])
    if user is None or not user.active or not user.has_second_factor:
        return None
    return user


def complete_sign_in(user: User, code: str) -> None:
    """The second step: the code is right, the sign-in succeeds (the caller starts the session
    and commits; a refusal is committed too, for its audit entry)."""
    check_second_factor(user, code, "sign-in (the password was right)")
    record(user, "login.success", user_target(user), "with a second factor")


def note_throttled(user: User | None, limit: str) -> None:
    """The limit refused codes for the account: noted once an hour (the caller commits)."""
    if user is None:
        return
    since = utcnow() - THROTTLE_NOTICE_EVERY
    details = f"too many codes: {limit}"
    if not recorded_since(FAILED, since, target=user_target(user), details=details):
        record(user, FAILED, user_target(user), details)
