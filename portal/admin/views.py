"""Administration pages: users, zones, sectors, the eligibility matrix, baselines,
rejection reasons, the help pages' contacts, the audit log, undelivered e-mail and the status of
registered companies. Admins only, but for the companies' status, which the reviewers an admin
gave the right to reach too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import lifecycle
from portal.access import admin_required, company_status_required
from portal.admin.forms import (
    ACTION_LABELS,
    KIND_LABELS,
    ROLE_LABELS,
    AuditFilterForm,
    BaselineForm,
    CompanyLookupForm,
    CompanyStatusForm,
    ContactForm,
    InviteForm,
    ReasonForm,
    RoleForm,
    SectorForm,
    UserFilterForm,
    ZoneForm,
    eligibility_form,
    pair_name,
)
from portal.extensions import db
from portal.forms import EmptyForm, attach_error
from portal.models import OutgoingEmail, User
from portal.services import DomainError, company_status
from portal.services import admin as admin_service
from portal.services import mail as mail_service
from portal.services.mail import after_commit_delivery
from portal.urls import page_number

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 25
LIST_ARGS = ("q", "role", "page")


@bp.context_processor
def labels():
    return {
        "KIND_LABELS": KIND_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "COMPANY_STATE_LABELS": lifecycle.COMPANY_STATE_LABELS,
    }


@bp.get("/")
@admin_required
def index():
    return render_template("admin/index.html")


# --- users -----------------------------------------------------------------------------------


def _users_page(failed: dict | None = None, status: int = 200, invite_form=None):
    """The users list; `failed` holds a row's form that was refused, with its error."""
    filters = UserFilterForm(formdata=request.args)
    filters.validate()
    pagination = admin_service.find_users(
        filters.value("q"), filters.value("role"), page_number(), PER_PAGE
    )
    failed = failed or {}
    role_forms = {
        u.id: failed.get(u.id) or RoleForm(u, formdata=None, data={"role": u.role})
        for u in pagination.items
    }
    args = {k: v for k, v in request.args.items() if k in LIST_ARGS}
    return (
        render_template(
            "admin/users.html",
            filters=filters,
            pagination=pagination,
            role_forms=role_forms,
            button_form=EmptyForm(),
            invite_form=invite_form or InviteForm(formdata=None),
            args=args,
        ),
        status,
    )


def _back_to_users():
    return redirect(
        url_for("admin.users", **{k: v for k, v in request.args.items() if k in LIST_ARGS})
    )


@bp.get("/users")
@admin_required
def users():
    return _users_page()


@bp.post("/users/invite")
@admin_required
def invite_user():
    form = InviteForm()
    if not form.validate_on_submit():
        return _users_page(status=422, invite_form=form)
    try:
        user = admin_service.invite_user(
            current_user, form.email.data, form.full_name.data, form.role.data, form.locale.data
        )
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _users_page(status=422, invite_form=form)
    db.session.commit()
    after_commit_delivery()
    flash(
        _(
            "%(email)s is invited as: %(role)s. The invitation link is on its way.",
            email=user.email,
            role=ROLE_LABELS[user.role],
        ),
        "success",
    )
    return _back_to_users()


@bp.post("/users/<int:user_id>/role")
@admin_required
def set_user_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm(user)
    if not form.validate_on_submit():
        return _users_page({user.id: form}, 422)
    try:
        changed = admin_service.set_role(user, form.role.data, current_user)
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return _users_page({user.id: form}, 422)
    db.session.commit()
    if changed:
        flash(
            _("%(email)s is now: %(role)s.", email=user.email, role=ROLE_LABELS[user.role]),
            "success",
        )
    return _back_to_users()


