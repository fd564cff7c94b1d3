"""Who reaches what: login required, roles, and one investor never reaching another's data."""

from __future__ import annotations

import pytest

from tests.factories import ApplicationFactory, complete_application

INVESTOR_PAGES = [
    "/applications/",
    "/applications/{id}",
    "/applications/{id}/resume",
    "/applications/{id}/step/company",
    "/applications/{id}/step/review",
    "/account",
    "/account/password",
]


@pytest.mark.parametrize("path", INVESTOR_PAGES)
def test_pages_need_login(client, investor, path):
    application = ApplicationFactory(owner=investor)
    response = client.get(path.format(id=application.id))
    assert response.status_code == 302
    assert "/login?next=" in response.location


@pytest.mark.parametrize(
    "path",
    [
        "/applications/{id}",
        "/applications/{id}/resume",
        "/applications/{id}/step/company",
        "/applications/{id}/step/documents",
        "/applications/{id}/step/review",
    ],
)
def test_investor_cannot_open_another_investors_application(
    client, auth, investor, other_investor, path
):
    application = ApplicationFactory(owner=investor)
    auth.login(other_investor)
    response = client.get(path.format(id=application.id))
    assert response.status_code in (403, 404)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/applications/{id}/step/company", {"company_name": "Hijacked", "action": "save"}),
        ("/applications/{id}/withdraw", {}),
        ("/applications/{id}/step/review", {"confirm": "y"}),
    ],
)
def test_investor_cannot_change_another_investors_application(
    client, auth, investor, other_investor, path, data
):
    application = complete_application(owner=investor)
    name = application.company_name
    auth.login(other_investor)
    response = client.post(path.format(id=application.id), data=data)
    assert response.status_code in (403, 404)
    from portal.extensions import db

    db.session.refresh(application)
    assert application.company_name == name
    assert application.status == "draft"


def test_reviewer_does_not_see_an_investors_private_draft(client, auth, investor, reviewer):
    application = ApplicationFactory(owner=investor)
    auth.login(reviewer)
    assert client.get(f"/applications/{application.id}").status_code == 404


def test_staff_cannot_use_the_investor_form(client, auth, reviewer):
    auth.login(reviewer)
    assert client.get("/applications/").status_code == 403
    assert client.post("/applications/new").status_code == 403


def test_unknown_application_is_404(investor_client):
    assert investor_client.get("/applications/999999").status_code == 404
