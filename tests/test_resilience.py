"""When a part fails: Redis away, the database away, and what operators see (/readyz, /metrics,
logs with request ids). Mail server failures are in test_mail.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from portal import lifecycle
from portal.extensions import db, limiter
from portal.models import ApplicationEvent, OutgoingEmail, Registration
from portal.models.base import utcnow
from portal.services import applications, mail, review
from tests.conftest import PASSWORD
from tests.factories import complete_application

ROOT = Path(__file__).resolve().parent.parent
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there: refused at once
DEAD_POSTGRES = "postgresql+psycopg://portal@127.0.0.1:1/portal"
WRONG_PASSWORD = "not the password at all"


@pytest.fixture(autouse=True)
def limiter_storage_alive():
    """The limiter is one object for every app of the test run: whatever storage a test killed,
    the next app starts with its own storage taken as alive."""
    yield
    limiter._storage_dead = False


def redis_down_app(make_app, **config):
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="kg" + DEAD_REDIS,  # the portal's storage (portal/rate_limits.py)
        REDIS_URL=DEAD_REDIS,
        MAIL_DELIVERY="rq",
        **config,
    )


# --- Redis away ------------------------------------------------------------------------------


def test_with_redis_down_sign_in_and_pages_work_and_limits_fall_back_to_memory(
    make_app, investor, caplog
):
    app = redis_down_app(make_app)

    assert app.test_client().get("/").status_code == 200
    signed_in = app.test_client().post(
        "/login", data={"email": investor.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert "falling back to in-memory storage" in caplog.text

    guesser = app.test_client()
    statuses = [
        guesser.post(
            "/login", data={"email": investor.email, "password": WRONG_PASSWORD}
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:9] == [200] * 9  # the form again, with its error (one went to signing in)
    assert statuses[-1] == 429  # still throttled, counted in this process's memory


def test_with_redis_down_mail_waits_in_the_outbox_and_flask_outbox_deliver_sends_it(
    make_app, investor, outbox, caplog
):
    app = redis_down_app(make_app)

    response = app.test_client().post("/forgot", data={"email": investor.email})

    assert response.status_code == 302
    message = db.session.scalars(db.select(OutgoingEmail)).one()
    assert (message.sent_at, message.attempts) == (None, 0)
    assert "Redis is away" in caplog.text
    result = app.test_cli_runner().invoke(args=["outbox", "deliver"])
    assert "Sent 1, failed 0" in result.output
    assert outbox.last_link("/reset/")


def test_when_redis_returns_limits_and_the_mail_queue_resume_by_themselves(
    make_app, investor, outbox, redis_later, time_machine, monkeypatch, database_uri, tmp_path
):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="kg" + redis_later.url,
        REDIS_URL=redis_later.url,
        MAIL_DELIVERY="rq",
    )
    visitor = app.test_client()
    assert visitor.post("/forgot", data={"email": investor.email}).status_code == 302  # Redis away

    redis = redis_later()
    # Flask-Limiter looks at its storage again after a pause that doubles each time (1 s, 2 s...).
    time_machine.move_to(datetime.now(UTC) + timedelta(minutes=1))
    assert visitor.post("/forgot", data={"email": investor.email}).status_code == 302

    assert redis.keys("LIMITS*")  # the limits are counted in Redis again
    from rq import Queue, SimpleWorker

    queue = Queue(mail.QUEUE, connection=redis)
    assert queue.count == 1  # the worker is woken again
    # The worker's job (an app made from its environment, as `make worker` does) sends the
    # message Redis's absence held back as well as the new one.
    for name, value in {
        "DATABASE_URL": database_uri,
        "INSTANCE_PATH": str(tmp_path / "worker"),
        "SECRET_KEY": "x" * 40,
        "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
        "MAIL_SERVER": "",
    }.items():
        monkeypatch.setenv(name, value)
    worker_app = []
    monkeypatch.setattr(mail, "_worker_app", worker_app)
    SimpleWorker([queue], connection=redis).work(burst=True)
    with worker_app[0].app_context():
        db.engine.dispose()  # its pooled connection, before the app goes away
    assert len(outbox.messages()) == 2
    pending = db.select(OutgoingEmail).where(OutgoingEmail.sent_at.is_(None))
    assert db.session.scalars(pending).all() == []


# --- the database away -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "database",
    [DEAD_POSTGRES, "sqlite:////nonexistent-folder/portal.sqlite3"],
    ids=["pg", "sqlite"],
)
def test_with_the_database_down_pages_answer_503_with_retry_after_never_a_trace(make_app, database):
    client = make_app(SQLALCHEMY_DATABASE_URI=database).test_client()

    for path in ("/", "/registry", "/login"):
        response = client.get(path, headers={"Accept-Language": "ru"})
        if path == "/login" and response.status_code == 200:
            continue  # a form that needs no database may still be served
        page = response.get_data(as_text=True)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"].isdigit()
        assert "Ошибка 503" in page  # the site's page, in the visitor's language
        assert "Traceback" not in page and "OperationalError" not in page
        assert response.headers["X-Request-ID"] in page  # a reference to quote


def test_a_signed_in_user_gets_the_503_page_too(make_app, client, auth, investor, tmp_path):
    auth.login(investor)
    down = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/gone/portal.sqlite3")
    browser = down.test_client()
    browser.set_cookie("session", client.get_cookie("session").value)

    response = browser.get("/applications/")

    assert response.status_code == 503
    assert "Retry-After" in response.headers


def test_an_error_page_drawn_while_the_database_is_away_is_the_503_page(
    make_app, client, auth, investor, tmp_path
):
    # A form sent without its token (its page was a 503) answers the CSRF error page, which
    # asks who is signed in: with the database away, that is the 503 page, not a bare 500.
    auth.login(investor)
    down = make_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/gone/portal.sqlite3", WTF_CSRF_ENABLED=True
    )
    browser = down.test_client()
    browser.set_cookie("session", client.get_cookie("session").value)

    response = browser.post("/applications/new")

    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert "briefly unavailable" in response.get_data(as_text=True)


def test_the_portal_comes_back_by_itself_when_the_database_does(make_app, database_uri, tmp_path):
    if not database_uri.startswith("sqlite"):
        pytest.skip("moves a SQLite file into place; PostgreSQL restarts are in benchmarks/")
    later = tmp_path / "later" / "portal.sqlite3"
    client = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{later}").test_client()
    assert client.get("/registry").status_code == 503

    later.parent.mkdir()
    shutil.copy(database_uri.removeprefix("sqlite:///"), later)

    assert client.get("/registry").status_code == 200


def _client_after_a_cut(make_app, database_uri, idle_seconds: float):
    """A client of a portal whose pooled connection the database has just cut, as a restart
    does (PostgreSQL only: SQLite has no connection to cut)."""
    if database_uri.startswith("sqlite"):
        pytest.skip("cuts a PostgreSQL connection (SQLite has none to cut)")
    other = make_app(DATABASE_PING_IDLE_SECONDS=idle_seconds)
    client = other.test_client()
    assert client.get("/registry").status_code == 200
    with other.app_context():
        pid = db.session.scalar(db.text("SELECT pg_backend_pid()"))
        db.session.commit()
    with db.engine.connect() as admin:
        admin.execute(db.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        admin.commit()
    return client


def test_a_connection_dropped_while_idle_is_replaced_before_use(make_app, database_uri):
    client = _client_after_a_cut(make_app, database_uri, idle_seconds=0.05)
    time.sleep(0.1)  # idle longer than DATABASE_PING_IDLE_SECONDS: asked before use

    assert client.get("/registry").status_code == 200


def test_without_the_idle_ping_a_dropped_connection_costs_one_503_then_is_replaced(
    make_app, database_uri
):
    """Why the ping exists: a connection used a moment ago is trusted, and if the database cut
    it in that moment, that one request gets the 503 page and the pool is renewed."""
    client = _client_after_a_cut(make_app, database_uri, idle_seconds=3600)

    assert [client.get("/registry").status_code for _ in range(2)] == [503, 200]


def test_an_approval_cut_off_by_the_database_leaves_nothing_half_written(
    app, client, auth, reviewer
):
    application = complete_application()
    applications.submit(application, application.owner)
    review.take(application, reviewer)
    db.session.execute(db.delete(OutgoingEmail))
    db.session.commit()
    auth.login(reviewer)

    def connection_lost(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO REGISTRATIONS"):
            raise OperationalError(statement, {}, ConnectionError("server closed the connection"))

    event.listen(db.engine, "before_cursor_execute", connection_lost)
    try:
        response = client.post(f"/review/applications/{application.id}/approve")
    finally:
        event.remove(db.engine, "before_cursor_execute", connection_lost)

    assert response.status_code == 503
    db.session.refresh(application)
    assert application.status == lifecycle.IN_REVIEW
    assert db.session.scalars(db.select(Registration)).all() == []
    assert db.session.scalars(db.select(OutgoingEmail)).all() == []
    moves = db.select(ApplicationEvent.to_status).where(
        ApplicationEvent.application_id == application.id
    )
    assert lifecycle.APPROVED not in db.session.scalars(moves).all()
    # Once the database answers again, the same approval goes through.
    assert client.post(f"/review/applications/{application.id}/approve").status_code == 302
    db.session.refresh(application)
    assert application.status == lifecycle.APPROVED


# --- /readyz ---------------------------------------------------------------------------------


def test_readyz_says_ok_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True}
    assert body["redis"] == {"ok": True, "configured": False}
    assert body["mail"]["waiting"] == 0


def test_readyz_says_when_mail_is_overdue_because_no_worker_delivers_it(app, client):
    with app.test_request_context():
        message = mail.queue_email("x@example.com", "Hello", "confirm", user=None, link="x")
    message.created_at = message.next_attempt_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["mail"]["worker_absent"] is True
    assert body["mail"]["oldest_due_seconds"] >= 3600
    assert body["database"]["ok"] is True


def test_readyz_says_when_redis_is_down(make_app):
    response = redis_down_app(make_app).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["redis"] == {
        "ok": False,
        "configured": True,
        "error": "ConnectionError",
    }


def test_readyz_says_when_the_database_is_down_in_json(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/gone/portal.sqlite3")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert body["mail"]["ok"] is False


# --- request ids and logs --------------------------------------------------------------------


def test_each_answer_carries_a_request_id_and_error_pages_show_it(client):
    response = client.get("/no-such-page")
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert request_id in response.get_data(as_text=True)
    assert client.get("/").headers["X-Request-ID"] != request_id


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("7d1c2a9e-5b7f-4c1e-9a51-0e6f2f7c1b44", True),
        ("nginx-0a1b2c3d4e5f", True),
        ("short", False),
        ("<script>alert(1)</script>", False),
        ("x" * 200, False),
    ],
)
def test_a_well_formed_incoming_request_id_is_kept_and_anything_else_replaced(client, given, kept):
    answered = client.get("/", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert (answered == given) is kept
    assert re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", answered)


def test_production_logs_are_json_lines_each_with_its_request_id(make_app, tmp_path, capsys):
    app = make_app(
        LOG_FORMAT="json", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/gone/portal.sqlite3"
    )
    capsys.readouterr()

    response = app.test_client().get("/", headers={"X-Request-ID": "req-2026-0001"})

    assert response.status_code == 503
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    (entry,) = [line for line in lines if line["name"] == "portal.errors"]
    assert entry["level"] == "ERROR"
    assert entry["request_id"] == "req-2026-0001"
    assert "database is unavailable" in entry["message"]
    assert {"time", "level", "name", "message", "request_id"} <= entry.keys()


# --- /metrics --------------------------------------------------------------------------------


def sample(text: str, name: str, **labels) -> float | None:
    """The value of one sample in Prometheus's text format."""
    for line in text.splitlines():
        if not line.startswith(name + ("{" if labels else " ")):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_per_endpoint_and_show_the_outbox(make_app):
    app = make_app()
    client = app.test_client()
    client.get("/")
    client.get("/")
    client.get("/registry")
    with app.app_context():
        with app.test_request_context():
            mail.queue_email("x@example.com", "Hello", "confirm", user=None, link="x")
        db.session.commit()

    text = client.get("/metrics").get_data(as_text=True)

    duration = "portal_http_request_duration_seconds_count"
    assert sample(text, duration, endpoint="main.index", method="GET", status="200") == 2
    assert sample(text, duration, endpoint="registry.index", method="GET", status="200") == 1
    assert sample(text, "portal_outbox_waiting") == 1
    assert sample(text, "portal_outbox_oldest_waiting_seconds") >= 0


