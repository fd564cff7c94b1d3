"""What the help pages say that comes from data: the document rules, how long reviews take now,
and the zone administration's contacts. The prose around them is in templates/main/help/."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import Application, Zone, ZoneContact
from portal.services import stats
from portal.services.applications import CURRENCIES, DOCUMENT_TYPES, REQUIRED_DOCUMENTS
from portal.services.documents import ALLOWED_TYPES, PDF_MAX_PAGES
from portal.services.reference import active_zones

# The guides, by the name in their address.
INVESTOR_GUIDE, REVIEWER_GUIDE, ADMIN_GUIDE = "investors", "reviewers", "administrators"
GUIDES = (INVESTOR_GUIDE, REVIEWER_GUIDE, ADMIN_GUIDE)

# "Now" is the decisions of the last three months: recent enough to follow the queue, many
# enough for a median.
REVIEW_WINDOW_DAYS = 90
# Fewer decisions than this say too little about the next one: the pages then say nothing.
MIN_DECISIONS = 5


def guide_for(user) -> str:
    """The guide a signed-in user most likely wants (a visitor: the investor's)."""
    if getattr(user, "is_admin", False):
        return ADMIN_GUIDE
    if getattr(user, "is_staff", False):
        return REVIEWER_GUIDE
    return INVESTOR_GUIDE


@dataclass(frozen=True)
class DocumentRule:
    doc_type: str
    required: bool


@dataclass(frozen=True)
class DocumentRules:
    """What the upload check accepts (portal/services/documents.py) and what a submission needs."""

    documents: list[DocumentRule]
    formats: tuple[str, ...]  # "PDF", "PNG", "JPEG"
    max_mb: int
    pdf_max_pages: int
    currencies: tuple[str, ...]


def document_rules() -> DocumentRules:
    formats = {"pdf": "PDF", "png": "PNG", "jpg": "JPEG"}
    return DocumentRules(
        documents=[DocumentRule(t, t in REQUIRED_DOCUMENTS) for t in DOCUMENT_TYPES],
        formats=tuple(formats[ext] for ext in ALLOWED_TYPES.values()),
        max_mb=current_app.config["MAX_DOCUMENT_BYTES"] // (1024 * 1024),
        pdf_max_pages=PDF_MAX_PAGES,
        currencies=CURRENCIES,
    )


# --- how long a review takes ------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneTimes:
    zone: Zone
    times: stats.Durations


@dataclass(frozen=True)
class ReviewTimes:
    """Submission to decision for the decisions of the window, as the dashboard counts them."""

    start: date
    end: date
    overall: stats.Durations
    investor_wait: stats.Durations  # a request for information to the investor's answer
    zones: list[ZoneTimes]  # the zones with enough decisions to say something

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def known(self) -> bool:
        return self.overall.count >= MIN_DECISIONS

    @property
    def answers_known(self) -> bool:
        return self.investor_wait.count >= MIN_DECISIONS


def _window(zone_id: int | None = None, sector_id: int | None = None) -> stats.Filters:
    end = stats.today(zone_id)
    return stats.Filters(end - timedelta(days=REVIEW_WINDOW_DAYS - 1), end, zone_id, sector_id)


def _decision_times(filters: stats.Filters) -> tuple[stats.Durations, stats.Durations]:
    times = stats.review_times(filters)
    return times.reviewers[0].times, times.investor_wait  # the first row is all reviewers


def review_times() -> ReviewTimes:
    """The current median and 90th percentile of review times: overall and per active zone."""
    window = _window()
    overall, investor_wait = _decision_times(window)
    zones = []
    if overall.count >= MIN_DECISIONS:
        for zone in active_zones():
            times, _ = _decision_times(_window(zone.id))
            if times.count >= MIN_DECISIONS:
                zones.append(ZoneTimes(zone, times))
    return ReviewTimes(window.start, window.end, overall, investor_wait, zones)


def typical_decision_days(application: Application) -> int | None:
    """Within how many days applications like this one (same zone and sector, else same zone,
    else any) are usually decided now: their median, in whole days. None when too few were
    decided lately to say."""
    scopes = [(application.zone_id, application.sector_id), (application.zone_id, None)]
    for zone_id, sector_id in [*dict.fromkeys(scopes), (None, None)]:
        times, _ = _decision_times(_window(zone_id, sector_id))
        if times.count >= MIN_DECISIONS and times.median is not None:
            return max(1, math.ceil(times.median))
    return None


# --- contacts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactGroup:
    zone: Zone | None  # None: the offices for every zone
    offices: list[ZoneContact]


def contacts() -> list[ContactGroup]:
    """The active offices, those for every zone first, then zone by zone (active zones only)."""
    rows = db.session.scalars(
        db.select(ZoneContact)
        .outerjoin(Zone, ZoneContact.zone_id == Zone.id)
        .options(joinedload(ZoneContact.zone))
        .where(ZoneContact.active, (Zone.id.is_(None)) | Zone.active)
        .order_by(Zone.code.is_not(None), Zone.code, ZoneContact.position, ZoneContact.office)
    )
    groups: list[ContactGroup] = []
    for contact in rows:
        if not groups or groups[-1].zone is not contact.zone:
            groups.append(ContactGroup(contact.zone, []))
        groups[-1].offices.append(contact)
    return groups
