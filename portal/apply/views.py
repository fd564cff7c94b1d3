"""The investor's side: their applications, the step-by-step form, documents, submission."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import lifecycle, page_cache
from portal.access import get_application, get_document, investor_required
from portal.apply.forms import (
    CompanyForm,
    DocumentForm,
    FoundersForm,
    InvestmentForm,
    OwnersForm,
    SubmitForm,
    WithdrawForm,
)
from portal.extensions import db, limiter
from portal.forms import EmptyForm, attach_error
from portal.services import DomainError, company_changes, company_names
from portal.services import applications as app_service
from portal.services import documents as doc_service
from portal.services import help as help_service
from portal.services.mail import after_commit_delivery
from portal.services.storage import StorageUnavailable
from portal.urls import MAX_INTEGER

bp = Blueprint("apply", __name__, url_prefix="/applications")

FIELD_FORMS = {"company": CompanyForm, "investment": InvestmentForm}


def step_url(application, step: str) -> str:
    return url_for("apply.step", application_id=application.id, step=step)


def _neighbour(application, step: str, offset: int) -> str:
    steps = app_service.steps_of(application)
    index = steps.index(step) + offset
    return steps[max(0, min(index, len(steps) - 1))]


@bp.get("/")
@investor_required
def list_applications():
    content = page_cache.applications(current_user.id, _list_content)
    return render_template("apply/list.html", content=content, form=EmptyForm())


def _list_content() -> str:
    """The investor's applications: see page_cache.applications."""
    applications = app_service.applications_of(current_user)
    return render_template("apply/_list.html", applications=applications)


@bp.post("/new")
@investor_required
def new():
    if not EmptyForm().validate_on_submit():
        abort(400)
    application = app_service.create_draft(current_user)
    db.session.commit()
    return redirect(step_url(application, "company"))


@bp.get("/<int:application_id>/resume")
@investor_required
def resume(application_id: int):
    application = get_application(application_id, edit=True)
    return redirect(step_url(application, application.current_step))


@bp.route("/<int:application_id>/step/<step>", methods=["GET", "POST"])
@investor_required
def step(application_id: int, step: str):
    if step not in app_service.STEPS:
        abort(404)
    application = get_application(application_id, edit=True)
    if step not in app_service.steps_of(application):
        abort(404)
    if step in FIELD_FORMS:
        return _field_step(application, step)
    if step == "founders":
        return _founders_step(application)
    if step == "owners":
        return _owners_step(application)
    if step == "documents":
        return _documents_step(application)
    return _review_step(application)


def _unmarked(form, problems):
    """The problems of fields that show no error yet. A value that did not parse (`1392` for
    an activity code) is not stored, so the step finds the field empty too: its own message
    says what to write, and "This field is required" beside it would contradict it."""
    marked = {name for name, field in form._fields.items() if field.errors}
    return [p for p in problems if p.field not in marked]


def _after_save(application, step: str, problems, form, template: str, **context):
    """Where a saved step goes next, by the button pressed (`context`: more for the page)."""
    action = request.form.get("action", "save")
    if action == "back":
        db.session.commit()
        return redirect(step_url(application, _neighbour(application, step, -1)))
    if action == "next":
        if problems or form.errors:
            db.session.commit()
            # The page's error summary lists each problem and links to its field.
            attach_error(form, _unmarked(form, problems))
            page = render_template(
                template, application=application, form=form, step=step, **context
            )
            return page, 422
        application.current_step = _neighbour(application, step, 1)
        db.session.commit()
        return redirect(step_url(application, application.current_step))
    db.session.commit()
    if form.errors:
        flash(_("Saved, except the fields marked below."), "warning")
        page = render_template(template, application=application, form=form, step=step, **context)
        return page, 422
    flash(_("Draft saved. You can come back to it at any time."), "success")
    return redirect(step_url(application, step))


