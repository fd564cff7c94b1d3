"""Public pages and the language switch."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.extensions import db
from portal.forms import EmptyForm, VerifyForm
from portal.i18n import LANGUAGES
from portal.services import accounts, public_registry
from portal.services.health import check_database
from portal.services.reference import active_sectors
from portal.urls import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
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


@bp.post("/language")
def set_language():
    code = request.form.get("code", "")
    if EmptyForm().validate_on_submit() and code in LANGUAGES:
        session["lang"] = code
        if current_user.is_authenticated:
            accounts.set_locale(current_user, code)
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
