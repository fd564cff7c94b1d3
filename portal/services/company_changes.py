"""Changes after registration: the owner of a registered company changes its record.

A change is an application of the kind `lifecycle.CHANGE` for one registered company. It starts
as a copy of the company's record (the registration's application, or the last approved
change), the owner edits what differs (the name, through the same name check; the address; the
director; the activity code; the founders and their shares; the beneficial owners) on the same
steps as an application, and it goes through the same queue and moves. Zone, sector and legal
form stay as registered. Approval (services/review.py) makes the change the company's record,
issues the next version of its certificate and keeps a version row: what changed, when, approved
by whom. The earlier certificate still verifies, as superseded (services/statements.py).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import lifecycle
from portal.extensions import db
from portal.models import (
    Application,
    Registration,
    RegistrationVersion,
    User,
)
from portal.services import DomainError, changes
from portal.services.applications import FIELD_LABELS, STEP_FIELDS
from portal.services.zone_time import local_date

# A change's steps and the fields it leaves as registered: applications.CHANGE_STEPS and
# applications.FIXED_IN_A_CHANGE. What a change copies from the record it starts from:
COPIED_FIELDS = (*STEP_FIELDS["company"], *STEP_FIELDS["investment"], "owners_none_declared")


# What a version's "changed" keys are called where people read them.
CHANGED_LABELS = {
    **FIELD_LABELS,
    "company_name": _l("Company name"),
    "founders": _l("Founders"),
    "owners": _l("Beneficial owners"),
}


def changed_labels(keys) -> str:
    """The changed parts of a version (its keys), named in the reader's language: "Address,
    Director's full name"."""
    return ", ".join(str(CHANGED_LABELS.get(k, k)) for k in keys)


def owned_by(registration: Registration, user: User) -> bool:
    return registration.application.owner_id == user.id


def open_change(registration: Registration) -> Application | None:
    """The change of this company that is neither decided nor withdrawn, if any."""
    return db.session.scalars(
        db.select(Application).where(
            Application.changes_id == registration.id,
            Application.kind == lifecycle.CHANGE,
            Application.status.in_([lifecycle.DRAFT, *lifecycle.OPEN]),
        )
    ).first()


def file_change(registration: Registration, user: User) -> Application:
    """A draft change of the company's record, as a copy of the record (the caller commits).

    DomainError when the user does not own the company, the company is struck off, or another
    change is open (then its `field` is "open_change" and nothing is created)."""
    if not owned_by(registration, user):
        raise DomainError(_("Only the company's owner can change its record."))
    if registration.is_struck_off:
        raise DomainError(_("The company is struck off the register: its record is closed."))
    if open_change(registration) is not None:
        raise DomainError(
            _("A change of this company is already open: finish it or withdraw it first."),
            field="open_change",
        )
    record = registration.record
    change = Application(
        owner=user,
        kind=lifecycle.CHANGE,
        changes=registration,
        status=lifecycle.DRAFT,
        current_step="company",
        **{name: getattr(record, name) for name in COPIED_FIELDS},
        owners_none_reason=record.owners_none_reason,
        # The company's own name is not a clash for itself (see company_names).
        name_warning_accepted=record.normalised_name,
    )
    change.founders = [_copy(f) for f in record.founders]
    change.owners = [_copy(o) for o in record.owners]
    db.session.add(change)
    db.session.flush()
    return change


def _copy(row):
    """A founder or beneficial owner of the record, as a new row for the change."""
    columns = (c.key for c in type(row).__table__.columns if c.key not in ("id", "application_id"))
    values = {key: getattr(row, key) for key in columns}
    return type(row)(**{k: list(v) if isinstance(v, list) else v for k, v in values.items()})


def _record_before(application: Application) -> Application:
    """The record the change changes: the record now, or, once the change is approved, the
    record it replaced."""
    registration = application.changes
    issued = db.session.scalars(
        db.select(RegistrationVersion).where(RegistrationVersion.application_id == application.id)
    ).first()
    if issued is None:
        return registration.record
    return record_under(registration, issued.version - 1)


def _before(application: Application) -> dict:
    """The company's record as the change found it, without its documents (a change brings
    its own supporting documents; the record's stay with it)."""
    before = changes.snapshot(_record_before(application))
    before["documents"] = []
    return before


def what_changes(application: Application) -> list[changes.Change]:
    """The change against the company's record: each field, the founders and the owners, old
    against new, and the supporting documents added."""
    return changes.compare(_before(application), application)


def changed_keys(application: Application) -> list[str]:
    """What the change changes in the record: field names, "founders", "owners"."""
    before, after = _before(application), changes.snapshot(application)
    keys = [n for n in changes.FIELDS if before["fields"].get(n) != after["fields"].get(n)]
    keys += [part for part in ("founders", "owners") if before[part] != after[part]]
    return keys


def problems(application: Application) -> list[tuple[str, str]]:
    """Why the change cannot be submitted as it is: (step, message) pairs."""
    found = []
    if not changed_keys(application):
        found.append(("review", _("This change changes nothing in the company's record yet.")))
    registration = application.changes
    if registration is not None and registration.is_struck_off:
        found.append(("review", _("The company is struck off the register: its record is closed.")))
    return found


def apply(application: Application, reviewer: User) -> RegistrationVersion:
    """Make the approved change the company's record and issue the next certificate version,
    in the approval's transaction (services/review.py approve)."""
    registration = db.session.scalars(
        db.select(Registration)
        .where(Registration.id == application.changes_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    keys = changed_keys(application)
    registration.version += 1
    registration.record_application = application
    registration.company_name = application.company_name
    version = RegistrationVersion(
        registration=registration,
        version=registration.version,
        application=application,
        company_name=application.company_name,
        changed=",".join(keys),
        effective_on=local_date(application.decided_at, registration.zone),
        approved_at=application.decided_at,
        approved_by=reviewer,
    )
    db.session.add(version)
    return version


def record_under(registration: Registration, number: int) -> Application | None:
    """The application that was the company's record under certificate version `number`
    (version 1: the registration's own), or None for a version never issued."""
    if number == 1:
        return registration.application
    row = version(registration, number)
    return row.application if row is not None else None


def version(registration: Registration, number: int) -> RegistrationVersion | None:
    return db.session.scalars(
        db.select(RegistrationVersion).where(
            RegistrationVersion.registration_id == registration.id,
            RegistrationVersion.version == number,
        )
    ).first()
