"""Deployment: safe defaults under PORTAL_ENV=production, `flask check-deploy`, and an app that
refuses to start in production while a setting is unsafe."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.config import from_environment
from portal.deploy import UnsafeDeployment, problems
from tests.conftest import PASSWORD
from tests.factories import UserFactory

# Everything the deployment-dependent settings read; cleared so the machine's own environment
# does not leak into these tests.
VARIABLES = [
    "PORTAL_ENV", "SECRET_KEY", "BASE_URL", "TRUSTED_HOSTS", "PROXY_HOPS", "FORCE_HTTPS",
    "HSTS", "SESSION_COOKIE_SECURE", "DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI",
    "RATELIMIT_ENABLED", "MAIL_SERVER", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_OUTBOX_DIR",
    "MAIL_DELIVERY", "ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "FLASK_DEBUG", "PORT",
    "MFA_REQUIRED_ROLES", "DOCUMENT_STORAGE", "S3_BUCKET", "CERTIFICATE_P12",
    "CERTIFICATE_P12_PASSPHRASE",
]  # fmt: skip

# Stands for the PKCS#12 file the `environment` fixture writes into the test's folder.
P12_FILE = "<the signing key's PKCS#12 file>"

PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "5f0c3e1b9a7d4c2e8b6a1f0e3d2c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c",
    "BASE_URL": "https://gateway.example.kz",
    "TRUSTED_HOSTS": "gateway.example.kz",
    "DATABASE_URL": "postgresql://portal:secret@db.internal/portal",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "MAIL_SERVER": "smtp.example.kz",
    "DOCUMENT_STORAGE": "s3",
    "S3_BUCKET": "khorgos-documents",
    "CERTIFICATE_P12": P12_FILE,
    "CERTIFICATE_P12_PASSPHRASE": "a passphrase from the secret store",
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """Sets the environment to exactly the given variables (and an instance folder)."""

    def set_to(**variables):
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
        p12 = tmp_path / "portal.p12"
        p12.write_bytes(b"not read by the checks")
        for name, value in variables.items():
            monkeypatch.setenv(name, str(p12) if value == P12_FILE else value)
        return from_environment(str(tmp_path / "instance"))

    return set_to


def test_a_clean_production_configuration_has_no_problem_and_starts(environment):
    config = environment(**PRODUCTION)
    assert problems(config) == []

    app = create_app()

    assert app.config["PORTAL_ENV"] == "production"
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert (result.exit_code, result.output) == (0, "ok\n"), result.exception


def test_production_defaults_are_safe(environment):
    config = environment(**PRODUCTION)

    assert config["FORCE_HTTPS"] and config["HSTS"]
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["MAIL_OUTBOX_DIR"] == ""  # no .eml copies of reset links on the disk
    assert config["MAIL_DELIVERY"] == "rq"


def test_development_defaults_keep_plain_http_working(environment):
    config = environment()

    assert not config["FORCE_HTTPS"] and not config["HSTS"]
    assert not config["SESSION_COOKIE_SECURE"] and not config["REMEMBER_COOKIE_SECURE"]
    assert config["BASE_URL"] == "http://127.0.0.1:5000"
    assert config["TRUSTED_HOSTS"] is None
    assert config["PROXY_HOPS"] == 0


def test_force_https_turns_secure_cookies_and_hsts_on(environment):
    config = environment(FORCE_HTTPS="1")
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"] and config["HSTS"]


def test_production_defaults_can_be_turned_off_explicitly_and_are_then_listed(environment):
    config = environment(**PRODUCTION, FORCE_HTTPS="0")

    assert not config["SESSION_COOKIE_SECURE"] and not config["HSTS"]
    found = "\n".join(problems(config))
    assert "FORCE_HTTPS is off" in found
    assert "cookies are not Secure" in found
    assert "HSTS is off" in found


def test_an_unknown_portal_env_is_refused(environment):
    with pytest.raises(RuntimeError, match="PORTAL_ENV must be"):
        environment(PORTAL_ENV="prod")


def test_secure_cookies_and_hsts_reach_the_browser_with_force_https(
    environment, make_app, database_uri
):
    environment(FORCE_HTTPS="1")
    app = make_app()
    user = UserFactory(role="investor")
    client = app.test_client()

    plain = client.get("/login")
    response = client.post(
        "https://localhost/login",
        data={"email": user.email, "password": PASSWORD, "remember": "y"},
    )

    assert plain.status_code in (301, 302) and plain.location.startswith("https://")
    assert "Strict-Transport-Security" in response.headers
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("; Secure" in cookie for cookie in cookies), cookies


UNSAFE = [
    pytest.param({"SECRET_KEY": "", "SECRET_KEY_GENERATED": True}, "SECRET_KEY", id="no-key"),
    pytest.param({"SECRET_KEY_GENERATED": True}, "SECRET_KEY is not set", id="generated-key"),
    pytest.param({"SECRET_KEY": "short"}, "SECRET_KEY has 5 characters", id="short-key"),
    pytest.param({"BASE_URL": ""}, "BASE_URL is not set", id="no-base-url"),
    pytest.param({"BASE_URL": "http://gateway.example.kz"}, "not an https", id="http-base-url"),
    pytest.param({"TRUSTED_HOSTS": None}, "TRUSTED_HOSTS is not set", id="any-host"),
    pytest.param({"TRUSTED_HOSTS": ["other.example"]}, "not in TRUSTED_HOSTS", id="base-untrusted"),
    pytest.param({"FORCE_HTTPS": False}, "FORCE_HTTPS is off", id="no-https"),
    pytest.param({"SESSION_COOKIE_SECURE": False}, "not Secure", id="session-cookie"),
    pytest.param({"REMEMBER_COOKIE_SECURE": False}, "not Secure", id="remember-cookie"),
    pytest.param({"HSTS": False}, "HSTS is off", id="no-hsts"),
    pytest.param({"DEBUG": True}, "debug mode is on", id="debug"),
    pytest.param({"TESTING": True}, "TESTING is on", id="testing"),
    pytest.param({"WTF_CSRF_ENABLED": False}, "CSRF protection is off", id="no-csrf"),
    pytest.param({"MAIL_OUTBOX_DIR": "/srv/outbox"}, ".eml", id="eml-copies"),
    pytest.param({"MAIL_SERVER": ""}, "MAIL_SERVER is not set", id="no-mail-server"),
    pytest.param({"MAIL_USE_TLS": False, "MAIL_USE_SSL": False}, "unencrypted", id="mail-in-clear"),
    pytest.param({"REDIS_URL": ""}, "REDIS_URL is not set", id="rq-without-redis"),
    pytest.param({"MAIL_DELIVERY": "pigeon"}, "MAIL_DELIVERY 'pigeon'", id="unknown-delivery"),
    pytest.param(
        {"SQLALCHEMY_DATABASE_URI": "sqlite:///instance/portal.sqlite3"}, "SQLite", id="sqlite"
    ),
    pytest.param({"RATELIMIT_STORAGE_URI": "memory://"}, "each worker's memory", id="memory"),
    pytest.param({"RATELIMIT_ENABLED": False}, "rate limits are off", id="no-limits"),
    pytest.param({"ARGON2_TIME_COST": 1}, "ARGON2_TIME_COST is 1", id="argon2-time"),
    pytest.param({"ARGON2_MEMORY_COST": 64}, "ARGON2_MEMORY_COST is 64", id="argon2-memory"),
    pytest.param({"DOCUMENT_STORAGE": ""}, "on this server's disk", id="documents-on-disk"),
    pytest.param({"S3_BUCKET": ""}, "S3_BUCKET is not set", id="s3-without-bucket"),
    pytest.param({"DOCUMENT_STORAGE": "ftp"}, "DOCUMENT_STORAGE 'ftp'", id="unknown-storage"),
    pytest.param({"CERTIFICATE_P12": ""}, "certificates cannot be signed", id="no-signing-key"),
    pytest.param(
        {"CERTIFICATE_P12": "/nowhere/portal.p12"}, "'/nowhere/portal.p12' is not a file", id="p12"
    ),
]


@pytest.mark.parametrize(("change", "listed"), UNSAFE)
def test_each_unsafe_setting_is_listed_with_what_to_set(environment, change, listed):
    config = {**environment(**PRODUCTION), **change}

    found = problems(config)

    assert len(found) >= 1
    assert any(listed in problem for problem in found), found
    assert all(" set" in problem or "unset" in problem for problem in found), found


def test_the_app_refuses_to_start_in_production_while_a_setting_is_unsafe(environment):
    environment(**{**PRODUCTION, "BASE_URL": "http://gateway.example.kz"}, FLASK_DEBUG="1")

    with pytest.raises(UnsafeDeployment) as refused:
        create_app()

    message = str(refused.value)
    assert "PORTAL_ENV=production" in message
    assert "BASE_URL 'http://gateway.example.kz' is not an https address" in message
    assert "debug mode is on" in message


def test_an_empty_production_environment_is_refused_with_everything_it_lacks(environment):
    environment(PORTAL_ENV="production")

    with pytest.raises(UnsafeDeployment) as refused:
        create_app()

    for missing in ("SECRET_KEY", "BASE_URL", "TRUSTED_HOSTS", "MAIL_SERVER", "SQLite"):
        assert missing in str(refused.value)


def test_check_deploy_lists_the_unsafe_settings_and_exits_non_zero(app):
    """The test app is a development one: TESTING, plain HTTP, mail to .eml files (and SQLite
    unless the suite runs on PostgreSQL)."""
    result = app.test_cli_runner().invoke(args=["check-deploy"])

    assert result.exit_code == 1
    unsafe = ["TESTING is on", "BASE_URL", ".eml", "not Secure", "ARGON2"]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        unsafe.append("SQLite")
    for setting in unsafe:
        assert setting in result.output
    assert "ok" not in result.output.splitlines()


def test_documents_on_one_servers_disk_are_listed_unless_chosen_explicitly(environment):
    on_disk = {k: v for k, v in PRODUCTION.items() if k not in ("DOCUMENT_STORAGE", "S3_BUCKET")}

    unset = problems(environment(**on_disk))
    chosen = problems(environment(**on_disk, DOCUMENT_STORAGE="local"))
    shared = problems(environment(**on_disk, DOCUMENT_STORAGE="database"))

    assert [p for p in unset if "DOCUMENT_STORAGE" in p] == [
        "documents are kept on this server's disk (UPLOAD_DIR), where other app servers cannot "
        "read them: set DOCUMENT_STORAGE=s3 (with S3_BUCKET and, for MinIO or Ceph, "
        "S3_ENDPOINT_URL) or DOCUMENT_STORAGE=database; with a single app server, set "
        "DOCUMENT_STORAGE=local to keep them on its disk."
    ]
    assert chosen == [] and shared == []


def test_an_unknown_document_storage_is_refused(environment):
    with pytest.raises(RuntimeError, match="DOCUMENT_STORAGE must be one of local, database, s3"):
        environment(DOCUMENT_STORAGE="dropbox")
