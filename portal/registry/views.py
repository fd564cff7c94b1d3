"""The public registry of companies, certificate verification, and the certificate PDF."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import login_required

from portal.access import get_application
from portal.forms import VerifyForm
from portal.registry.forms import RegistrySearchForm
from portal.services import public_registry
from portal.services.certificates import certificate_filename, render_certificate
from portal.urls import page_number

bp = Blueprint("registry", __name__)


@bp.get("/registry")
def index():
    zones, sectors = public_registry.zones(), public_registry.sectors()
    form = RegistrySearchForm(formdata=request.args, zones=zones, sectors=sectors)
    filters = public_registry.RegistryFilters()
    if form.validate():
        filters = public_registry.RegistryFilters(
            q=(form.q.data or "").strip(), zone=form.zone.data or "", sector=form.sector.data or ""
        )
    results = public_registry.search(filters, page_number(), current_app.config["PAGE_SIZE"])
    return render_template("registry/index.html", form=form, results=results, filters=filters)


@bp.get("/verify")
def verify_form():
    form = VerifyForm(formdata=request.args if request.args else None)
    if request.args and form.validate():
        number = public_registry.normalise_number(form.number.data)
        return redirect(url_for("registry.verify", number=number))
    return render_template("registry/verify_form.html", form=form), 422 if form.errors else 200


@bp.get("/verify/<number>")
def verify(number: str):
    registration = public_registry.find(number)
    if registration is None:
        form = VerifyForm(formdata=None, number=number)
        return render_template("registry/not_found.html", number=number, form=form), 404
    return render_template("registry/verify.html", registration=registration)


@bp.get("/applications/<int:application_id>/certificate.pdf")
@login_required
def certificate(application_id: int):
    application = get_application(application_id)
    registration = application.registration
    if registration is None:
        abort(404)
    response = send_file(
        io.BytesIO(render_certificate(registration)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=certificate_filename(registration),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
