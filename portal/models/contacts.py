"""Where investors reach the zone administration: offices, with their address, phone and hours."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.reference import Translated, Zone


class ZoneContact(Translated, db.Model):
    """An office of a zone's administration (no zone: the portal's own help desk), as the help
    pages show it. Admins edit it; an office that closes is deactivated, not deleted."""

    __tablename__ = "zone_contacts"
    TRANSLATED = ("office", "address", "hours")

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"), index=True)
    office: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)  # the order within its zone
    active: Mapped[bool] = mapped_column(default=True)

    zone: Mapped[Zone | None] = relationship()

    def __repr__(self) -> str:
        return f"<ZoneContact {self.office}>"
