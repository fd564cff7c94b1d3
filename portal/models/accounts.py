"""Accounts and their sessions."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow

# The roles, named once: import these, never retype the strings.
INVESTOR = "investor"
REVIEWER = "reviewer"
ADMIN = "admin"
ROLES = (INVESTOR, REVIEWER, ADMIN)
STAFF_ROLES = (REVIEWER, ADMIN)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=INVESTOR)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Two-step sign-in (services/mfa.py): the TOTP secret, encrypted; set while enrolling,
    # in use once `totp_enabled_at` is; the last time step a code was accepted for (no replay).
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column()
    # A reviewer an admin has given the right to suspend, restore and strike off companies
    # (lifecycle.COMPANY_MOVES); admins always have it, and other roles never use it.
    company_status_right: Mapped[bool] = mapped_column(default=False, server_default=false())

    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # The token of the session this object was loaded for, and its row (set by the user loader).
    current_session_token = None
    current_session = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_investor(self) -> bool:
        return self.role == INVESTOR

    @property
    def is_reviewer(self) -> bool:
        return self.role == REVIEWER

    @property
    def changes_company_status(self) -> bool:
        """May suspend, restore and strike off companies: an admin, or a reviewer given it."""
        return self.is_admin or (self.is_reviewer and self.company_status_right)

    @property
    def has_second_factor(self) -> bool:
        """Signs in with a one-time code after the password (two-step sign-in is on)."""
        return self.totp_enabled_at is not None

    def get_id(self) -> str:
        # Flask-Login keeps this in the session and the remember cookie: a session token,
        # not the user id, so a revoked session cannot be replayed.
        if not self.current_session_token:
            raise RuntimeError("user has no current session")
        return self.current_session_token

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserSession(db.Model):
    """One login. Logging out, or changing the password elsewhere, revokes it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    # The last request made with it (idle timeout) and the address it signed in from.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str] = mapped_column(String(45), default="", server_default="")

    user: Mapped[User] = relationship(back_populates="sessions")

    @property
    def last_active_at(self) -> datetime:
        """When the idle clock started: the last request noted, or the sign-in."""
        return self.last_seen_at or self.created_at


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app (a lost phone); only its
    salted hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(100))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="recovery_codes")
