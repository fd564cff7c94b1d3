"""Public pages and the language switch."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.auth.views import safe_next
from portal.extensions import db
from portal.forms import EmptyForm
from portal.i18n import LANGUAGES
from portal.models import Registration, Sector, Zone
from portal.registry.forms import VerifyForm

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    zones = db.session.scalars(
        db.select(Zone).where(Zone.active).options(selectinload(Zone.sectors)).order_by(Zone.id)
    ).all()
    sectors = db.session.scalars(db.select(Sector).where(Sector.active).order_by(Sector.name)).all()
    registered = db.session.scalar(db.select(db.func.count(Registration.id)))
    return render_template(
        "main/index.html",
        zones=zones,
        sectors=sectors,
        registered=registered,
        verify_form=VerifyForm(formdata=None),
    )


@bp.get("/healthz")
def health():
    """For load balancers: the app answers and reaches its database."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


@bp.post("/language")
def set_language():
    code = request.form.get("code", "")
    if EmptyForm().validate_on_submit() and code in LANGUAGES:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