def _field_step(application, step: str):
    form_class = FIELD_FORMS[step]
    template = f"apply/step_{step}.html"
    if request.method == "GET":
        form = _for_kind(application, form_class(obj=application))
        context = _name_check(application, form) if step == "company" else {}
        return render_template(template, application=application, form=form, step=step, **context)
    # A change's zone, sector and legal form are not on it: they stay as registered.
    form = _for_kind(application, form_class())
    form.validate()
    # Keep every field that parsed, so nothing valid is lost when another field is wrong.
    values = {
        name: field.data
        for name, field in form._fields.items()
        if name in app_service.STEP_FIELDS[step] and not field.errors
    }
    problems = app_service.save_fields(application, step, values)
    context = {}
    if step == "company":
        context = _name_check(application, form, accepted=form.similar_names_checked.data)
        if context["name_warning"] and request.form.get("action") == "next":
            problems = [*problems, context["name_warning"]]
    if request.form.get("action") != "next":  # "next" shows every problem
        attach_error(form, _unmarked(form, app_service.refusals(application, problems)))
    return _after_save(application, step, problems, form, template, **context)


def _for_kind(application, form):
    """A change names the company as it is called, not a proposed name."""
    if application.is_change and "company_name" in form:
        form.company_name.label.text = _("Company name")
    return form


def _name_check(application, form, accepted: bool | None = None) -> dict:
    """The company step's name check: its message under the name, and the "I have checked"
    box (naming the similar names) that a near clash asks for before going on."""
    result, warning = app_service.check_company_name(application, accepted)
    if result.similar:
        form.similar_names_checked.label.text = result.confirmation
    if accepted is None:
        form.similar_names_checked.data = bool(result.similar) and warning is None
    return {"name_check": result, "name_warning": warning}


@bp.get("/name-check")
@investor_required
@limiter.limit("120/minute")
def name_check():
    """The name check as the investor types (static/js/name-check.js). It names only
    registered companies and applications under review, never another investor's draft."""
    application_id = request.args.get("application", type=int)
    if application_id is not None and not 0 < application_id <= MAX_INTEGER:
        abort(404)
    name = request.args.get("name", "")[:200]
    if application_id:
        result = company_names.check_for(get_application(application_id, edit=True), name)
    else:
        result = company_names.check(name)
    return jsonify(
        state=result.state,
        message=result.message,
        confirmation=result.confirmation if result.similar else "",
        names=[
            {"name": m.name, "number": m.number}
            for m in ([result.clash] if result.clash else []) + list(result.similar)
        ],
    )


def _founders_step(application):
    template = "apply/step_founders.html"
    if request.method == "GET":
        form = FoundersForm.of(application)
        return render_template(template, application=application, form=form, step="founders")
    form = FoundersForm()
    action = request.form.get("action", "save")
    if action == "add":
        form.add_row()
        return render_template(template, application=application, form=form, step="founders")
    if action.startswith("remove-"):
        form.remove_row(action)
    valid = form.validate()
    problems = app_service.save_founders(application, form.rows() if valid else None)
    share_error = next((p.message for p in problems if p.field == "founders"), None)
    if action.startswith("remove-"):
        db.session.commit()
        if valid:
            flash(_("Founder removed."), "success")
            return redirect(step_url(application, "founders"))
        return render_template(template, application=application, form=form, step="founders"), 422
    if action == "next" and share_error:
        form.form_errors.append(share_error)
    return _after_save(application, "founders", problems, form, template)


def _owners_step(application):
    template = "apply/step_owners.html"

    def page(form, status=200):
        return render_template(template, application=application, form=form, step="owners"), status

    if request.method == "GET":
        return page(OwnersForm.of(application))
    form = OwnersForm(founders=application.founders)
    action = request.form.get("action", "save")
    if action == "add":
        form.add_row()
        return page(form)
    if action.startswith("remove-"):
        form.remove_row(action)
    form.drop_blank_rows()
    valid = form.validate()
    stored, problems = app_service.save_owners(
        application,
        form.rows() if valid else None,
        form.owners_none_declared.data,
        form.owners_none_reason.data or "",
    )
    # "Save and continue" shows every problem; saving a draft only what was refused.
    form.attach(problems if action == "next" or not stored else [])
    if action.startswith("remove-"):
        db.session.commit()
        if valid and not form.errors:
            flash(_("Owner removed."), "success")
            return redirect(step_url(application, "owners"))
        return page(form, 422)
    if action == "save" and not stored:
        db.session.commit()  # the step is remembered; the owners wait for their corrections
        flash(_("Not saved yet: correct the fields marked below."), "warning")
        return page(form, 422)
    return _after_save(application, "owners", problems, form, template)


