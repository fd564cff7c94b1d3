"""The registration-rate dashboard (staff only, read-only) and its CSV exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from portal import page_cache
from portal.access import staff_required
from portal.dashboard import tables as dashboard_tables
from portal.dashboard.forms import DashboardForm
from portal.models.base import utcnow
from portal.services import stats

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def _figures():
    form = DashboardForm(request.args)
    form.validate()
    filters = form.filters(stats.today(form.zone.data if not form.zone.errors else None))
    data = stats.dashboard(filters, utcnow())
    return form, data, dashboard_tables.tables(data)


def _render_figures(form: DashboardForm, filters: stats.Filters) -> str:
    """The filters and the figures: kept together (page_cache.figures)."""
    data = stats.dashboard(filters, utcnow())
    return render_template("dashboard/_filters.html", form=form) + render_template(
        "dashboard/_figures.html",
        data=data,
        tables=dashboard_tables.tables(data),
        fmt=dashboard_tables.Formats(),
        plain=dashboard_tables.plain,
    )


@bp.get("/")
@staff_required
def index():
    form = DashboardForm(request.args)
    form.validate()
    filters = form.filters(stats.today(form.zone.data if not form.zone.errors else None))
    scope = f"{filters.start}:{filters.end}:{filters.zone_id}:{filters.sector_id}"
    figures = page_cache.figures(scope, lambda: _render_figures(form, filters))
    status = 422 if form.errors else 200
    return render_template("dashboard/index.html", filters=filters, figures=figures), status


@bp.get("/export/<key>.csv")
@staff_required
def export(key: str):
    if key not in dashboard_tables.BUILDERS:
        abort(404)
    _form, data, tables = _figures()
    filters = data.filters
    name = f"{key}_{filters.start.isoformat()}_{filters.end.isoformat()}.csv"
    return Response(
        dashboard_tables.to_csv(tables[key]),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
