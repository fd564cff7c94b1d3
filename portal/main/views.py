"""Public pages and the language switch."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user

from portal import metrics
from portal.extensions import db
from portal.forms import EmptyForm, VerifyForm
from portal.i18n import LANGUAGES
from portal.page_cache import public_page
from portal.services import accounts, public_registry
from portal.services import help as help_service
from portal.services.health import check_database, readiness
from portal.services.reference import active_sectors
from portal.services.review import active_rejection_reasons
from portal.urls import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
@public_page
def index():
    return render_template(
        "main/index.html",
        zones=public_registry.zones_on_show(),
        sectors=active_sectors(),
        registered=public_registry.registered_count(),
        verify_form=VerifyForm(formdata=None),
    )


@bp.get("/healthz")
def health():
    """For load balancers: the app answers and reaches its database."""
    check_database()
    return {"status": "ok"}


@bp.get("/readyz")
def ready():
    """For operators and monitoring: the database, Redis and mail delivery, with figures;
    503 when one needs attention (pages may still be served: /healthz is for load balancers)."""
    ok, checks = readiness()
    return checks, 200 if ok else 503, {"Cache-Control": "no-store"}


@bp.get("/metrics")
def metrics_page():
    """Prometheus: from METRICS_ALLOWED_NETWORKS, or with the bearer METRICS_TOKEN."""
    if not metrics.allowed():
        abort(403)
    body, content_type = metrics.exposition(request.headers.get("Accept"))
    return body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"}


@bp.get("/help")
def help_index():
    return render_template(
        "main/help/index.html",
        guides=help_service.GUIDES,
        yours=help_service.guide_for(current_user),
        contacts=help_service.contacts(),
    )


@bp.get("/help/<guide>")
def help_guide(guide: str):
    """A role's guide: the prose in the reader's language (templates/main/help/<lang>/), the
    figures and contacts from the data."""
    if guide not in help_service.GUIDES:
        abort(404)
    lang = str(get_locale() or "en")
    return render_template(
        [f"main/help/{lang}/{guide}.html", f"main/help/en/{guide}.html"],
        guide=guide,
        guides=help_service.GUIDES,
        rules=help_service.document_rules(),
        times=help_service.review_times(),
        zones=public_registry.zones_on_show(),
        reasons=active_rejection_reasons(),
        contacts=help_service.contacts(),
    )


@bp.get("/language/<code>")
def visitor_language(code: str):
    """A visitor's language, kept in the session only (the links of the header). A signed-in
    user's choice is saved on the account through the form below, never by a link."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("main.index"))


@bp.post("/language")
def set_language():
    code = request.form.get("code", "")
    if EmptyForm().validate_on_submit() and code in LANGUAGES:
        session["lang"] = code
        if current_user.is_authenticated:
            accounts.set_locale(current_user, code)
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
