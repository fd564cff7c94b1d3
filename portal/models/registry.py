"""Registered companies and the per-zone, per-year numbering."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.extensions import db
from portal.models.applications import Application
from portal.models.base import UTCDateTime, utcnow
from portal.models.reference import Sector, Zone


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("zone_id", "year", "seq", name="uq_registrations_zone_year_seq"),
        # Registrations per day, per zone and per sector are counted in this index alone.
        Index("ix_registrations_day_zone_sector", "registered_on", "zone_id", "sector_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id"))
    year: Mapped[int]
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    company_name: Mapped[str] = mapped_column(String(200))
    registered_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # `application.registration`: the registration of an approved application (None before).
    application: Mapped[Application] = relationship(backref=backref("registration", uselist=False))
    zone: Mapped[Zone] = relationship()
    sector: Mapped[Sector] = relationship()


class RegistrationCounter(db.Model):
    """The last number given in a zone and year; locked while the next one is taken."""

    __tablename__ = "registration_counters"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
