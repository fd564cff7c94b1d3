"""The reviewers' pages: the queue, an application with its documents and timeline, decisions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import lifecycle, page_cache
from portal.access import get_application, staff_required
from portal.extensions import db
from portal.forms import EmptyForm, attach_error
from portal.review.forms import ApproveForm, QueueForm, RejectForm, RequestInfoForm
from portal.services import DomainError, changes, company_changes, company_names, review
from portal.services.mail import after_commit_delivery
from portal.urls import page_number

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.get("/")
@staff_required
def queue():
    content = page_cache.queue(current_user.id, _queue_content)
    return render_template("review/queue.html", content=content)


def _queue_content() -> str:
    """The counts per status, the filters and the page of rows: see page_cache.queue."""
    form = QueueForm(formdata=request.args, user=current_user)
    filters = form.filters()
    page = review.queue(filters, form.sort_key(), page_number())
    # The filters as they are in the URL, for tabs and page links that keep them.
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "review/_queue.html",
        form=form,
        filters=filters,
        page=page,
        counts=review.status_counts(filters),
        args=args,
        days_waiting=review.days_waiting,
    )


def _render(application, status: int = 200, **forms):
    forms.setdefault("take_form", EmptyForm())
    forms.setdefault("info_form", RequestInfoForm(formdata=None))
    forms.setdefault("approve_form", ApproveForm(formdata=None))
    forms.setdefault("reject_form", RejectForm(formdata=None))
    return (
        render_template(
            "review/application.html",
            application=application,
            registration=application.registration,
            actions=lifecycle.actions_for(application, current_user),
            days_waiting=review.days_waiting(application),
            since_request=changes.since_last_request(application),
            what_changes=(
                company_changes.what_changes(application) if application.is_change else []
            ),
            similar_names=company_names.for_review(application),
            **forms,
        ),
        status,
    )


def _back(application):
    return redirect(url_for("review.application", application_id=application.id))


def _moved_on(application):
    db.session.rollback()
    db.session.refresh(application)
    flash(
        _(
            "Nothing changed: the application is now %(status)s.",
            status=lifecycle.STATE_LABELS[application.status],
        ),
        "error",
    )
    return _back(application)


@bp.get("/applications/<int:application_id>")
@staff_required
def application(application_id: int):
    return _render(get_application(application_id))


@bp.post("/applications/<int:application_id>/take")
@staff_required
def take(application_id: int):
    application = get_application(application_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        review.take(application, current_user)
    except lifecycle.IllegalMove:
        return _moved_on(application)
    db.session.commit()
    flash(_("You have this application now."), "success")
    return _back(application)


def _decide(application, form_name: str, form, decide, done: str):
    """Validate, decide, commit, send the mail; a refusal goes back next to its field."""
    if form.validate_on_submit():
        try:
            result = decide(form)
        except lifecycle.IllegalMove:
            return _moved_on(application)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            after_commit_delivery()
            flash(done(result), "success")
            return _back(application)
    return _render(application, 422, **{form_name: form})


@bp.post("/applications/<int:application_id>/request-info")
@staff_required
def request_info(application_id: int):
    application = get_application(application_id)
    return _decide(
        application,
        "info_form",
        RequestInfoForm(),
        lambda f: review.request_info(application, current_user, f.message.data),
        lambda _event: _(
            "Your request is sent. The investor can now change the application and resubmit it."
        ),
    )


@bp.post("/applications/<int:application_id>/approve")
@staff_required
def approve(application_id: int):
    application = get_application(application_id)
    return _decide(
        application,
        "approve_form",
        ApproveForm(),
        lambda f: review.approve(application, current_user, f.comment.data or ""),
        lambda registration: (
            _(
                "Approved: the record of %(number)s is changed, its certificate is now version "
                "%(version)d, and the investor is informed.",
                number=registration.number,
                version=registration.version,
            )
            if application.is_change
            else _(
                "Approved: the company is registered as %(number)s and the investor is informed.",
                number=registration.number,
            )
        ),
    )


@bp.post("/applications/<int:application_id>/reject")
@staff_required
def reject(application_id: int):
    application = get_application(application_id)
    return _decide(
        application,
        "reject_form",
        RejectForm(),
        lambda f: review.reject(application, current_user, f.reason.data, f.explanation.data),
        lambda _event: _("Rejected. The investor is informed of the reason."),
    )