def test_metrics_answer_only_allowed_networks_or_the_bearer_token(make_app):
    app = make_app(METRICS_TOKEN="a-long-scraper-token")
    outsider = app.test_client()
    outsider.environ_base["REMOTE_ADDR"] = "203.0.113.9"

    assert app.test_client().get("/metrics").status_code == 200  # loopback
    assert outsider.get("/metrics").status_code == 403
    wrong = {"Authorization": "Bearer not-the-token"}
    assert outsider.get("/metrics", headers=wrong).status_code == 403
    right = {"Authorization": "Bearer a-long-scraper-token"}
    assert outsider.get("/metrics", headers=right).status_code == 200


def test_behind_a_proxy_metrics_judge_the_client_not_the_proxy(make_app):
    client = make_app(PROXY_HOPS=1).test_client()  # the proxy connects from loopback
    outside = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get("/metrics", headers=outside).status_code == 403
    inside = {"X-Forwarded-For": "127.0.0.1"}
    assert client.get("/metrics", headers=inside).status_code == 200


def test_under_several_processes_metrics_add_up_every_process(database_uri, tmp_path):
    """gunicorn's workers are processes: with PROMETHEUS_MULTIPROC_DIR each writes its figures
    there, and whichever answers /metrics adds up all of them."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "DATABASE_URL": database_uri,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "x" * 40,
    }
    worker = (
        "from portal import create_app\n"
        "client = create_app().test_client()\n"
        "for _ in range({n}): client.get('/')\n"
        "print(client.get('/metrics').get_data(as_text=True))\n"
    )
    for n in (2, 3):
        result = subprocess.run(
            [sys.executable, "-c", worker.format(n=n)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    text = result.stdout
    duration = "portal_http_request_duration_seconds_count"
    assert sample(text, duration, endpoint="main.index", method="GET", status="200") == 5
    assert sample(text, "portal_outbox_waiting") == 0
