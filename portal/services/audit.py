"""The audit log's writer: who did what to what, and from which client address.

Its own module because both the account services (sign-ins, passwords, sessions) and the
administration services (roles, reference data) write to it, and the administration services
already use the account services.
"""

from __future__ import annotations

from datetime import datetime

from portal.extensions import db
from portal.models import AuditEntry, User
from portal.security import client_address

TARGET_LENGTH = 100


def record(actor: User | None, action: str, target: str, details: str = "") -> AuditEntry:
    """Add an entry in the caller's transaction (the caller commits)."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        target=target[:TARGET_LENGTH],
        details=details,
        ip_address=client_address(),
    )
    db.session.add(entry)
    return entry


def user_target(user: User) -> str:
    return f"user #{user.id} {user.email}"


def recorded_since(
    action: str,
    since: datetime,
    *,
    target: str | None = None,
    ip_address: str | None = None,
    details: str | None = None,
) -> bool:
    """Whether an entry of `action` (about `target`, from `ip_address`, saying `details`) was
    written since then: a memory that every process of the portal shares."""
    stmt = db.select(AuditEntry.id).where(
        AuditEntry.action == action, AuditEntry.created_at >= since
    )
    if details is not None:
        stmt = stmt.where(AuditEntry.details == details)
    if target is not None:
        stmt = stmt.where(AuditEntry.target == target[:TARGET_LENGTH])
    if ip_address is not None:
        stmt = stmt.where(AuditEntry.ip_address == ip_address)
    return db.session.scalar(stmt.limit(1)) is not None
