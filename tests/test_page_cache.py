"""Public pages served from the cache: the same page, for visitors only, never stale, and a
cache that fails costs nothing but time."""

from __future__ import annotations

import logging
import re

import pytest

from portal import page_cache
from portal.extensions import db
from portal.services import applications as app_service
from portal.services import review
from tests.conftest import count_queries
from tests.factories import UserFactory, complete_application, registered_application


@pytest.fixture
def cached_app(make_app):
    """The portal with an in-process page cache, its context pushed for the test."""
    page_cache._local.clear()
    other = make_app(CACHE_TYPE="SimpleCache")
    with other.app_context():
        yield other


def test_a_public_page_is_served_again_without_touching_the_database(cached_app):
    registered_application(company_name="Silk Road Cotton LLP", number="KEG-IND-2026-000001")
    client = cached_app.test_client()

    first = client.get("/registry")
    queries = count_queries(client, "/registry")

    assert "Silk Road Cotton LLP" in first.get_data(as_text=True)
    assert queries == 0
    assert client.get("/registry").get_data() == first.get_data()


def test_a_newly_approved_registration_appears_on_the_registry_at_once(cached_app):
    client = cached_app.test_client()
    assert "Caspian Looms LLP" not in client.get("/registry").get_data(as_text=True)
    assert count_queries(client, "/registry") == 0  # the page is in the cache now

    investor, reviewer = UserFactory(), UserFactory(role="reviewer")
    application = complete_application(owner=investor, company_name="Caspian Looms LLP")
    app_service.submit(application, investor)
    db.session.commit()
    review.take(application, reviewer)
    db.session.commit()
    registration = review.approve(application, reviewer)
    db.session.commit()

    page = client.get("/registry").get_data(as_text=True)
    assert "Caspian Looms LLP" in page and registration.number in page
    assert client.get(f"/verify/{registration.number}").status_code == 200


def test_each_language_has_its_own_page(cached_app):
    client = cached_app.test_client()
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    russian = client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    chinese = cached_app.test_client().get("/", headers={"Accept-Language": "zh"})

    assert '<html lang="en">' in english
    assert '<html lang="ru">' in russian
    assert '<html lang="zh">' in chinese.get_data(as_text=True)


def test_a_visitors_page_is_the_same_for_everyone_and_answered_304_until_the_register_changes(
    cached_app,
):
    visitor = cached_app.test_client()
    first = visitor.get("/registry")

    # No token, no cookie: the bytes are the same for every visitor in this language.
    assert "csrf_token" not in first.get_data(as_text=True)
    assert "Set-Cookie" not in first.headers
    assert first.headers["Cache-Control"] == "no-cache"  # kept, but asked about every time
    assert cached_app.test_client().get("/registry").get_data() == first.get_data()
    again = visitor.get("/registry", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""

    registered_application(company_name="Caspian Looms LLP", number="KEG-IND-2026-000002")
    db.session.commit()
    changed = visitor.get("/registry", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert "Caspian Looms LLP" in changed.get_data(as_text=True)


def test_a_visitor_switches_language_by_a_link_and_gets_that_languages_page(cached_app):
    visitor = cached_app.test_client()
    english = visitor.get("/registry")
    assert 'href="/language/kk?next=/registry"' in english.get_data(as_text=True)

    switched = visitor.get("/language/kk", query_string={"next": "/registry?page=1"})
    kazakh = visitor.get("/registry", headers={"If-None-Match": english.headers["ETag"]})

    assert switched.status_code == 302 and switched.headers["Location"] == "/registry?page=1"
    assert kazakh.status_code == 200 and '<html lang="kk">' in kazakh.get_data(as_text=True)
    # Only a known language, and never a redirect off the site.
    assert visitor.get("/language/xx").status_code == 302
    assert '<html lang="kk">' in visitor.get("/").get_data(as_text=True)
    assert visitor.get("/language/ru?next=https://evil.example/").headers["Location"] == "/"


def test_a_cached_page_with_a_form_gives_every_visitor_their_own_csrf_token(make_app):
    page_cache._local.clear()
    app = make_app(CACHE_TYPE="SimpleCache", WTF_CSRF_ENABLED=True)

    @app.route("/_with_a_form")
    @page_cache.public_page
    def with_a_form():
        from flask import render_template_string

        return render_template_string(
            '<form method="post"><input name="csrf_token" value="{{ csrf_token() }}"></form>'
        )

    first, second = app.test_client(), app.test_client()
    first_page = first.get("/_with_a_form")
    first_token = re.search(r'value="([^"]+)"', first_page.get_data(as_text=True)).group(1)
    second_token = re.search(
        r'value="([^"]+)"', second.get("/_with_a_form").get_data(as_text=True)
    ).group(1)
    switched = second.post("/language", data={"code": "kk", "csrf_token": second_token})

    assert first_token != second_token
    assert "ETag" not in first_page.headers  # not the same bytes for everyone
    assert switched.status_code == 302  # the visitor's own token is accepted


def test_signed_in_users_are_not_served_the_visitors_page(cached_app):
    client = cached_app.test_client()
    client.get("/")  # cached for visitors
    user = UserFactory(role="investor")
    client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})

    page = client.get("/").get_data(as_text=True)

    assert "Sign out" in page and "My applications" in page