def _switch(user_id: int, name: str, change, said_on: str, said_off: str):
    """A user's yes/no setting from a button (`name` = "1" or "0"): the service's `change`
    (user, wanted, actor), committed, and what became of it said to the admin."""
    user = db.get_or_404(User, user_id)
    wanted = request.form.get(name)
    if not EmptyForm().validate_on_submit() or wanted not in ("0", "1"):
        abort(400)
    try:
        changed = change(user, wanted == "1", current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back_to_users()
    db.session.commit()
    if changed:
        flash((said_on if wanted == "1" else said_off) % {"email": user.email}, "success")
    return _back_to_users()


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_user_active(user_id: int):
    return _switch(
        user_id,
        "active",
        admin_service.set_active,
        _("%(email)s can sign in again."),
        _("%(email)s is deactivated and signed out."),
    )


@bp.post("/users/<int:user_id>/company-status-right")
@admin_required
def set_company_status_right(user_id: int):
    """Give a reviewer the right to suspend, restore and strike off companies, or take it back."""
    return _switch(
        user_id,
        "granted",
        admin_service.set_company_status_right,
        _("%(email)s may now change companies' status."),
        _("%(email)s may no longer change companies' status."),
    )


# --- reference data: one way to list, create and edit ----------------------------------------


@dataclass(frozen=True)
class Editor:
    """What the pages add to the service's `REFERENCE` table for one kind of reference data; the
    kind "zone" is edited in admin/zone_form.html and listed at the endpoint admin.zones."""

    form: type
    saved: Callable  # the message once an item is saved


EDITORS = {
    "zone": Editor(ZoneForm, lambda z: _("Zone %(code)s saved.", code=z.code)),
    "sector": Editor(SectorForm, lambda s: _("Sector %(name)s saved.", name=s.name)),
    "baseline": Editor(BaselineForm, lambda b: _("Baseline %(label)s saved.", label=b.label)),
    "reason": Editor(ReasonForm, lambda r: _("Rejection reason %(code)s saved.", code=r.code)),
    "contact": Editor(ContactForm, lambda c: _("Contact %(office)s saved.", office=c.office)),
}


def _edit(kind: str, item_id: int | None):
    """Validate → save through the service → commit → redirect; refusals next to the field."""
    spec, editor = admin_service.REFERENCE[kind], EDITORS[kind]
    item = db.get_or_404(spec.model, item_id) if item_id else None
    form = editor.form(obj=item)
    status = 200
    if form.validate_on_submit():
        values = {name: form[name].data for name in spec.fields}
        try:
            if item is None:
                item = admin_service.create(kind, current_user, **values)
                changed = True
            else:
                changed = admin_service.update(kind, item, current_user, **values)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            status = 422
        else:
            db.session.commit()
            flash(editor.saved(item) if changed else _("Nothing was changed."), "success")
            return redirect(url_for(f"admin.{kind}s"))
    elif form.is_submitted():
        status = 422
    return render_template(f"admin/{kind}_form.html", form=form, item=item), status


@bp.get("/zones")
@admin_required
def zones():
    return render_template("admin/zones.html", zones=admin_service.items("zone"))


@bp.route("/zones/new", methods=["GET", "POST"], defaults={"zone_id": None})
@bp.route("/zones/<int:zone_id>", methods=["GET", "POST"])
@admin_required
def edit_zone(zone_id: int | None):
    return _edit("zone", zone_id)


@bp.get("/sectors")
@admin_required
def sectors():
    return render_template("admin/sectors.html", sectors=admin_service.items("sector"))


@bp.route("/sectors/new", methods=["GET", "POST"], defaults={"sector_id": None})
@bp.route("/sectors/<int:sector_id>", methods=["GET", "POST"])
@admin_required
def edit_sector(sector_id: int | None):
    return _edit("sector", sector_id)


@bp.get("/baselines")
@admin_required
def baselines():
    return render_template("admin/baselines.html", baselines=admin_service.items("baseline"))


@bp.route("/baselines/new", methods=["GET", "POST"], defaults={"baseline_id": None})
@bp.route("/baselines/<int:baseline_id>", methods=["GET", "POST"])
@admin_required
def edit_baseline(baseline_id: int | None):
    return _edit("baseline", baseline_id)


@bp.get("/reasons")
@admin_required
def reasons():
    return render_template("admin/reasons.html", reasons=admin_service.items("reason"))


@bp.route("/reasons/new", methods=["GET", "POST"], defaults={"reason_id": None})
@bp.route("/reasons/<int:reason_id>", methods=["GET", "POST"])
@admin_required
def edit_reason(reason_id: int | None):
    return _edit("reason", reason_id)


@bp.get("/contacts")
@admin_required
def contacts():
    return render_template("admin/contacts.html", contacts=admin_service.items("contact"))


@bp.route("/contacts/new", methods=["GET", "POST"], defaults={"contact_id": None})
@bp.route("/contacts/<int:contact_id>", methods=["GET", "POST"])
@admin_required
def edit_contact(contact_id: int | None):
    return _edit("contact", contact_id)


# --- the eligibility matrix ------------------------------------------------------------------


@bp.route("/eligibility", methods=["GET", "POST"])
@admin_required
def eligibility():
    zones = admin_service.items("zone")
    sectors = admin_service.items("sector")
    form = eligibility_form(
        zones,
        sectors,
        admin_service.eligible_pairs(),
        formdata=request.form if request.method == "POST" else None,
    )
    if request.method == "POST" and form.validate():
        matrix = {(z.id, s.id): form[pair_name(z.id, s.id)].data for z in zones for s in sectors}
        added, removed = admin_service.set_eligibility(matrix, current_user)
        db.session.commit()
        if added or removed:
            flash(
                _(
                    "Eligibility saved: %(added)d pairs added, %(removed)d removed.",
                    added=added,
                    removed=removed,
                ),
                "success",
            )
        else:
            flash(_("Nothing was changed."), "success")
        return redirect(url_for("admin.eligibility"))
    if request.method == "POST":
        abort(400)
    rows = [(z, [(s, form[pair_name(z.id, s.id)]) for s in sectors]) for z in zones]
    return render_template("admin/eligibility.html", form=form, sectors=sectors, rows=rows)


# --- e-mail that could not be delivered -------------------------------------------------------


@bp.get("/mail")
@admin_required
def dead_letters():
    return render_template(
        "admin/mail.html",
        pagination=mail_service.dead_letters(page_number(), PER_PAGE),
        outbox=mail_service.outbox_state(),
    )


@bp.post("/mail/<int:message_id>/retry")
@admin_required
def retry_dead_letter(message_id: int):
    message = db.get_or_404(OutgoingEmail, message_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if mail_service.retry_dead_letter(message, current_user):
        db.session.commit()
        after_commit_delivery()
        flash(_("The e-mail to %(email)s is being sent again.", email=message.recipient), "success")
    else:
        flash(_("This e-mail is no longer waiting for an admin."), "info")
    return redirect(url_for("admin.dead_letters"))


@bp.post("/mail/retry-all")
@admin_required
def retry_all_dead_letters():
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = mail_service.retry_all_dead_letters(current_user)
    db.session.commit()
    after_commit_delivery()
    flash(
        ngettext(
            "%(num)d e-mail is being sent again.", "%(num)d e-mails are being sent again.", count
        ),
        "success",
    )
    return redirect(url_for("admin.dead_letters"))


# --- the audit log ---------------------------------------------------------------------------


@bp.get("/audit")
@admin_required
def audit():
    filters = AuditFilterForm(*admin_service.audit_filters(), formdata=request.args)
    filters.validate()
    actor = filters.value("actor")
    pagination = admin_service.audit_log(
        filters.value("action"), int(actor) if actor else None, page_number(), PER_PAGE
    )
    args = {k: v for k, v in request.args.items() if k in ("action", "actor")}
    return render_template("admin/audit.html", filters=filters, pagination=pagination, args=args)


# --- registered companies: their status on the register -------------------------------------


@bp.get("/companies")
@company_status_required
def companies():
    """Find a company by its registration number, to see and change its status."""
    form = CompanyLookupForm(formdata=request.args if request.args else None)
    if request.args and form.validate():
        registration = company_status.find(form.number.data)
        if registration is not None:
            return redirect(url_for("admin.company", number=registration.number))
        form.number.errors.append(_("No company is registered under this number."))
    return render_template("admin/companies.html", form=form), 422 if form.errors else 200


@bp.route("/companies/<number>", methods=["GET", "POST"])
@company_status_required
def company(number: str):
    """A company's status, its history, and the form to change it (validate → change → commit
    → mail → redirect; refusals next to their field)."""
    registration = company_status.find(number)
    if registration is None:
        abort(404)
    if registration.number != number:
        return redirect(url_for("admin.company", number=registration.number))
    moves = lifecycle.company_moves_for(registration, current_user)
    form = CompanyStatusForm(moves, company_status.today(registration))
    status = 200
    if form.validate_on_submit():
        try:
            event = company_status.change_status(
                registration,
                form.status.data,
                current_user,
                form.reason.data,
                form.effective_on.data,
            )
        except lifecycle.IllegalMove:
            db.session.rollback()
            db.session.refresh(registration)
            flash(
                _(
                    "Nothing changed: the company is %(status)s and cannot take the status chosen.",
                    status=registration.status_label,
                ),
                "error",
            )
            return redirect(url_for("admin.company", number=registration.number))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            status = 422
        else:
            db.session.commit()
            after_commit_delivery()
            flash(
                _(
                    "%(company)s is now %(status)s on the public record; its owner is informed.",
                    company=registration.company_name,
                    status=lifecycle.COMPANY_STATE_LABELS[event.to_status],
                ),
                "success",
            )
            return redirect(url_for("admin.company", number=registration.number))
    elif form.is_submitted():
        status = 422
    return render_template(
        "admin/company.html",
        registration=registration,
        form=form,
        moves=moves,
        events=company_status.events(registration),
    ), status
