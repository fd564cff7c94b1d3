"""What the investor changed between a request for information and the resubmission.

A request for information stores a snapshot of the application on its event (events are never
edited, so the snapshot stays what the reviewer saw). When the investor resubmits, the
reviewer's page compares that snapshot with the application as it is now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import format_date, format_decimal
from flask_babel import lazy_gettext as _l

from portal import i18n
from portal.extensions import db
from portal.models import Application, ApplicationEvent, Sector, Zone
from portal.services import owners as owners_service
from portal.services.applications import (
    DOCUMENT_TYPES,
    FIELD_LABELS,
    LEGAL_FORMS,
    STEP_FIELDS,
)

FIELDS = STEP_FIELDS["company"] + STEP_FIELDS["investment"]


@dataclass(frozen=True)
class Change:
    what: str
    before: str  # "" when something was added
    after: str  # "" when something was removed


def _raw(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _owners(application: Application) -> list:
    owners = [
        [
            o.name,
            o.birth_date.isoformat(),
            o.nationality,
            o.residence,
            list(o.controls or ()),
            _raw(o.shares_percent),
            _raw(o.votes_percent),
            o.held_through,
        ]
        for o in application.owners
    ]
    if application.owners_none_declared:
        owners.append(["", None, "", "", [], None, None, application.owners_none_reason])
    return owners


def snapshot(application: Application) -> dict:
    """The application's fields, founders, beneficial owners and documents, as plain JSON."""
    return {
        "fields": {name: _raw(getattr(application, name)) for name in FIELDS},
        "founders": [[f.kind, f.name, f.nationality, _raw(f.share)] for f in application.founders],
        "owners": _owners(application),
        "documents": [[d.id, d.doc_type, d.original_name] for d in application.documents],
    }


def _show_field(name: str, value: str | None, zones: dict, sectors: dict) -> str:
    if value is None:
        return "—"
    if name == "zone_id":
        zone = zones.get(int(value))
        return f"{zone.code} — {i18n.data_text(zone.name)}" if zone else value
    if name == "sector_id":
        sector = sectors.get(int(value))
        return i18n.data_text(sector.name) if sector else value
    if name == "legal_form":
        return str(LEGAL_FORMS.get(value, value))
    if name == "director_nationality":
        return i18n.country_name(value)
    if name in ("investment_amount", "planned_jobs"):
        return format_decimal(Decimal(value))
    return value


def _show_founders(founders: list) -> str:
    return "; ".join(
        f"{name} ({i18n.country_name(nationality)}) {format_decimal(Decimal(share or 0))} %"
        for _kind, name, nationality, share in founders
    )


def _show_owners(owners: list) -> str:
    """Each owner as one line of facts, e.g. Li Wei (Sep 3, 1978; China; Country of residence:
    China): Owns shares: at least 25%; Shares, %: 30; Through Xinjiang Textile Co."""
    labels = owners_service.FIELD_LABELS
    shown = []
    for name, born, nationality, residence, controls, shares, votes, through in owners:
        if not name:  # the declaration that there is none, with its reason
            shown.append(
                str(_l("Declared that there is no beneficial owner: %(reason)s", reason=through))
            )
            continue
        facts = [
            *owners_service.controls_of(controls),
            *(
                f"{labels[field]}: {format_decimal(Decimal(value))}"
                for field, value in (("shares_percent", shares), ("votes_percent", votes))
                if value is not None
            ),
            *([str(_l("Through %(founder)s", founder=through))] if through else []),
        ]
        person = "; ".join(
            [
                format_date(date.fromisoformat(born)),
                i18n.country_name(nationality),
                f"{labels['residence']}: {i18n.country_name(residence)}",
            ]
        )
        shown.append(f"{name} ({person}): " + "; ".join(facts))
    return " · ".join(shown)


def _show_document(document: list) -> str:
    _id, doc_type, name = document
    return f"{name} — {DOCUMENT_TYPES.get(doc_type, doc_type)}"


def compare(before: dict, application: Application) -> list[Change]:
    """What differs between a snapshot and the application now, in the form's order."""
    now = snapshot(application)
    changed = [name for name in FIELDS if before["fields"].get(name) != now["fields"].get(name)]
    ids = {
        key: {int(v) for v in (before["fields"].get(key), now["fields"].get(key)) if v}
        for key in ("zone_id", "sector_id")
    }
    zones = {
        z.id: z for z in db.session.scalars(db.select(Zone).where(Zone.id.in_(ids["zone_id"])))
    }
    sectors = {
        s.id: s
        for s in db.session.scalars(db.select(Sector).where(Sector.id.in_(ids["sector_id"])))
    }
    changes = [
        Change(
            str(FIELD_LABELS[name]),
            _show_field(name, before["fields"].get(name), zones, sectors),
            _show_field(name, now["fields"].get(name), zones, sectors),
        )
        for name in changed
    ]
    if before["founders"] != now["founders"]:
        changes.append(
            Change(
                str(_l("Founders")),
                _show_founders(before["founders"]),
                _show_founders(now["founders"]),
            )
        )
    # A snapshot taken before owners were recorded says nothing of them: no change is shown.
    if "owners" in before and before["owners"] != now["owners"]:
        changes.append(
            Change(
                str(_l("Beneficial owners")),
                _show_owners(before["owners"]),
                _show_owners(now["owners"]),
            )
        )
    kept = {d[0] for d in before["documents"]}
    current = {d[0] for d in now["documents"]}
    changes += [
        Change(str(_l("Document removed")), _show_document(d), "")
        for d in before["documents"]
        if d[0] not in current
    ]
    changes += [
        Change(str(_l("Document added")), "", _show_document(d))
        for d in now["documents"]
        if d[0] not in kept
    ]
    return changes


def since_last_request(application: Application) -> tuple[ApplicationEvent, list[Change]] | None:
    """The latest request for information the investor has answered by resubmitting, and what
    changed since it; None when there is none (or it predates snapshots)."""
    request = None
    answered = False
    for event in application.events:
        if event.action == "request_info":
            request, answered = event, False
        elif event.action == "resubmit" and request is not None:
            answered = True
    if request is None or not answered or request.snapshot is None:
        return None
    return request, compare(request.snapshot, application)