def test_pages_render_when_redis_is_down_and_the_failure_is_logged(make_app, caplog):
    page_cache._local.clear()
    page_cache._paused_until = 0.0
    app = make_app(
        CACHE_TYPE="portal.page_cache.redis_backend",
        REDIS_URL="redis://127.0.0.1:1/0",  # nothing listens there
        REDIS_TIMEOUT_SECONDS=0.2,
    )
    client = app.test_client()
    with app.app_context():
        registered_application(company_name="Altyn Dala LLP", number="KEG-IND-2026-000001")

    with caplog.at_level(logging.WARNING, logger="portal.page_cache"):
        pages = [client.get(path) for path in ("/", "/registry", "/verify/KEG-IND-2026-000001")]

    assert [p.status_code for p in pages] == [200, 200, 200]
    assert "Altyn Dala LLP" in pages[1].get_data(as_text=True)
    assert any("page cache" in r.getMessage() for r in caplog.records)
    page_cache._paused_until = 0.0


def _registrations_in_window(html: str) -> int:
    return int(re.search(r'<p class="stat-value">([\d,]+)</p>', html).group(1).replace(",", ""))


def test_the_dashboard_figures_are_shared_and_renewed_by_the_next_move(cached_app):
    client = cached_app.test_client()
    admin, reviewer, investor = (
        UserFactory(role="admin"),
        UserFactory(role="reviewer"),
        UserFactory(),
    )
    client.post("/login", data={"email": admin.email, "password": "correct horse battery staple"})
    application = complete_application(owner=investor, company_name="Steppe Pharma LLP")
    app_service.submit(application, investor)
    db.session.commit()
    review.take(application, reviewer)
    db.session.commit()

    before = _registrations_in_window(client.get("/dashboard/").get_data(as_text=True))
    cold, warm = (
        count_queries(client, "/dashboard/?window=90"),
        count_queries(client, "/dashboard/?window=90"),
    )
    review.approve(application, reviewer)
    db.session.commit()
    after = _registrations_in_window(client.get("/dashboard/").get_data(as_text=True))

    assert warm < cold / 3  # the figures came from the cache: only the session and the form
    assert after == before + 1


def test_invented_queries_never_fill_the_shared_cache(cached_app):
    from portal.extensions import cache

    client = cached_app.test_client()
    for path in ("/registry", "/registry?q=anything+typed", "/registry?page=999", "/?x=1"):
        assert client.get(path).status_code == 200

    assert cache.get("page:en:/registry?") is not None  # the plain list: shared
    assert cache.get("page:en:/registry?q=anything+typed") is None  # this process only
    assert cache.get("page:en:/registry?page=999") is None
    assert cache.get("page:en:/?x=1") is None  # an unknown parameter: not cached at all
    assert "page:en:/?x=1" not in page_cache._local


