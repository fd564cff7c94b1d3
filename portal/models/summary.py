"""Daily counts the dashboard reads instead of counting applications (services/daily_counts.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

# zone_id / sector_id 0: every zone / every sector (the rows the unfiltered dashboard reads).
ALL = 0


class DailyCount(db.Model):
    """How many of one kind of thing happened on one day, in a zone and a sector.

    Each thing is counted four times: in its zone and sector, in its zone (sector 0), in its
    sector (zone 0) and in all (0, 0), so any window of the dashboard, filtered or not, reads
    one row per day and category. Kept in the same transaction as the move it counts.
    """

    __tablename__ = "daily_counts"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(primary_key=True)
    sector_id: Mapped[int] = mapped_column(primary_key=True)
    # The rejection reason of a rejection (0: none); 0 for every other kind.
    detail: Mapped[int] = mapped_column(primary_key=True, default=0)
    count: Mapped[int] = mapped_column(default=0)
