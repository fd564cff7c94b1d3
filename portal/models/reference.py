"""Reference data: zones, sectors, what each zone admits, baselines, rejection reasons."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

# The languages other than English an admin may type names in (English is the column itself).
OTHER_LANGUAGES = ("ru", "kk", "zh")


def _translation(field: str, lang: str) -> property:
    """`obj.name_ru`, read and written like a column: the text in `translations`, or ""."""

    def get(self) -> str:
        return ((self.translations or {}).get(lang) or {}).get(field, "")

    def set_(self, value: str) -> None:
        texts = {k: dict(v) for k, v in (self.translations or {}).items()}
        if value:
            texts.setdefault(lang, {})[field] = value
        else:
            texts.get(lang, {}).pop(field, None)
        # A new object, so the change is seen and saved.
        self.translations = {k: v for k, v in texts.items() if v} or None

    return property(get, set_)


class Translated:
    """Names an admin types per language, for reference data added after the catalog was
    translated: {"ru": {"name": "..."}, ...}. Empty means the catalog's translation, if any."""

    TRANSLATED: tuple[str, ...] = ()
    translations: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for field in cls.TRANSLATED:
            for lang in OTHER_LANGUAGES:
                setattr(cls, f"{field}_{lang}", _translation(field, lang))

    @classmethod
    def translated_fields(cls) -> tuple[str, ...]:
        """The form/service names of the per-language texts, e.g. ("name_ru", ...)."""
        return tuple(f"{field}_{lang}" for field in cls.TRANSLATED for lang in OTHER_LANGUAGES)


zone_sectors = Table(
    "zone_sectors",
    db.metadata,
    Column("zone_id", ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
    Column("sector_id", ForeignKey("sectors.id", ondelete="CASCADE"), primary_key=True),
)


class Zone(Translated, db.Model):
    __tablename__ = "zones"
    TRANSLATED = ("name", "description")

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


class Sector(Translated, db.Model):
    __tablename__ = "sectors"
    TRANSLATED = ("name",)

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


class RejectionReason(Translated, db.Model):
    __tablename__ = "rejection_reasons"
    TRANSLATED = ("label",)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