def _signed_in(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    return client


def _submitted(name: str):
    investor = UserFactory()
    application = complete_application(owner=investor, company_name=name)
    app_service.submit(application, investor)
    db.session.commit()
    return application


def test_a_reviewer_reloading_the_queue_while_nothing_moves_gets_it_from_the_cache(cached_app):
    reviewer = UserFactory(role="reviewer")
    _submitted("Steppe Pharma LLP")
    client = _signed_in(cached_app, reviewer)

    client.get("/review/")  # the first look also shows "You are signed in."
    first = client.get("/review/").get_data(as_text=True)
    warm = count_queries(client, "/review/")
    cold = count_queries(client, "/review/?sort=newest")  # another address: rendered afresh

    assert "Steppe Pharma LLP" in first
    assert client.get("/review/").get_data(as_text=True) == first
    assert warm <= 1 < 5 <= cold  # the session's user only; the page's own queries skipped


def test_every_move_shows_in_the_queue_at_once(cached_app):
    reviewer = UserFactory(role="reviewer", full_name="Aigerim Sadykova")
    client = _signed_in(cached_app, reviewer)
    assert "Caspian Looms LLP" not in client.get("/review/").get_data(as_text=True)

    application = _submitted("Caspian Looms LLP")
    submitted = client.get("/review/").get_data(as_text=True)
    review.take(application, reviewer)
    db.session.commit()
    taken = client.get("/review/?assignee=me").get_data(as_text=True)
    reviewer.full_name = "Aigerim Nurlanovna"
    db.session.commit()
    renamed = client.get("/review/?assignee=me").get_data(as_text=True)
    review.approve(application, reviewer)
    db.session.commit()
    approved = client.get("/review/").get_data(as_text=True)

    assert "Caspian Looms LLP" in submitted
    assert "Caspian Looms LLP" in taken and "Aigerim Sadykova" in taken
    assert "Aigerim Nurlanovna" in renamed
    assert "Caspian Looms LLP" not in approved  # no longer open


def test_each_reviewer_has_their_own_queue(cached_app):
    first, second = UserFactory(role="reviewer"), UserFactory(role="reviewer")
    application = _submitted("Ili River Logistics LLP")
    review.take(application, first)
    db.session.commit()
    first_client, second_client = _signed_in(cached_app, first), _signed_in(cached_app, second)

    mine = first_client.get("/review/?assignee=me").get_data(as_text=True)
    theirs = second_client.get("/review/?assignee=me").get_data(as_text=True)

    assert "Ili River Logistics LLP" in mine
    assert "Ili River Logistics LLP" not in theirs


def test_an_investor_typing_a_draft_leaves_the_queue_cached(cached_app):
    from portal.extensions import cache

    reviewer, investor = UserFactory(role="reviewer"), UserFactory()
    client = _signed_in(cached_app, reviewer)
    client.get("/review/")
    draft = complete_application(owner=investor, company_name="Draft Name LLP")
    db.session.commit()
    version = cache.get(page_cache.QUEUE_VERSION_KEY)

    draft.company_name = "Another Draft Name LLP"
    db.session.commit()
    unchanged = cache.get(page_cache.QUEUE_VERSION_KEY)
    app_service.submit(draft, investor)
    db.session.commit()

    assert unchanged == version
    assert cache.get(page_cache.QUEUE_VERSION_KEY) != version
    assert "Another Draft Name LLP" in client.get("/review/").get_data(as_text=True)


def test_the_days_waiting_move_on_with_the_clock(cached_app, monkeypatch):
    reviewer = UserFactory(role="reviewer")
    _submitted("Khorgos Textiles LLP")
    client = _signed_in(cached_app, reviewer)
    assert count_queries(client, "/review/") >= 5
    assert count_queries(client, "/review/") <= 1

    later = page_cache.time.time() + page_cache.QUEUE_SECONDS + 1
    monkeypatch.setattr(page_cache.time, "time", lambda: later)

    assert count_queries(client, "/review/") >= 5  # older than a minute: rendered afresh


def test_an_investors_list_is_kept_until_one_of_their_applications_changes(cached_app):
    investor, other = UserFactory(), UserFactory()
    application = complete_application(owner=investor, company_name="Altyn Kazyk LLP")
    db.session.commit()
    client = _signed_in(cached_app, investor)
    client.get("/applications/")  # the first look also shows "You are signed in."

    warm = count_queries(client, "/applications/")
    complete_application(owner=other, company_name="Someone Else LLP")  # not theirs
    db.session.commit()
    still_warm = count_queries(client, "/applications/")
    application.company_name = "Altyn Kazyk Trading LLP"
    db.session.commit()
    renamed = client.get("/applications/").get_data(as_text=True)
    app_service.submit(application, investor)
    db.session.commit()
    submitted = client.get("/applications/").get_data(as_text=True)
    new_draft = client.post("/applications/new")
    listed = client.get("/applications/").get_data(as_text=True)

    assert warm <= 1 and still_warm <= 1  # the session's user only
    assert "Altyn Kazyk Trading LLP" in renamed and "Someone Else LLP" not in renamed
    assert "Submitted" in submitted and "Continue" not in submitted
    assert new_draft.status_code == 302
    assert "Untitled application" in listed and "Continue" in listed


def test_confirming_the_address_takes_the_warning_off_the_list(cached_app):
    from portal.models.base import utcnow

    investor = UserFactory(email_confirmed_at=None)
    client = _signed_in(cached_app, investor)
    unconfirmed = client.get("/applications/").get_data(as_text=True)
    investor.email_confirmed_at = utcnow()
    db.session.commit()
    confirmed = client.get("/applications/").get_data(as_text=True)

    assert "not confirmed yet" in unconfirmed
    assert "not confirmed yet" not in confirmed


def test_the_dashboards_filters_are_kept_with_the_figures_and_follow_the_address(cached_app):
    from portal.models import Zone

    client = _signed_in(cached_app, UserFactory(role="admin"))
    zone = db.session.scalars(db.select(Zone).order_by(Zone.code)).first()
    custom = [client.get("/dashboard/?window=custom") for _ in range(2)]
    chosen = client.get(f"/dashboard/?zone={zone.id}").get_data(as_text=True)
    zone.code = "KEG-NEW"
    db.session.commit()
    renamed = client.get(f"/dashboard/?zone={zone.id}").get_data(as_text=True)

    for page in custom:  # the same refusal, next to the fields, from the kept part too
        assert page.status_code == 422
        assert "Enter a date (YYYY-MM-DD) for a custom range." in page.get_data(as_text=True)
    assert f'<option selected value="{zone.id}">' in chosen
    assert f'<option selected value="{zone.id}">KEG-NEW</option>' in renamed


def test_each_process_keeps_pages_up_to_a_size_the_first_kept_going_first():
    kept = page_cache._Kept(limit=10)
    for key in "abc":
        kept.keep(key, ("v1", "1234"))  # 4 characters each: the third goes over 10
    kept.keep("b", ("v2", "12"))  # kept again: its new size counts, not the old

    assert list(kept) == ["c", "b"] and kept.size == 6
    kept.keep("big", ("v1", "x" * 50))  # larger than the limit: kept alone
    assert list(kept) == ["big"] and kept.size == 50
    kept.clear()
    assert kept.size == 0 and not kept


def test_a_queue_whose_version_redis_lost_is_rendered_afresh(cached_app):
    from portal.extensions import cache

    reviewer, investor = UserFactory(role="reviewer"), UserFactory()
    draft = complete_application(owner=investor, company_name="Zhetysu Agro LLP")
    db.session.commit()
    client = _signed_in(cached_app, reviewer)
    cache.delete(page_cache.QUEUE_VERSION_KEY)  # none yet, as on a fresh Redis
    client.get("/review/")  # kept under the version of this moment
    app_service.submit(draft, investor)  # a new version...
    db.session.commit()
    cache.delete(page_cache.QUEUE_VERSION_KEY)  # ...which Redis then loses (a flush, eviction)

    assert "Zhetysu Agro LLP" in client.get("/review/").get_data(as_text=True)
