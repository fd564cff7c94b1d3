"""Administration: users, reference data and the audit log.

Every change writes an `AuditEntry` in the caller's transaction (the caller commits), saying
what changed from what to what. Nothing that history refers to is deleted: it is deactivated.
"""

from __future__ import annotations

import calendar
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.i18n import LANGUAGES
from portal.models import (
    ADMIN,
    ROLES,
    Application,
    AuditEntry,
    Baseline,
    RejectionReason,
    Sector,
    User,
    Zone,
    ZoneContact,
    zone_sectors,
)
from portal.services import DomainError, accounts
from portal.services.accounts import end_all_sessions
from portal.services.audit import record, user_target

ZONE_CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
LOWER_CODE = re.compile(r"[a-z0-9]+(?:[_-][a-z0-9]+)*")
BASELINE_KINDS = ("year", "target")

ZONE_FIELDS = ("code", "name", "description", "timezone", "active", *Zone.translated_fields())
SECTOR_FIELDS = ("code", "name", "active", *Sector.translated_fields())
BASELINE_FIELDS = ("label", "year", "registrations", "days", "kind")
REASON_FIELDS = ("code", "label", "active", *RejectionReason.translated_fields())
CONTACT_FIELDS = (
    "zone_id",
    "office",
    "address",
    "phone",
    "email",
    "hours",
    "position",
    "active",
    *ZoneContact.translated_fields(),
)
# The same shapes as an application's contact e-mail and phone.
CONTACT_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CONTACT_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{5,24}")

TRANSLATIONS = frozenset(
    Zone.translated_fields()
    + Sector.translated_fields()
    + RejectionReason.translated_fields()
    + ZoneContact.translated_fields()
)


@cache
def timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# --- the audit log ---------------------------------------------------------------------------


def audit_filters() -> tuple[list[str], list[User]]:
    """The actions recorded so far, and the users who did something: what the log filters by."""
    actions = db.session.scalars(
        db.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    ).all()
    actors = db.session.scalars(
        db.select(User)
        .where(User.id.in_(db.select(AuditEntry.actor_id).where(AuditEntry.actor_id.isnot(None))))
        .order_by(User.email)
    ).all()
    return list(actions), list(actors)


