"""The public registry of companies, certificate verification, the certificate PDF, and the
register's daily bulk files (open data)."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask_login import login_required

from portal.access import get_application
from portal.forms import VerifyForm
from portal.page_cache import public_page
from portal.registry.forms import CertificateCheckForm, RegistrySearchForm
from portal.services import company_status, open_data, public_registry, signing, statements
from portal.services.certificates import certificate_filename, render_certificate
from portal.urls import page_number

bp = Blueprint("registry", __name__)


@bp.get("/registry")
@public_page(params=("q", "zone", "sector", "status", "page"), free_text=("q",))
def index():
    zones, sectors = public_registry.zones(), public_registry.sectors()
    form = RegistrySearchForm(formdata=request.args, zones=zones, sectors=sectors)
    filters = public_registry.RegistryFilters()
    if form.validate():
        filters = public_registry.RegistryFilters(
            q=(form.q.data or "").strip(),
            zone=form.zone.data or "",
            sector=form.sector.data or "",
            status=form.status.data or "",
        )
    results = public_registry.search(filters, page_number(), current_app.config["PAGE_SIZE"])
    return render_template("registry/index.html", form=form, results=results, filters=filters)


@bp.get("/registry/<number>")
def company(number: str):
    """A registered company's public page; a later change of its record shows here too."""
    record = public_registry.company(number)
    if record is None:
        form = VerifyForm(formdata=None, number=number)
        return render_template("registry/not_found.html", number=number, form=form), 404
    if record.number != number:
        return redirect(url_for("registry.company", number=record.number), 301)
    return render_template(
        "registry/company.html",
        company=record,
        history=company_status.history(record.number),
        versions=public_registry.versions(record.number),
    )


@bp.get("/verify")
def verify_form():
    form = VerifyForm(formdata=request.args if request.args else None)
    if request.args and form.validate():
        number = public_registry.normalise_number(form.number.data)
        return redirect(url_for("registry.verify", number=number))
    return render_template("registry/verify_form.html", form=form), 422 if form.errors else 200


@bp.get("/verify/<number>")
@public_page  # not with the QR code's signed statement (`?s=`): checked each time
def verify(number: str):
    """The register's answer; with `?s=` (as the QR code opens it), the signed statement is
    checked against it too."""
    registration = public_registry.find(number)
    if registration is None:
        form = VerifyForm(formdata=None, number=number)
        return render_template("registry/not_found.html", number=number, form=form), 404
    statement = request.args.get(statements.QUERY_PARAMETER)
    check = None
    if statement is not None:
        check = statements.check_online(statement, registration, signing.published_keys())
    return render_template("registry/verify.html", registration=registration, check=check)


# Public keys change rarely and are never withdrawn: caches may keep them a while.
KEYS_MAX_AGE = 300


@bp.get("/certificates/keys")
def keys():
    """Every public key the portal has signed certificates with (JSON: a JWK Set and the
    certificates); never private material."""
    response = jsonify(signing.publication().document())
    response.cache_control.public = True
    response.cache_control.max_age = KEYS_MAX_AGE
    return response


@bp.get("/certificates/keys.pem")
def keys_pem():
    response = Response(signing.publication().pem(), mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = KEYS_MAX_AGE
    return response


@bp.get("/certificates/check")
def check():
    """A certificate's QR code checked with the published keys alone, never the register: in the
    browser (static/js/certificate-check.js) or, without JavaScript, here."""
    form = CertificateCheckForm(formdata=request.args if request.args else None)
    published = signing.publication()
    result = None
    if request.args and form.validate():
        result = statements.check_offline(form.code.data, published)
    status = 422 if form.errors else 200
    return render_template(
        "registry/check.html",
        form=form,
        result=result,
        keys=published.document()["keys"],
        zones=public_registry.zones(),  # to name a statement's zone and sector by their codes
        sectors=public_registry.sectors(),
    ), status


# A day's file is replaced only when it is published again the same day.
OPEN_DATA_MAX_AGE = 3600


@bp.get("/open-data/")
def open_data_index():
    """The register's bulk files: each day's, with its size and checksum, and the fields."""
    published = open_data.manifest()
    return render_template(
        "registry/open_data.html",
        published=published,
        keep_days=current_app.config["OPEN_DATA_KEEP_DAYS"],
        licence=open_data.LICENCE,
        licence_url=open_data.LICENCE_URL,
        dictionary=open_data.DICTIONARY,
    )


@bp.get("/open-data/latest.<any(csv, jsonl):format_>.gz")
def open_data_latest(format_: str):
    latest = open_data.manifest().latest
    data_file = latest.file(format_) if latest else None
    if data_file is None:
        abort(404)
    return redirect(url_for("registry.open_data_file", name=data_file.name))


@bp.get("/open-data/<name>")
def open_data_file(name: str):
    """A file the manifest names (nothing else of the directory): a day's file as a download,
    the manifest and the data dictionary as JSON."""
    path = open_data.published_path(name)
    if path is None:
        abort(404)
    media_type = open_data.media_type(name)
    return send_from_directory(
        path.parent,
        path.name,
        mimetype=media_type,
        as_attachment=media_type == open_data.GZIP_TYPE,  # the JSON documents open in place
        download_name=name,
        max_age=OPEN_DATA_MAX_AGE,
    )


@bp.get("/applications/<int:application_id>/certificate.pdf")
@login_required
def certificate(application_id: int):
    application = get_application(application_id)
    registration = application.registration
    if registration is None:
        abort(404)
    try:
        pdf = render_certificate(registration)
    except signing.SigningUnavailable:
        current_app.logger.exception("A certificate could not be signed.")
        abort(503)
    response = send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=certificate_filename(registration),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
