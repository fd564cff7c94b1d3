"""The application: drafting step by step, what a complete one needs, and its status moves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, object_session

from portal import lifecycle
from portal.extensions import db
from portal.i18n import data_text
from portal.models import (
    Application,
    ApplicationEvent,
    BeneficialOwner,
    Founder,
    RejectionReason,
    Sector,
    User,
    Zone,
)
from portal.models.base import utcnow
from portal.services import DomainError, company_names, daily_counts, owners
from portal.services.mail import queue_email
from portal.services.zone_time import format_moment, local_date
from portal.urls import external_url

STEPS = ("company", "investment", "founders", "owners", "documents", "review")
# A change to a registered company's record: no investment (it is not part of the record).
CHANGE_STEPS = ("company", "founders", "owners", "documents", "review")
# What a change leaves as registered: a company keeps its zone, sector and legal form.
FIXED_IN_A_CHANGE = frozenset({"legal_form", "zone_id", "sector_id"})
STEP_LABELS = {
    "company": _l("Company"),
    "investment": _l("Investment"),
    "founders": _l("Founders"),
    "owners": _l("Beneficial owners"),
    "documents": _l("Documents"),
    "review": _l("Review and submit"),
}

LEGAL_FORMS = {
    "llp": _l("Limited liability partnership (LLP)"),
    "jsc": _l("Joint-stock company (JSC)"),
    "branch": _l("Branch of a foreign company"),
    "rep_office": _l("Representative office"),
    "sole": _l("Individual entrepreneur"),
}
CURRENCIES = ("KZT", "CNY", "USD", "EUR", "RUB")
FOUNDER_KINDS = {"natural": _l("Natural person"), "legal": _l("Legal entity")}
DOCUMENT_TYPES = {
    "passport": _l("Founder's passport or registration extract"),
    "charter": _l("Charter"),
    "business_plan": _l("Business plan"),
    "other": _l("Other"),
}
REQUIRED_DOCUMENTS = ("passport", "charter")

# Fields an investor may set on each step, and which of them a complete application needs.
STEP_FIELDS = {
    "company": (
        "company_name",
        "legal_form",
        "zone_id",
        "sector_id",
        "activity_code",
        "address",
        "director_name",
        "director_nationality",
        "contact_email",
        "contact_phone",
    ),
    "investment": ("investment_amount", "investment_currency", "planned_jobs"),
}
OPTIONAL_FIELDS = frozenset({"contact_phone"})
# What each field is called where a problem with it is listed (the same words as its form label).
FIELD_LABELS = {
    "company_name": _l("Proposed company name"),
    "legal_form": _l("Legal form"),
    "zone_id": _l("Zone"),
    "sector_id": _l("Sector"),
    "activity_code": _l("Economic activity code (OKED)"),
    "address": _l("Address in the zone"),
    "director_name": _l("Director's full name"),
    "director_nationality": _l("Director's nationality"),
    "contact_email": _l("Contact e-mail"),
    "contact_phone": _l("Contact phone"),
    "investment_amount": _l("Planned investment"),
    "investment_currency": _l("Currency"),
    "planned_jobs": _l("Planned jobs"),
}


@dataclass(frozen=True)
class Problem:
    step: str
    field: str | None
    message: str
    label: str = ""  # what the field is called, when FIELD_LABELS does not name it


def steps_of(application: Application) -> tuple[str, ...]:
    return CHANGE_STEPS if lifecycle.is_change(application) else STEPS


def create_draft(owner: User) -> Application:
    application = Application(owner=owner, status=lifecycle.DRAFT, contact_email=owner.email)
    db.session.add(application)
    db.session.flush()
    return application


def ensure_editable(application: Application) -> None:
    if not lifecycle.is_editable(application):
        raise DomainError(_("This application can no longer be changed."))


def update_fields(application: Application, step: str, values: dict) -> None:
    """Store the given fields of a step on the draft (only the step's own fields)."""
    ensure_editable(application)
    counted = daily_counts.state_of(application)  # a resubmission may change zone or sector
    allowed = STEP_FIELDS[step]
    columns = Application.__table__.c
    for name, value in values.items():
        if name not in allowed or (lifecycle.is_change(application) and name in FIXED_IN_A_CHANGE):
            continue
        if isinstance(value, str):
            value = value.strip()
        elif value is None and columns[name].type.python_type is str:
            value = ""  # text columns hold "" for "not given yet"
        setattr(application, name, value)
    daily_counts.restate(counted, application)
    remember_step(application, step)


def remember_step(application: Application, step: str) -> None:
    if step in STEPS:
        application.current_step = step
    application.updated_at = utcnow()


def check_eligibility(zone: Zone | None, sector: Sector | None) -> None:
    if zone is not None and sector is not None and not zone.admits(sector):
        raise DomainError(
            _(
                "The %(zone)s zone does not admit the %(sector)s sector. Choose another "
                "sector or another zone.",
                zone=zone.code,
                sector=data_text(sector.name),
            ),
            field="sector_id",
        )


def check_shares(shares: list[Decimal]) -> None:
    if not shares:
        raise DomainError(_("Add at least one founder."), field="founders")
    total = sum(shares, Decimal(0))
    if total != Decimal(100):
        raise DomainError(
            _(
                "The founders' shares add up to %(total)s%%; they must add up to exactly 100%%.",
                total=f"{total.normalize():f}",
            ),
            field="founders",
        )


def set_founders(application: Application, rows: list[dict]) -> None:
    """Replace the founders with `rows` (dicts of kind, name, nationality, share)."""
    ensure_editable(application)
    application.founders.clear()
    db.session.flush()
    for position, row in enumerate(rows):
        application.founders.append(
            Founder(
                position=position,
                kind=row["kind"],
                name=row["name"].strip(),
                nationality=row["nationality"],
                share=Decimal(row["share"]),
            )
        )
    remember_step(application, "founders")


def owner_rows(application: Application) -> list[dict]:
    """The stored owners as the rows the owners' rules and the form read."""
    return [{name: getattr(o, name) for name in owners.ROW_FIELDS} for o in application.owners]


def _owner_problems(application: Application, rows: list[dict], declared: bool, reason: str):
    return owners.problems(rows, declared, reason, application.founders, utcnow().date())


def save_owners(
    application: Application, rows: list[dict] | None, declared: bool, reason: str
) -> tuple[bool, list[Problem]]:
    """Store the beneficial owners (`rows`: dicts of owners.ROW_FIELDS) or the declaration that
    there are none: whether they were stored, and what the step still lacks. Nothing is stored
    when the form did not parse (`rows` None) or a value is refused (a date of birth in the
    future, a percent above 100): then the problems are the refusals."""
    ensure_editable(application)
    if rows is None:
        remember_step(application, "owners")
        return False, []
    found = _owner_problems(application, rows, declared, reason)
    if any(p.refused for p in found):
        remember_step(application, "owners")
        return False, [Problem("owners", p.field, p.message, p.label) for p in found if p.refused]
    application.owners.clear()
    db.session.flush()
    for position, row in enumerate(rows):
        application.owners.append(
            BeneficialOwner(
                position=position,
                name=row["name"].strip(),
                birth_date=row["birth_date"],
                nationality=row["nationality"],
                residence=row["residence"],
                controls=[c for c in owners.CONTROLS if c in set(row.get("controls") or ())],
                shares_percent=row.get("shares_percent"),
                votes_percent=row.get("votes_percent"),
                held_through=(row.get("held_through") or "").strip(),
            )
        )
    application.owners_none_declared = bool(declared)
    application.owners_none_reason = (reason or "").strip() if declared else ""
    remember_step(application, "owners")
    db.session.flush()
    return True, step_problems(application, "owners")


def step_problems(application: Application, step: str) -> list[Problem]:
    """What the step still lacks for the application to be complete."""
    problems: list[Problem] = []
    if step in STEP_FIELDS:
        for name in STEP_FIELDS[step]:
            value = getattr(application, name)
            if name not in OPTIONAL_FIELDS and (value is None or value == ""):
                problems.append(Problem(step, name, _("This field is required.")))
    if step == "company":
        # A name taken since the draft was saved is refused again at submission.
        clash = name_clash(application)
        if clash is not None:
            problems.append(Problem(step, "company_name", clash))
        if application.zone is not None and not application.zone.active:
            problems.append(Problem(step, "zone_id", _("This zone no longer takes applications.")))
        try:
            check_eligibility(application.zone, application.sector)
        except DomainError as exc:
            problems.append(Problem(step, exc.field, exc.message))
    elif step == "investment":
        amount = application.investment_amount
        if amount is not None and amount <= 0:
            problems.append(Problem(step, "investment_amount", _("Enter an amount above zero.")))
    elif step == "founders":
        try:
            check_shares([f.share for f in application.founders])
        except DomainError as exc:
            problems.append(Problem(step, exc.field, exc.message))
    elif step == "owners":
        problems += [
            Problem(step, p.field, p.message, p.label)
            for p in _owner_problems(
                application,
                owner_rows(application),
                application.owners_none_declared,
                application.owners_none_reason,
            )
        ]
    elif step == "documents" and not lifecycle.is_change(application):  # a change: optional
        present = {d.doc_type for d in application.documents}
        for doc_type in REQUIRED_DOCUMENTS:
            if doc_type not in present:
                problems.append(
                    Problem(
                        step,
                        "documents",
                        _(
                            "Upload a document of the type: %(type)s.",
                            type=DOCUMENT_TYPES[doc_type],
                        ),
                    )
                )
    return problems


def submission_problems(application: Application) -> list[Problem]:
    problems = [p for step in steps_of(application)[:-1] for p in step_problems(application, step)]
    if lifecycle.is_change(application):
        from portal.services import company_changes  # it builds on this module

        problems += [
            Problem(step, None, message) for step, message in company_changes.problems(application)
        ]
    return problems


def save_fields(application: Application, step: str, values: dict) -> list[Problem]:
    """Store what the investor typed on a step of fields; what the step still lacks."""
    update_fields(application, step, values)
    db.session.flush()
    return step_problems(application, step)


def refusals(application: Application, problems: list[Problem]) -> list[Problem]:
    """The problems shown whichever button was pressed: a draft may be incomplete, but a
    sector the zone does not admit, or a name already taken, is refused as soon as it is chosen."""
    return [
        p
        for p in problems
        if (p.field == "sector_id" and application.sector_id)
        or (p.field == "company_name" and application.company_name)
    ]


def name_clash(application: Application) -> str | None:
    """Why the proposed name cannot be had (a registered company or an application under
    review has it), or None."""
    if not application.company_name:
        return None
    result = company_names.check_for(application)
    return result.message if result.clash else None


def check_company_name(
    application: Application, accepted: bool | None = None
) -> tuple[company_names.NameCheck, Problem | None]:
    """The name check of the proposed name, and the warning that still stops "Save and
    continue": similar names the investor has not ticked "I have checked" for. `accepted` is
    the box as sent (None when only reading); the tick is remembered for this name only."""
    result = company_names.check_for(application)
    if accepted is not None:
        ensure_editable(application)
        application.name_warning_accepted = result.normalised if accepted else ""
    if not result.similar or application.name_warning_accepted == result.normalised:
        return result, None
    return result, Problem(
        "company",
        "similar_names_checked",
        _("Tick the box if your company is not one of the similar names, or change the name."),
    )


def save_founders(application: Application, rows: list[dict] | None) -> list[Problem]:
    """Store the founders (`rows`, or None when the form did not parse: then only the step is
    remembered); what the step still lacks."""
    if rows is None:
        remember_step(application, "founders")
        return []
    set_founders(application, rows)
    db.session.flush()
    return step_problems(application, "founders")


# --- status moves -----------------------------------------------------------------------------


# Which earlier event starts the clock an event stops, stored on it as elapsed_seconds (the
# dashboard's review times read only that): a decision is timed from the application's FIRST
# submission, a resubmission from the LATEST request for information before it.
CLOCKS = {
    "approve": ("submit", "first"),
    "reject": ("submit", "first"),
    "resubmit": ("request_info", "latest"),
}


def seconds_between(later: datetime, earlier: datetime) -> int:
    return round((later - earlier).total_seconds())


def elapsed_seconds(
    application_id: int | None,
    action: str,
    at: datetime,
    events: Iterable[tuple[str, datetime]] | None = None,
) -> int | None:
    """Seconds from the event that starts `action`'s clock to `at` (None: no clock).

    `events` are the application's (action, instant) pairs when the caller holds them (an
    application not written yet; the dashboard benchmark's million); otherwise they are read.
    """
    if action not in CLOCKS:
        return None
    start_action, which = CLOCKS[action]
    if events is None:
        events = db.session.execute(
            db.select(ApplicationEvent.action, ApplicationEvent.created_at).where(
                ApplicationEvent.application_id == application_id,
                ApplicationEvent.action == start_action,
            )
        ).all()
    starts = [started for earlier, started in events if earlier == start_action and started <= at]
    if not starts:
        return None
    return seconds_between(at, min(starts) if which == "first" else max(starts))


def lock(application: Application) -> Application:
    """Re-read the application under a row lock (FOR UPDATE on PostgreSQL) before a move.

    One not written yet (no id: the demo's history, built in memory and written at once) has
    no row to lock, and nobody else can see it.
    """
    if application.id is None:
        return application
    return db.session.scalars(
        db.select(Application)
        .where(Application.id == application.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def transition(
    application: Application,
    action: str,
    actor: User,
    comment: str = "",
    reason: RejectionReason | None = None,
    at: datetime | None = None,
) -> ApplicationEvent:
    """Make a lifecycle move and record it as an event (the caller commits).

    `at` is when the move happened, for history loaded after the fact (the demo); else now.
    """
    application = lock(application)
    move = lifecycle.check_move(application, action, actor)
    now = at or utcnow()
    counted = daily_counts.state_of(application)
    # Not written yet (see lock): its earlier events are all in memory.
    events = (
        [(e.action, e.created_at) for e in application.events] if application.id is None else None
    )
    event = ApplicationEvent(
        application=application,
        actor=actor,
        action=action,
        from_status=application.status,
        to_status=move.target,
        comment=comment.strip(),
        reason=reason,
        created_at=now,
        elapsed_seconds=elapsed_seconds(application.id, action, now, events),
    )
    if object_session(application) is not None:  # one built in memory is written by its maker
        db.session.add(event)
    application.status = move.target
    application.updated_at = now
    if move.target == lifecycle.SUBMITTED:
        application.submitted_at = now
        application.submitted_on = application.submitted_on or local_date(now, application.zone)
    elif move.target in lifecycle.DECIDED:
        application.decided_at = now
    # The dashboard's daily counts, in this transaction (services/daily_counts.py).
    daily_counts.restate(counted, application)
    if action == "reject":
        daily_counts.rejected(application, now, reason.id if reason else None)
    return event


def submit(application: Application, actor: User, comment: str = "") -> ApplicationEvent:
    """Check everything once more and submit (or resubmit after a request for information,
    with the investor's answer as the event's comment)."""
    if not actor.is_confirmed:
        raise DomainError(_("Confirm your e-mail address before submitting."))
    problems = submission_problems(application)
    if problems:
        raise DomainError(_("The application is not complete yet."))
    action = "resubmit" if application.status == lifecycle.INFO_REQUESTED else "submit"
    event = transition(application, action, actor, comment)
    _queue_receipt(event.application, resubmitted=action == "resubmit")
    return event


def _queue_receipt(application: Application, resubmitted: bool) -> None:
    """The investor's receipt, in their language, in the submission's transaction: what they
    sent, when (in the zone's time), and what happens next."""
    owner = application.owner
    with force_locale(owner.locale or "en"):
        queue_email(
            owner.email,
            _("We received your application for %(company)s", company=application.display_name),
            "submission_receipt",
            user=owner,
            application=application,
            resubmitted=resubmitted,
            # As every page shows a moment: the zone's clock, the zone named.
            submitted_at=format_moment(application.submitted_at, application.zone),
            link=external_url("apply.detail", application_id=application.id),
        )


def withdraw(application: Application, actor: User, comment: str = "") -> ApplicationEvent:
    return transition(application, "withdraw", actor, comment)


def applications_of(user: User) -> list[Application]:
    return list(
        db.session.scalars(
            db.select(Application)
            .options(joinedload(Application.zone))
            .where(Application.owner_id == user.id)
            .order_by(Application.updated_at.desc())
        )
    )
