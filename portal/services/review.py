"""The reviewers' side: the queue, taking an application, and the three decisions.

Every decision is one transaction: the status move and its event, the registration on approval,
and the investor's e-mail in the outbox. The view commits, then asks for delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from portal import lifecycle
from portal.extensions import db
from portal.models import (
    Application,
    ApplicationEvent,
    Registration,
    RejectionReason,
    User,
    Zone,
)
from portal.models.base import utcnow
from portal.services import DomainError, changes, company_changes
from portal.services import applications as app_service
from portal.services.mail import queue_email
from portal.services.numbering import assign_registration
from portal.urls import external_url

REASSIGN = "reassign"  # an event that changes who has the application, not its status

# --- the queue -------------------------------------------------------------------------------

# What reviewers filter by. "open" waits for a decision; drafts are never shown to staff.
STATUS_FILTERS = {
    "open": _l("Open"),
    lifecycle.SUBMITTED: lifecycle.STATE_LABELS[lifecycle.SUBMITTED],
    lifecycle.IN_REVIEW: lifecycle.STATE_LABELS[lifecycle.IN_REVIEW],
    lifecycle.INFO_REQUESTED: lifecycle.STATE_LABELS[lifecycle.INFO_REQUESTED],
    lifecycle.APPROVED: lifecycle.STATE_LABELS[lifecycle.APPROVED],
    lifecycle.REJECTED: lifecycle.STATE_LABELS[lifecycle.REJECTED],
    lifecycle.WITHDRAWN: lifecycle.STATE_LABELS[lifecycle.WITHDRAWN],
    "all": _l("All"),
}
SORTS = {
    "oldest": _l("Waiting longest"),
    "newest": _l("Most recently submitted"),
    "company": _l("Company name"),
    "zone": _l("Zone"),
    "status": _l("Status"),
}
DEFAULT_STATUS = "open"
DEFAULT_SORT = "oldest"


@dataclass(frozen=True)
class QueueFilters:
    status: str = DEFAULT_STATUS
    zone_id: int | None = None
    sector_id: int | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    q: str = ""
    assignee_id: int | None = None  # the reviewer who has (or decided) the application
    unassigned: bool = False  # nobody has taken it yet
    kind: str = ""  # lifecycle.REGISTRATION or lifecycle.CHANGE; "" for both


def _start_of(day: date) -> datetime:
    """Midnight of `day` in the portal's time zone (dates typed by reviewers are local)."""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time.min, tzinfo=tz)


def _conditions(filters: QueueFilters, *, with_status: bool = True) -> list:
    # Staff see what was submitted at least once, never an investor's private draft.
    conds = [Application.submitted_at.is_not(None)]
    if with_status:
        if filters.status == "open":
            conds.append(Application.status.in_(lifecycle.OPEN))
        elif filters.status in lifecycle.STATES:
            conds.append(Application.status == filters.status)
    if filters.kind in lifecycle.KINDS:
        conds.append(Application.kind == filters.kind)
    if filters.zone_id:
        conds.append(Application.zone_id == filters.zone_id)
    if filters.sector_id:
        conds.append(Application.sector_id == filters.sector_id)
    if filters.unassigned:
        conds.append(Application.assignee_id.is_(None))
    elif filters.assignee_id:
        conds.append(Application.assignee_id == filters.assignee_id)
    if filters.submitted_from:
        conds.append(Application.submitted_at >= _start_of(filters.submitted_from))
    if filters.submitted_to:
        conds.append(Application.submitted_at < _start_of(filters.submitted_to + timedelta(1)))
    q = filters.q.strip()
    if q:
        conds.append(
            db.or_(
                Application.company_name.icontains(q, autoescape=True),
                Application.owner.has(User.email.icontains(q, autoescape=True)),
                db.select(Registration.id)
                .where(
                    Registration.application_id == Application.id,
                    Registration.number.icontains(q, autoescape=True),
                )
                .exists(),
            )
        )
    return conds


def _order(sort: str) -> list:
    oldest = [Application.submitted_at.asc(), Application.id.asc()]
    if sort == "newest":
        return [Application.submitted_at.desc(), Application.id.desc()]
    if sort == "company":
        return [db.func.lower(Application.company_name), Application.id]
    if sort == "zone":
        zone_code = db.select(Zone.code).where(Zone.id == Application.zone_id).scalar_subquery()
        return [zone_code, *oldest]
    if sort == "status":
        return [Application.status, *oldest]
    return oldest


@dataclass
class QueuePage:
    pagination: Pagination
    numbers: dict[int, str]  # registration number by application id

    @property
    def items(self) -> list[Application]:
        return self.pagination.items


def queue(filters: QueueFilters, sort: str = DEFAULT_SORT, page: int = 1) -> QueuePage:
    """One page of the queue in three queries (count, rows with their people and places,
    registration numbers), however many rows it shows."""
    stmt = (
        db.select(Application)
        .options(
            joinedload(Application.owner),
            joinedload(Application.assignee),
            joinedload(Application.zone),
            joinedload(Application.sector),
        )
        .where(*_conditions(filters))
        .order_by(*_order(sort))
    )
    pagination = db.paginate(
        stmt, page=page, per_page=current_app.config["PAGE_SIZE"], error_out=False
    )
    ids = [a.id for a in pagination.items]
    # A registration's number, and a change's: the number of the company it changes.
    changed = {a.changes_id: a.id for a in pagination.items if a.changes_id is not None}
    numbers = {}
    if ids:
        for application_id, registration_id, number in db.session.execute(
            db.select(Registration.application_id, Registration.id, Registration.number).where(
                Registration.application_id.in_(ids) | Registration.id.in_(list(changed))
            )
        ):
            if application_id in ids:
                numbers[application_id] = number
            if registration_id in changed:
                numbers[changed[registration_id]] = number
    return QueuePage(pagination=pagination, numbers=numbers)