def audit_log(action: str | None, actor_id: int | None, page: int, per_page: int) -> Pagination:
    """The log newest first, of one action or one actor if given."""
    stmt = (
        db.select(AuditEntry)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _show(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _describe(values: Mapping) -> str:
    return "; ".join(
        f"{name}: {_show(value)}"
        for name, value in values.items()
        if value or name not in TRANSLATIONS  # no "name_ru: " for each empty language
    )


def _apply(obj, values: Mapping) -> str:
    """Set the changed attributes; the "name: old → new" text for the log ('' if none)."""
    changes = []
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            changes.append(f"{name}: {_show(old)} → {_show(value)}")
            setattr(obj, name, value)
    return "; ".join(changes)


def _clean(values: Mapping, names: Iterable[str]) -> dict:
    cleaned = {}
    for name in names:
        if name in TRANSLATIONS:
            if name not in values:  # not given: left as it is
                continue
            cleaned[name] = (values[name] or "").strip()
            continue
        value = values[name]
        cleaned[name] = value.strip() if isinstance(value, str) else value
    return cleaned


def _require(values: Mapping, *names: str) -> None:
    for name in names:
        if values[name] in (None, ""):
            raise DomainError(_("This field is required."), field=name)


def _unique(model, column: str, value, current=None) -> None:
    existing = db.session.scalar(db.select(model).where(getattr(model, column) == value))
    if existing is not None and existing is not current:
        raise DomainError(_("%(value)s is already used.", value=value), field=column)


# --- users -----------------------------------------------------------------------------------


def find_users(q: str | None, role: str | None, page: int, per_page: int) -> Pagination:
    """Users by e-mail, those whose address contains `q` and who have `role` if given."""
    stmt = db.select(User).order_by(User.email)
    if q:
        stmt = stmt.where(User.email.contains(q.strip().lower(), autoescape=True))
    if role:
        stmt = stmt.where(User.role == role)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _keep_an_admin(leaving: User, field: str) -> None:
    """Refuse to take away the last active administrator.

    The active admins are locked (FOR UPDATE on PostgreSQL), so two admins demoting each other at
    the same instant are serialised and the second sees the first's change.
    """
    admins = db.session.scalars(
        db.select(User.id).where(User.role == ADMIN, User.active).with_for_update()
    ).all()
    if set(admins) <= {leaving.id}:
        raise DomainError(_("The portal must keep at least one active administrator."), field=field)


def set_role(user: User, role: str, actor: User) -> bool:
    """Change a user's role. An admin cannot remove their own admin role (nobody would be
    left to give it back). True when something changed."""
    if role not in ROLES:
        raise DomainError(_("Unknown role."), field="role")
    if user.id == actor.id and role != ADMIN:
        raise DomainError(_("You cannot remove your own administrator role."), field="role")
    if user.role == role:
        return False
    if user.role == ADMIN:
        _keep_an_admin(user, field="role")
    record(actor, "user.role", user_target(user), f"role: {user.role} → {role}")
    user.role = role
    return True


def invite_user(actor: User, email: str, full_name: str, role: str, locale: str) -> User:
    """Open an account for a colleague (typically a reviewer) and e-mail them the link that
    lets them choose their password."""
    if locale not in LANGUAGES:
        raise DomainError(_("Unknown language."), field="locale")
    user = accounts.invite(email, full_name or "", role, locale, inviter=actor)
    record(actor, "user.invite", user_target(user), f"role: {role}")
    return user


def set_active(user: User, active: bool, actor: User) -> bool:
    """Activate or deactivate an account; deactivating ends every session it has."""
    if user.id == actor.id and not active:
        raise DomainError(_("You cannot deactivate your own account."), field="active")
    if user.active == active:
        return False
    if not active and user.role == ADMIN:
        _keep_an_admin(user, field="active")
    action = "user.activate" if active else "user.deactivate"
    details = f"active: {user.active} → {active}"
    if not active:
        ended = end_all_sessions(user)
        details += f"; sessions ended: {ended}"
    record(actor, action, user_target(user), details)
    user.active = active
    return True


def set_company_status_right(user: User, granted: bool, actor: User) -> bool:
    """Give a reviewer the right to change companies' status (lifecycle.COMPANY_MOVES), or take
    it back; admins have it anyway and investors never get it."""
    if not user.is_reviewer:
        raise DomainError(
            _("Only a reviewer is given this right: admins have it, investors never."),
            field="granted",
        )
    if user.company_status_right == granted:
        return False
    record(
        actor,
        "user.company_status_right",
        user_target(user),
        f"may change companies' status: {user.company_status_right} → {granted}",
    )
    user.company_status_right = granted
    return True


# --- reference data: zones, sectors, baselines, rejection reasons ------------------------------


def _check_zone(values: dict, zone: Zone | None) -> None:
    _require(values, "code", "name", "timezone")
    values["code"] = values["code"].upper()
    if len(values["code"]) > 16 or not ZONE_CODE.fullmatch(values["code"]):
        raise DomainError(
            _("Use up to 16 capital letters, digits and dashes, e.g. KEG-IND."), field="code"
        )
    _unique(Zone, "code", values["code"], zone)
    if values["timezone"] not in timezones():
        raise DomainError(
            _("Not a known time zone. Use an IANA name such as Asia/Almaty or Asia/Shanghai."),
            field="timezone",
        )
    if zone is not None and values["code"] != zone.code:
        used = db.session.scalar(
            db.select(db.func.count())
            .select_from(Application)
            .where(Application.zone_id == zone.id)
        )
        if used:
            raise DomainError(
                _("Applications refer to this zone by its code: it cannot change any more."),
                field="code",
            )


def _check_lower_code(values: dict, model, current, max_length: int) -> None:
    values["code"] = values["code"].lower()
    if len(values["code"]) > max_length or not LOWER_CODE.fullmatch(values["code"]):
        raise DomainError(
            _("Use small letters, digits, dashes and underscores, e.g. e_commerce."),
            field="code",
        )
    _unique(model, "code", values["code"], current)


def _check_sector(values: dict, sector: Sector | None) -> None:
    _require(values, "code", "name")
    _check_lower_code(values, Sector, sector, 32)


def _check_reason(values: dict, reason: RejectionReason | None) -> None:
    _require(values, "code", "label")
    _check_lower_code(values, RejectionReason, reason, 32)


def year_length(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def _check_baseline(values: dict, baseline: Baseline | None) -> None:
    _require(values, "label", "year", "registrations", "kind")
    if values["kind"] not in BASELINE_KINDS:
        raise DomainError(_("Choose a year or a target."), field="kind")
    if not 1900 <= values["year"] <= 2100:
        raise DomainError(_("Enter a year between 1900 and 2100."), field="year")
    if values["registrations"] <= 0:
        raise DomainError(_("Enter a number of registrations above zero."), field="registrations")
    if values["days"] is None:
        values["days"] = year_length(values["year"])
    if not 1 <= values["days"] <= 366:
        raise DomainError(_("Enter between 1 and 366 days."), field="days")
    if values["kind"] == "year" and values["days"] != year_length(values["year"]):
        raise DomainError(
            _(
                "%(year)d had %(days)d days. A part of a year is a target.",
                year=values["year"],
                days=year_length(values["year"]),
            ),
            field="days",
        )
    _unique(Baseline, "label", values["label"], baseline)


def _check_contact(values: dict, contact: ZoneContact | None) -> None:
    """An office investors can reach: a name, and a phone or an e-mail that work."""
    _require(values, "office")
    if values["zone_id"] is not None and db.session.get(Zone, values["zone_id"]) is None:
        raise DomainError(_("Unknown zone or sector."), field="zone_id")
    values["email"] = (values["email"] or "").lower()
    values["phone"] = values["phone"] or ""
    if not values["phone"] and not values["email"]:
        raise DomainError(_("Give a phone number or an e-mail address."), field="phone")
    if values["email"] and not CONTACT_EMAIL.fullmatch(values["email"]):
        raise DomainError(_("Enter a valid e-mail address."), field="email")
    if values["phone"] and not CONTACT_PHONE.fullmatch(values["phone"]):
        raise DomainError(
            _("Enter the number with its country code, e.g. +7 727 000 00 00."), field="phone"
        )
    for name in ("address", "hours"):
        values[name] = values[name] or ""
    if values["position"] is None:
        values["position"] = 0


@dataclass(frozen=True)
class ReferenceKind:
    """How admins edit one kind of reference data. Every kind is created and updated the same
    way: cleaned, checked, saved, and audited as `<kind>.create` / `<kind>.update` on the target
    "<kind> <key>"."""

    model: type
    fields: tuple[str, ...]  # what the form sends, the other languages' texts included
    key: str  # the attribute that names an item in the audit log
    check: Callable[[dict, object | None], None]  # raises DomainError; may normalise the values
    order: tuple = ()  # how the list is sorted
    load: tuple = ()  # related rows the list shows, loaded with it


REFERENCE = {
    "zone": ReferenceKind(Zone, ZONE_FIELDS, "code", _check_zone, (Zone.code,)),
    "sector": ReferenceKind(
        Sector, SECTOR_FIELDS, "code", _check_sector, (Sector.name,), (selectinload(Sector.zones),)
    ),
    "baseline": ReferenceKind(
        Baseline, BASELINE_FIELDS, "label", _check_baseline, (Baseline.year, Baseline.label)
    ),
    "reason": ReferenceKind(
        RejectionReason, REASON_FIELDS, "code", _check_reason, (RejectionReason.label,)
    ),
    "contact": ReferenceKind(
        ZoneContact,
        CONTACT_FIELDS,
        "office",
        _check_contact,
        (ZoneContact.zone_id.is_not(None), ZoneContact.zone_id, ZoneContact.position),
        (joinedload(ZoneContact.zone),),
    ),
}


def items(kind: str) -> list:
    """Every item of the kind, inactive ones included, for the admin's list."""
    spec = REFERENCE[kind]
    return list(db.session.scalars(db.select(spec.model).options(*spec.load).order_by(*spec.order)))


def create(kind: str, actor: User, /, **values):
    """A new zone, sector, baseline or reason (`kind`, a key of REFERENCE); the values are the
    kind's fields. `kind` is positional only, as a baseline has a field of that name."""
    spec = REFERENCE[kind]
    values = _clean(values, spec.fields)
    spec.check(values, None)
    item = spec.model(**values)
    db.session.add(item)
    record(actor, f"{kind}.create", f"{kind} {values[spec.key]}", _describe(values))
    return item


def update(kind: str, item, actor: User, /, **values) -> bool:
    """True when something changed (and only then is it audited)."""
    spec = REFERENCE[kind]
    values = _clean(values, spec.fields)
    spec.check(values, item)
    target = f"{kind} {getattr(item, spec.key)}"
    changes = _apply(item, values)
    if changes:
        record(actor, f"{kind}.update", target, changes)
    return bool(changes)


# --- the eligibility matrix ------------------------------------------------------------------


def eligible_pairs() -> set[tuple[int, int]]:
    rows = db.session.execute(db.select(zone_sectors.c.zone_id, zone_sectors.c.sector_id))
    return {(zone_id, sector_id) for zone_id, sector_id in rows}


def set_eligibility(matrix: Mapping[tuple[int, int], bool], actor: User) -> tuple[int, int]:
    """Which sectors each zone admits. `matrix` maps (zone id, sector id) to admitted; pairs
    not in it are left as they are. Returns (added, removed)."""
    # Lock the zones so two admins saving the matrix at once are serialised, not failing.
    db.session.scalars(db.select(Zone.id).with_for_update()).all()
    current = eligible_pairs()
    wanted = {pair for pair, admitted in matrix.items() if admitted}
    shown = set(matrix)
    added = sorted(wanted - current)
    removed = sorted((current & shown) - wanted)
    if not added and not removed:
        return 0, 0
    zones = {z.id: z for z in db.session.scalars(db.select(Zone))}
    sectors = {s.id: s for s in db.session.scalars(db.select(Sector))}
    if any(z not in zones or s not in sectors for z, s in added):
        raise DomainError(_("Unknown zone or sector."))
    for zone_id, sector_id in added:
        zones[zone_id].sectors.append(sectors[sector_id])
    for zone_id, sector_id in removed:
        zones[zone_id].sectors.remove(sectors[sector_id])

    def names(pairs):
        return ", ".join(f"{zones[z].code} × {sectors[s].code}" for z, s in pairs) or "—"

    record(
        actor,
        "eligibility.update",
        "zones × sectors",
        f"added: {names(added)}; removed: {names(removed)}",
    )
    return len(added), len(removed)