def _documents_step(application):
    form = DocumentForm()
    if request.method == "POST" and request.form.get("action") in ("next", "back"):
        if not EmptyForm().validate_on_submit():
            abort(400)
        target = _neighbour(application, "documents", 1 if request.form["action"] == "next" else -1)
        app_service.remember_step(application, target)
        db.session.commit()
        return redirect(step_url(application, target))
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and _uploaded(application, form):
            flash(_("Document uploaded."), "success")
            return redirect(step_url(application, "documents"))
        status = 422
    problems = app_service.step_problems(application, "documents")
    return (
        render_template(
            "apply/step_documents.html",
            application=application,
            form=form,
            step="documents",
            problems=problems,
            nav_form=EmptyForm(),
        ),
        status,
    )


def _uploaded(application, form) -> bool:
    """Store the upload (committed), or put the refusal next to its field."""
    upload = form.file.data
    try:
        doc_service.add_document(
            application, upload.stream, upload.filename, form.doc_type.data, current_user
        )
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return False
    db.session.commit()
    return True


@bp.post("/<int:application_id>/documents/<int:document_id>/delete")
@investor_required
def delete_document(application_id: int, document_id: int):
    application = get_application(application_id, edit=True)
    document = get_document(document_id)
    if document.application_id != application.id or not EmptyForm().validate_on_submit():
        abort(404)
    doc_service.delete_document(document)
    db.session.commit()
    flash(_("Document removed."), "success")
    return redirect(step_url(application, "documents"))


def _review_step(application):
    form = SubmitForm()
    problems = app_service.submission_problems(application)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and not problems:
            try:
                answer = form.answer.data if application.status == lifecycle.INFO_REQUESTED else ""
                app_service.submit(application, current_user, comment=answer or "")
            except (DomainError, lifecycle.IllegalMove) as exc:
                db.session.rollback()
                flash(getattr(exc, "message", str(exc)), "error")
                status = 422
            else:
                db.session.commit()
                after_commit_delivery()  # the receipt
                # The application's page says it is submitted (`submitted=1`): no flash as well.
                return redirect(url_for("apply.detail", application_id=application.id, submitted=1))
        else:
            status = 422
    return (
        render_template(
            "apply/step_review.html",
            application=application,
            form=form,
            step="review",
            problems=problems,
        ),
        status,
    )


@bp.get("/<int:application_id>")
@login_required
def detail(application_id: int):
    application = get_application(application_id)
    registration = application.registration
    return render_template(
        "apply/detail.html",
        application=application,
        change_form=EmptyForm(),
        open_change=company_changes.open_change(registration) if registration else None,
        what_changes=company_changes.what_changes(application) if application.is_change else [],
        withdraw_form=WithdrawForm(),
        can_withdraw="withdraw" in lifecycle.actions_for(application, current_user),
        just_submitted=request.args.get("submitted") == "1",
        typical_days=(
            help_service.typical_decision_days(application)
            if application.is_with_reviewers
            else None
        ),
    )


@bp.post("/<int:application_id>/change")
@investor_required
def file_change(application_id: int):
    """Start a change of the registered company's record (or go back to the one open)."""
    application = get_application(application_id)
    registration = application.registration
    if registration is None or not EmptyForm().validate_on_submit():
        abort(404)
    try:
        change = company_changes.file_change(registration, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "info" if exc.field == "open_change" else "error")
        opened = company_changes.open_change(registration)
        if opened is not None:
            return redirect(url_for("apply.detail", application_id=opened.id))
        return redirect(url_for("apply.detail", application_id=application.id))
    db.session.commit()
    flash(_("Change what differs, then submit the change for review."), "info")
    return redirect(step_url(change, "company"))


@bp.post("/<int:application_id>/withdraw")
@investor_required
def withdraw(application_id: int):
    application = get_application(application_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        app_service.withdraw(application, current_user, form.comment.data or "")
    except lifecycle.IllegalMove:
        db.session.rollback()
        flash(_("This application can no longer be withdrawn."), "error")
    else:
        db.session.commit()
        flash(_("The application is withdrawn."), "info")
    return redirect(url_for("apply.detail", application_id=application.id))


@bp.get("/documents/<int:document_id>")
@login_required
def document(document_id: int):
    document = get_document(document_id)
    try:
        content = doc_service.open_document(document)
    except StorageUnavailable:
        abort(503)
    if content is None:
        abort(404)
    return send_file(
        content,
        mimetype=document.content_type,
        as_attachment=request.args.get("download") == "1",
        download_name=document.original_name,
        max_age=0,
    )
