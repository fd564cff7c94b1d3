"""Registered companies and the per-zone, per-year numbering."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal import lifecycle
from portal.extensions import db
from portal.models.accounts import User
from portal.models.applications import Application
from portal.models.base import UTCDateTime, utcnow
from portal.models.reference import Sector, Zone


def _registered_on(context) -> date:
    """A new company is active since its registration date."""
    return context.get_current_parameters()["registered_on"]


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("zone_id", "year", "seq", name="uq_registrations_zone_year_seq"),
        # Registrations per day, per zone and per sector are counted in this index alone.
        Index("ix_registrations_day_zone_sector", "registered_on", "zone_id", "sector_id"),
        # Near clashes of names (services/company_names.py): the index neighbours of the
        # sorted words and of the name backwards are the candidates.
        Index("ix_registrations_name_words", "name_words"),
        Index("ix_registrations_reversed_name", "reversed_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id"))
    year: Mapped[int]
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    company_name: Mapped[str] = mapped_column(String(200))
    # The name check's keys, kept with every change of company_name (services/company_names.py).
    normalised_name: Mapped[str] = mapped_column(
        String(400), default="", server_default="", index=True
    )
    name_words: Mapped[str] = mapped_column(String(400), default="", server_default="")
    reversed_name: Mapped[str] = mapped_column(String(400), default="", server_default="")
    registered_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The company's status on the register (lifecycle.COMPANY_STATES), why, and since which day
    # (in the zone's calendar); its history is in company_status_events.
    status: Mapped[str] = mapped_column(
        String(20), default=lifecycle.ACTIVE, server_default=lifecycle.ACTIVE, index=True
    )
    status_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    status_since: Mapped[date] = mapped_column(default=_registered_on)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The record as it stands (services/company_changes.py): the application of the last
    # approved change (None: the registration's own), and the certificate version it issued.
    record_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    # `application.registration`: the registration of an approved application (None before).
    application: Mapped[Application] = relationship(
        foreign_keys=[application_id], backref=backref("registration", uselist=False)
    )
    record_application: Mapped[Application | None] = relationship(foreign_keys=[record_id])
    zone: Mapped[Zone] = relationship()
    sector: Mapped[Sector] = relationship()
    status_changed_by: Mapped[User | None] = relationship()

    # Where the company stands, as the lifecycle says (templates ask these, never the status).
    @property
    def is_active(self) -> bool:
        return lifecycle.is_company_active(self)

    @property
    def is_suspended(self) -> bool:
        return lifecycle.is_company_suspended(self)

    @property
    def is_struck_off(self) -> bool:
        return lifecycle.is_company_struck_off(self)

    @property
    def status_label(self) -> str:
        return lifecycle.COMPANY_STATE_LABELS[self.status]

    @property
    def record(self) -> Application:
        """The application whose data is the company's record now."""
        return self.record_application or self.application


class RegistrationVersion(db.Model):
    """A version of a company's record issued by an approved change (version 1, the record as
    registered, has no row): never edited, never deleted."""

    __tablename__ = "registration_versions"
    __table_args__ = (
        UniqueConstraint("registration_id", "version", name="uq_registration_versions_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    version: Mapped[int]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    company_name: Mapped[str] = mapped_column(String(200))  # under this version
    changed: Mapped[str] = mapped_column(Text)  # what changed: field keys, comma-separated
    effective_on: Mapped[date]  # the approval's day in the zone's calendar
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    registration: Mapped[Registration] = relationship()
    application: Mapped[Application] = relationship()
    approved_by: Mapped[User] = relationship()


class CompanyStatusEvent(db.Model):
    """One change of a company's status: never edited, never deleted."""

    __tablename__ = "company_status_events"
    __table_args__ = (
        Index("ix_company_status_events_registration", "registration_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[date]  # in the zone's calendar
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    registration: Mapped[Registration] = relationship()
    actor: Mapped[User] = relationship()


class RegistrationCounter(db.Model):
    """The last number given in a zone and year; locked while the next one is taken."""

    __tablename__ = "registration_counters"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
