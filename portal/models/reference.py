"""Reference data: zones, sectors, what each zone admits, baselines, rejection reasons."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

zone_sectors = Table(
    "zone_sectors",
    db.metadata,
    Column("zone_id", ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sectors.id", ondelete="CASCADE"), primary_key=True),
)


class Zone(db.Model):
    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Almaty")
    active: Mapped[bool] = mapped_column(default=True)

    sectors: Mapped[list[Sector]] = relationship(
        secondary=zone_sectors, back_populates="zones", order_by="Sector.name"
    )

    def admits(self, sector: Sector) -> bool:
        return any(s.id == sector.id for s in self.sectors)

    def __repr__(self) -> str:
        return f"<Zone {self.code}>"


class Sector(db.Model):
    __tablename__ = "sectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    zones: Mapped[list[Zone]] = relationship(secondary=zone_sectors, back_populates="sectors")

    def __repr__(self) -> str:
        return f"<Sector {self.code}>"


class Baseline(db.Model):
    """A reference year (or a target) and how many companies registered in it."""

    __tablename__ = "baselines"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(64), unique=True)
    year: Mapped[int]
    registrations: Mapped[int]
    days: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16), default="year")  # year | target

    @property
    def per_day(self) -> Decimal:
        return Decimal(self.registrations) / Decimal(self.days)


class RejectionReason(db.Model):
    __tablename__ = "rejection_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