def status_counts(filters: QueueFilters | None = None) -> dict[str, int]:
    """How many applications are in each status (under the other filters), plus open and all."""
    filters = filters or QueueFilters()
    rows = db.session.execute(
        db.select(Application.status, db.func.count(Application.id))
        .where(*_conditions(filters, with_status=False))
        .group_by(Application.status)
    ).all()
    counts = dict.fromkeys(STATUS_FILTERS, 0)
    for status, count in rows:
        counts[status] = count
        counts["all"] += count
        if status in lifecycle.OPEN:
            counts["open"] += count
    return counts


def days_waiting(application: Application, now: datetime | None = None) -> int | None:
    """Days since (re)submission; for a decided application, the days it took."""
    if application.submitted_at is None:
        return None
    end = application.decided_at if application.status in lifecycle.DECIDED else None
    return ((end or now or utcnow()) - application.submitted_at).days


def active_rejection_reasons() -> list[RejectionReason]:
    return list(
        db.session.scalars(
            db.select(RejectionReason).where(RejectionReason.active).order_by(RejectionReason.label)
        )
    )


# --- taking and deciding --------------------------------------------------------------------


def _require_staff(user: User) -> None:
    if not user.is_staff:
        raise lifecycle.IllegalMove("only reviewers may review")


def take(
    application: Application, reviewer: User, at: datetime | None = None
) -> ApplicationEvent | None:
    """Take a submitted application, or take over one a colleague has in review.

    A take-over changes no status; it is recorded as a `reassign` event by the new reviewer, so
    the timeline says who had the application when. Taking what one already has does nothing.
    `at` is when, for history loaded after the fact (the demo); else now.
    """
    _require_staff(reviewer)
    at = at or utcnow()
    application = app_service.lock(application)
    if application.status == lifecycle.IN_REVIEW:
        if application.assignee_id == reviewer.id:
            return None
        event = ApplicationEvent(
            application=application,
            actor=reviewer,
            action=REASSIGN,
            from_status=application.status,
            to_status=application.status,
            created_at=at,
        )
        db.session.add(event)
    else:
        event = app_service.transition(application, "take", reviewer, at=at)
    application.assignee = reviewer
    application.assigned_at = at
    return event


def _check_assignee(application: Application, reviewer: User) -> Application:
    """Lock the application; decisions are made by the reviewer who has it."""
    _require_staff(reviewer)
    application = app_service.lock(application)
    if application.status == lifecycle.IN_REVIEW and application.assignee_id != reviewer.id:
        holder = application.assignee
        raise DomainError(
            _(
                "%(name)s has this application. Take it over before deciding.",
                name=(holder.full_name or holder.email) if holder else _("Nobody"),
            )
        )
    return application


def _notify(application: Application, subject, template: str, **context) -> None:
    """The investor's e-mail, in their language, in the decision's transaction."""
    owner = application.owner
    context.setdefault("link", external_url("apply.detail", application_id=application.id))
    with force_locale(owner.locale or "en"):
        queue_email(
            owner.email, str(subject), template, user=owner, application=application, **context
        )


def request_info(application: Application, reviewer: User, message: str) -> ApplicationEvent:
    """Send the application back to the investor, who edits and resubmits it."""
    message = (message or "").strip()
    if not message:
        raise DomainError(_("Write what the investor should add or change."), field="message")
    application = _check_assignee(application, reviewer)
    event = app_service.transition(application, "request_info", reviewer, comment=message)
    event.snapshot = changes.snapshot(application)  # to show what the investor changes
    _notify(
        application,
        _l("More information needed for %(company)s", company=application.display_name),
        "decision_info_requested",
        message=message,
    )
    return event


def approve(application: Application, reviewer: User, comment: str = "") -> Registration:
    """Approve and register the company: its number is taken in the same transaction. A change
    to a registered company becomes its record instead, with the next certificate version."""
    application = _check_assignee(application, reviewer)
    event = app_service.transition(application, "approve", reviewer, comment=comment or "")
    if application.is_change:
        version = company_changes.apply(application, reviewer)
        _notify(
            application,
            _l(
                "Your change to %(company)s is approved: certificate version %(version)d",
                company=version.company_name,
                version=version.version,
            ),
            "change_approved",
            registration=version.registration,
            version=version,
            comment=event.comment,
            link=external_url("apply.detail", application_id=version.registration.application_id),
        )
        return version.registration
    registration = assign_registration(application, application.decided_at)
    _notify(
        application,
        _l(
            "%(company)s is registered: %(number)s",
            company=application.display_name,
            number=registration.number,
        ),
        "decision_approved",
        registration=registration,
        comment=event.comment,
    )
    return registration


def reject(
    application: Application,
    reviewer: User,
    reason: RejectionReason | int | None,
    explanation: str,
) -> ApplicationEvent:
    """Reject with a reason from the admins' list and an explanation for the investor."""
    if isinstance(reason, int):
        reason = db.session.get(RejectionReason, reason)
    if reason is None or not reason.active:
        raise DomainError(_("Choose a reason from the list."), field="reason")
    explanation = (explanation or "").strip()
    if not explanation:
        raise DomainError(_("Explain the decision to the investor."), field="explanation")
    application = _check_assignee(application, reviewer)
    event = app_service.transition(
        application, "reject", reviewer, comment=explanation, reason=reason
    )
    _notify(
        application,
        _l("Decision on %(company)s", company=application.display_name),
        "decision_rejected",
        reason=reason,
        explanation=explanation,
    )
    return event
