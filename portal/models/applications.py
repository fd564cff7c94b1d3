"""An investor's application to register a company, its founders, documents and events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, Numeric, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import lifecycle
from portal.extensions import db
from portal.models.accounts import User
from portal.models.base import UTCDateTime, utcnow
from portal.models.reference import RejectionReason, Sector, Zone

if TYPE_CHECKING:
    from portal.models.registry import Registration


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_status_submitted", "status", "submitted_at"),
        Index("ix_applications_owner", "owner_id", "updated_at"),
        # The dashboard: submissions per day and the funnel, grouped in the index alone.
        Index("ix_applications_submitted_on", "submitted_on", "status", "zone_id", "sector_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default=lifecycle.DRAFT)
    # What it asks: to register a new company, or to change a registered one's record
    # (lifecycle.KINDS; services/company_changes.py), and then which company.
    kind: Mapped[str] = mapped_column(
        String(20), default=lifecycle.REGISTRATION, server_default=lifecycle.REGISTRATION
    )
    changes_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", use_alter=True, name="fk_applications_changes_id"),
        index=True,
    )
    # The last step the investor saved, so a draft resumes where they stopped.
    current_step: Mapped[str] = mapped_column(String(20), default="company")

    # Company
    company_name: Mapped[str] = mapped_column(String(200), default="")
    # The name check's keys, kept with every change of company_name (services/company_names.py):
    # the name as compared (indexed: the exact clash) and its words in alphabetical order.
    normalised_name: Mapped[str] = mapped_column(
        String(400), default="", server_default="", index=True
    )
    name_words: Mapped[str] = mapped_column(String(400), default="", server_default="")
    # The normalised name whose similar names the investor has checked are not their company.
    name_warning_accepted: Mapped[str] = mapped_column(String(400), default="", server_default="")
    legal_form: Mapped[str] = mapped_column(String(20), default="")
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id"))
    activity_code: Mapped[str] = mapped_column(String(16), default="")
    address: Mapped[str] = mapped_column(String(300), default="")

    # Investment
    investment_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    investment_currency: Mapped[str] = mapped_column(String(3), default="")
    planned_jobs: Mapped[int | None]

    # Director and contact
    director_name: Mapped[str] = mapped_column(String(200), default="")
    director_nationality: Mapped[str] = mapped_column(String(2), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")

    # Beneficial owners: instead of listing any, the declaration that no natural person owns
    # or controls the company (as Companies House's "no registrable person"), with its reason.
    owners_none_declared: Mapped[bool] = mapped_column(default=False, server_default=false())
    owners_none_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The day of the first submission in the zone's time zone (the dashboard counts by it).
    submitted_on: Mapped[date | None]
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Review
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    # A change's company (None for a registration).
    changes: Mapped[Registration | None] = relationship(foreign_keys=[changes_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    zone: Mapped[Zone | None] = relationship()
    sector: Mapped[Sector | None] = relationship()
    founders: Mapped[list[Founder]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Founder.position"
    )
    owners: Mapped[list[BeneficialOwner]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="BeneficialOwner.position",
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Document.id"
    )
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id"
    )

    @property
    def display_name(self) -> str:
        return self.company_name or f"#{self.id}"

    @property
    def is_change(self) -> bool:
        """A change to a registered company's record, not a new registration."""
        return lifecycle.is_change(self)

    # Where it stands, as the lifecycle says (templates ask these, never the status string).

    @property
    def is_editable(self) -> bool:
        return lifecycle.is_editable(self)

    @property
    def is_with_reviewers(self) -> bool:
        return lifecycle.is_with_reviewers(self)

    @property
    def awaits_taking(self) -> bool:
        return lifecycle.awaits_taking(self)

    @property
    def is_held(self) -> bool:
        return lifecycle.is_held(self)

    @property
    def awaits_answer(self) -> bool:
        return lifecycle.awaits_answer(self)

    @property
    def is_decided(self) -> bool:
        return lifecycle.is_decided(self)

    @property
    def is_approved(self) -> bool:
        return lifecycle.is_approved(self)

    @property
    def resubmitted(self) -> bool:
        return lifecycle.is_resubmitted(self)

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.status}>"


class Founder(db.Model):
    __tablename__ = "founders"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10), default="natural")  # natural | legal
    name: Mapped[str] = mapped_column(String(200))
    nationality: Mapped[str] = mapped_column(String(2))  # ISO 3166 alpha-2
    share: Mapped[Decimal] = mapped_column(Numeric(5, 2))

    application: Mapped[Application] = relationship(back_populates="founders")


class BeneficialOwner(db.Model):
    """A natural person who owns or controls the company: 25% or more of its shares or votes,
    directly or through a founding company, or control by other means."""

    __tablename__ = "beneficial_owners"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date]
    nationality: Mapped[str] = mapped_column(String(2))  # ISO 3166 alpha-2
    residence: Mapped[str] = mapped_column(String(2))  # country of residence, ISO 3166 alpha-2
    # Natures of control: keys of services.owners.CONTROLS ("shares", "votes", ...).
    controls: Mapped[list[str]] = mapped_column(JSON, default=list)
    shares_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    votes_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # "" when held directly (or by other means); else the name of the founding legal entity
    # it is held through (founders are replaced on every save, so no id would last).
    held_through: Mapped[str] = mapped_column(String(200), default="")

    application: Mapped[Application] = relationship(back_populates="owners")


class Document(db.Model):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    doc_type: Mapped[str] = mapped_column(String(20))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    application: Mapped[Application] = relationship(back_populates="documents")


class DocumentBlob(db.Model):
    """A document's bytes, when DOCUMENT_STORAGE=database: every app server reads the same row.

    Keyed by the document's stored name, as a file or an object would be; written and deleted
    in the same transaction as its document.
    """

    __tablename__ = "document_blobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApplicationEvent(db.Model):
    """One step in an application's life: never edited, never deleted."""

    __tablename__ = "application_events"
    __table_args__ = (
        # An application's history, and the dashboard's "when was it first submitted".
        Index("ix_application_events_application_action", "application_id", "action", "created_at"),
        # The dashboard's decisions, rejections and resubmissions in a window, index-only.
        Index(
            "ix_application_events_action_created",
            "action",
            "created_at",
            "application_id",
            "actor_id",
            "reason_id",
        ),
        # The dashboard's review times: a histogram of the stored durations, index-only.
        Index(
            "ix_application_events_elapsed",
            "action",
            "created_at",
            "actor_id",
            "elapsed_seconds",
            "application_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("rejection_reasons.id"))
    # Seconds since the event that started this one's clock (see services.applications.CLOCKS):
    # approve/reject from the first submission, resubmit from the latest request for information.
    elapsed_seconds: Mapped[int | None]
    # On a request for information: what the application held then, so the reviewer sees
    # what the investor changed before resubmitting (services.changes).
    snapshot: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    application: Mapped[Application] = relationship(back_populates="events")
    actor: Mapped[User] = relationship()
    reason: Mapped[RejectionReason | None] = relationship()
