"""Fixtures: an app on a freshly migrated database (SQLite, or PostgreSQL via DATABASE_URL),
a client, logged-in users, and the reference data of PRODUCT.md."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from portal import create_app
from portal.extensions import db
from portal.services.reference import seed_reference
from tests import factories

DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith("postgres")
PASSWORD = factories.PASSWORD


def _test_config(tmp_path, database_uri: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # No page cache unless a test asks for one (tests/test_page_cache.py), whatever REDIS_URL.
        "CACHE_TYPE": "NullCache",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "MAIL_SERVER": "",
        "MAIL_DELIVERY": "inline",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "OPEN_DATA_DIR": str(tmp_path / "open-data"),
        # Certificates are signed with development keys, made here when first needed.
        "SIGNING_DIR": str(tmp_path / "signing"),
        "CERTIFICATE_P12": "",
        "SERVER_NAME": None,
        "BASE_URL": "http://localhost",  # the test client's host, so e-mailed links open
    }


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    """One database for the run, migrated from empty: the migrations are tested too."""
    if ON_POSTGRES:
        engine = create_engine(DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        uri = engine.url.render_as_string(hide_password=False)
    else:
        uri = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    app = create_app(_test_config(tmp_path_factory.mktemp("migrate"), uri))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return uri


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if ON_POSTGRES:
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production.

    The test itself runs inside an app context (to use the database freely); without this,
    requests would share the test's `g` and database session, hiding per-request behaviour
    (the logged-in user, the locale). After each request the test's session is expired, so
    the test reads what the request wrote.

    Like a real server, it closes each answer once it is read, which runs what waits for the
    answer to leave (a request's own e-mail, `services/mail.py`); pass `buffered=False` to look
    at the moment before, then call `response.close()`.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


@pytest.fixture
def app(database_uri, tmp_path):
    app = create_app(_test_config(tmp_path, database_uri))
    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_tables()
        seed_reference()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app(app, database_uri, tmp_path):
    """Another app on the same database, with some settings changed (CSRF on, limits on...)."""
    made = []

    def make(**overrides):
        config = _test_config(tmp_path, database_uri)
        config.update(overrides)
        other = create_app(config)
        other.test_client_class = IsolatedClient
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password: str = PASSWORD, remember: bool = False, **kw):
        email = getattr(user_or_email, "email", user_or_email)
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data, **kw)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def investor(app):
    return factories.UserFactory(role="investor")


@pytest.fixture
def other_investor(app):
    return factories.UserFactory(role="investor")


@pytest.fixture
def reviewer(app):
    return factories.UserFactory(role="reviewer")


@pytest.fixture
def admin(app):
    return factories.UserFactory(role="admin")


@pytest.fixture
def investor_client(client, auth, investor):
    auth.login(investor)
    return client


@pytest.fixture
def outbox(app):
    """Reads the .eml files written to instance/outbox (here, a temporary folder)."""
    from email import message_from_bytes, policy
    from pathlib import Path

    class Outbox:
        def messages(self):
            folder = Path(app.config["MAIL_OUTBOX_DIR"])
            if not folder.exists():
                return []
            return [
                message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(folder.glob("*.eml"))
            ]

        def last_link(self, path_part: str, wait: float = 5.0) -> str:
            """The link of the newest message that has one. A request's own e-mail leaves
            after its answer (services/mail.py): behind a real server (the browser tests) it
            may land a moment after the page shows, so this looks again for up to `wait` s."""
            deadline = time.monotonic() + wait
            while True:
                for message in reversed(self.messages()):
                    body = message.get_body(("plain",)).get_content()
                    for url in re.findall(r"https?://\S+", body):
                        if path_part in url:
                            return url
                if time.monotonic() > deadline:
                    raise AssertionError(f"no link with {path_part!r} in the outbox")
                time.sleep(0.1)

    return Outbox()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_later():
    """A Redis that is not there yet: `start()` brings it up on its port."""
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("redis-server is not installed")
    port = free_port()
    processes = []

    def start():
        process = subprocess.Popen(
            [
                server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        processes.append(process)
        from redis import Redis

        client = Redis(port=port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                break
            except OSError:
                time.sleep(0.05)
            except Exception:  # noqa: BLE001 - redis.ConnectionError while it starts
                time.sleep(0.05)
        return client

    start.url = f"redis://127.0.0.1:{port}/0"
    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def csrf_token_in(html: str) -> str:
    """The CSRF token of the page's first form that has one."""
    return re.search(r'name="csrf_token"[^>]*\svalue="([^"]+)"', html).group(1)


def pytest_report_header(config):
    return f"database: {'PostgreSQL' if ON_POSTGRES else 'SQLite'}"


def table_names() -> list[str]:
    return inspect(db.engine).get_table_names()


def count_queries(client, url: str) -> int:
    """How many SQL statements one GET of `url` runs (list pages must not grow with rows)."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements)
