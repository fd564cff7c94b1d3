"""A registered company's status on the register: suspend, restore, strike off.

A change is one transaction: the registration locked (`SELECT ... FOR UPDATE` on PostgreSQL) and
checked against the lifecycle, its status, reason and date set, a `CompanyStatusEvent` written
(never edited), an audit entry, and the owner's e-mail in the outbox. The view commits, then asks
for delivery. The public pages are renewed by the commit (page_cache: registrations changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal import lifecycle
from portal.extensions import db
from portal.models import CompanyStatusEvent, Registration, User
from portal.models.base import utcnow
from portal.services import DomainError, audit, zone_time
from portal.services.mail import queue_email
from portal.services.public_registry import normalise_number
from portal.urls import external_url

# The owner's e-mail for each new status: its subject and template (templates/email/).
NOTICES = {
    lifecycle.SUSPENDED: (_l("%(company)s is suspended on the register"), "company_suspended"),
    lifecycle.ACTIVE: (_l("%(company)s is active again on the register"), "company_restored"),
    lifecycle.STRUCK_OFF: (_l("%(company)s is struck off the register"), "company_struck_off"),
}
MAX_REASON = 2000


def find(number: str) -> Registration | None:
    """The registration with this number (in any case), for the admins' page."""
    return db.session.scalar(
        db.select(Registration)
        .options(joinedload(Registration.zone), joinedload(Registration.application))
        .where(Registration.number == normalise_number(number))
    )


def _lock(registration: Registration) -> Registration:
    """The registration re-read and locked until commit (two admins at once stay correct)."""
    return db.session.scalars(
        db.select(Registration)
        .where(Registration.id == registration.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def today(registration: Registration) -> date:
    """Today in the company's zone: the default and the latest effective date."""
    return zone_time.today(registration.zone)


def change_status(
    registration: Registration,
    target: str,
    user: User,
    reason: str,
    effective_on: date | None,
) -> CompanyStatusEvent:
    """Move the company to `target` since `effective_on` (the caller commits).

    lifecycle.IllegalMove if the move is not allowed (struck off is final; admins only);
    DomainError, with the field, for a missing reason or a date in the future or before the
    company's current status began."""
    registration = _lock(registration)
    move = lifecycle.check_company_move(registration, target, user)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason: it is shown on the public record."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(
            _("Keep the reason under %(max)d characters.", max=MAX_REASON), field="reason"
        )
    if effective_on is None:
        raise DomainError(_("Enter the date the status takes effect."), field="effective_on")
    if effective_on > today(registration):
        raise DomainError(_("The date cannot be in the future."), field="effective_on")
    if effective_on < registration.status_since:
        raise DomainError(
            _(
                "The date cannot be before %(date)s, when the company's present status began.",
                date=zone_time.format_day(registration.status_since),
            ),
            field="effective_on",
        )
    now = utcnow()
    event = CompanyStatusEvent(
        registration=registration,
        from_status=registration.status,
        to_status=target,
        reason=reason,
        effective_on=effective_on,
        actor=user,
        created_at=now,
    )
    db.session.add(event)
    registration.status = target
    registration.status_reason = reason
    registration.status_since = effective_on
    registration.status_changed_at = now
    registration.status_changed_by = user
    audit.record(
        user,
        f"company.{move.action}",
        f"company {registration.number}",
        f"{move.source} → {move.target} since {effective_on.isoformat()}: {reason}",
    )
    _notify(registration, event)
    return event


def _notify(registration: Registration, event: CompanyStatusEvent) -> None:
    """The owner's e-mail, in their language, in the change's transaction."""
    owner = registration.application.owner
    subject, template = NOTICES[event.to_status]
    with force_locale(owner.locale or "en"):
        queue_email(
            owner.email,
            str(subject) % {"company": registration.company_name},
            template,
            user=owner,
            registration=registration,
            event=event,
            link=external_url("registry.company", number=registration.number),
        )


@dataclass(frozen=True)
class StatusChange:
    """A change of status as the public record shows it (never who made it)."""

    from_status: str
    to_status: str
    reason: str
    effective_on: date

    @property
    def label(self) -> str:
        return lifecycle.COMPANY_STATE_LABELS[self.to_status]


def history(number: str) -> list[StatusChange]:
    """The company's changes of status, the latest first."""
    rows = db.session.execute(
        db.select(
            CompanyStatusEvent.from_status,
            CompanyStatusEvent.to_status,
            CompanyStatusEvent.reason,
            CompanyStatusEvent.effective_on,
        )
        .join(Registration, CompanyStatusEvent.registration_id == Registration.id)
        .where(Registration.number == normalise_number(number))
        .order_by(CompanyStatusEvent.created_at.desc(), CompanyStatusEvent.id.desc())
    ).all()
    return [StatusChange(*row) for row in rows]


def events(registration: Registration) -> list[CompanyStatusEvent]:
    """The staff's view of the history: with who made each change and when, the latest first."""
    return list(
        db.session.scalars(
            db.select(CompanyStatusEvent)
            .options(joinedload(CompanyStatusEvent.actor))
            .where(CompanyStatusEvent.registration_id == registration.id)
            .order_by(CompanyStatusEvent.created_at.desc(), CompanyStatusEvent.id.desc())
        )
    )
