"""What makes a configuration unsafe to deploy: one list, shown by `flask --app app
check-deploy` and refused by create_app under PORTAL_ENV=production."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from werkzeug.sansio.utils import host_is_trusted

from portal.config import PRODUCTION, S3_STORAGE, STORAGE_BACKENDS
from portal.models.accounts import ADMIN

MIN_SECRET_KEY = 32  # characters; `secrets.token_hex(32)` gives 64
ARGON2_TIME_COST = 3  # the defaults of portal/config.py (OWASP's Argon2id minimums are below)
ARGON2_MEMORY_COST = 64 * 1024
MAIL_DELIVERIES = ("inline", "rq", "cron")


class UnsafeDeployment(RuntimeError):
    """Raised by create_app under PORTAL_ENV=production while a setting is unsafe."""


def problems(config: Mapping) -> list[str]:
    """Each unsafe setting, with what to set instead; empty when the configuration is safe."""
    found: list[str] = []
    add = found.append

    key = config.get("SECRET_KEY") or ""
    if not key or config.get("SECRET_KEY_GENERATED"):
        add(
            "SECRET_KEY is not set in the environment: set SECRET_KEY to a random value of at "
            f"least {MIN_SECRET_KEY} characters "
            "(python -c 'import secrets; print(secrets.token_hex(32))'), the same for every worker."
        )
    elif len(key) < MIN_SECRET_KEY:
        add(
            f"SECRET_KEY has {len(key)} characters: set it to a random value of at least "
            f"{MIN_SECRET_KEY} (python -c 'import secrets; print(secrets.token_hex(32))')."
        )

    base_url = config.get("BASE_URL") or ""
    base = urlsplit(base_url)
    if not base_url:
        add(
            "BASE_URL is not set: set it to the portal's public https address "
            "(e.g. https://gateway.example.kz); every link in e-mails and certificates uses it."
        )
    elif base.scheme != "https" or not base.hostname:
        add(
            f"BASE_URL {base_url!r} is not an https address: set it to the portal's public "
            "address, e.g. https://gateway.example.kz."
        )
    trusted = config.get("TRUSTED_HOSTS")
    if not trusted:
        add(
            "TRUSTED_HOSTS is not set, so any Host header is served: set it to the portal's "
            "host names, comma-separated (e.g. gateway.example.kz)."
        )
    elif base.hostname and not host_is_trusted(base.netloc, trusted):
        add(
            f"BASE_URL's host {base.hostname!r} is not in TRUSTED_HOSTS, so the links the portal "
            "sends would be refused: set TRUSTED_HOSTS to include it."
        )

    if not config.get("FORCE_HTTPS"):
        add("FORCE_HTTPS is off: set FORCE_HTTPS=1 (or unset it) so plain HTTP is redirected.")
    if not config.get("SESSION_COOKIE_SECURE") or not config.get("REMEMBER_COOKIE_SECURE"):
        add(
            "the session cookies are not Secure (sent over plain HTTP too): unset "
            "SESSION_COOKIE_SECURE or set it to 1."
        )
    if not config.get("HSTS"):
        add("HSTS is off: unset HSTS or set HSTS=1, so browsers keep to HTTPS.")
    if config.get("DEBUG"):
        add("debug mode is on (it shows code and runs a debugger): unset FLASK_DEBUG.")
    if config.get("TESTING"):
        add("TESTING is on: it is for the test suite only; do not set it.")
    if config.get("WTF_CSRF_ENABLED") is False:
        add("CSRF protection is off: do not set WTF_CSRF_ENABLED=False.")
    if ADMIN not in (config.get("MFA_REQUIRED_ROLES") or ()):
        add(
            "staff can sign in without a second factor: set MFA_REQUIRED_ROLES=admin,reviewer "
            "(or unset it), so administrators must enter a one-time code after the password."
        )

    if config.get("MAIL_OUTBOX_DIR"):
        add(
            f"MAIL_OUTBOX_DIR is {config['MAIL_OUTBOX_DIR']!r}: every e-mail, reset links "
            "included, is also written there as an .eml file; set MAIL_OUTBOX_DIR= (empty)."
        )
    if not config.get("MAIL_SERVER"):
        add(
            "MAIL_SERVER is not set, so no e-mail leaves the portal: set MAIL_SERVER, MAIL_PORT, "
            "MAIL_USERNAME and MAIL_PASSWORD."
        )
    elif not config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
        add("mail goes to MAIL_SERVER unencrypted: set MAIL_USE_TLS=1 (or MAIL_USE_SSL=1).")
    delivery = config.get("MAIL_DELIVERY")
    if delivery not in MAIL_DELIVERIES:
        add(f"MAIL_DELIVERY {delivery!r} is unknown: set it to inline, rq or cron.")
    elif delivery == "rq" and not config.get("REDIS_URL"):
        add("MAIL_DELIVERY is rq but REDIS_URL is not set: set REDIS_URL (and run `make worker`).")

    database = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if database.startswith("sqlite"):
        add(
            "the database is SQLite, which several workers cannot share: set DATABASE_URL to "
            "PostgreSQL (postgresql://user:password@host/dbname)."
        )
    storage = config.get("DOCUMENT_STORAGE") or ""
    if not storage:
        add(
            "documents are kept on this server's disk (UPLOAD_DIR), where other app servers "
            "cannot read them: set DOCUMENT_STORAGE=s3 (with S3_BUCKET and, for MinIO or Ceph, "
            "S3_ENDPOINT_URL) or DOCUMENT_STORAGE=database; with a single app server, set "
            "DOCUMENT_STORAGE=local to keep them on its disk."
        )
    elif storage not in STORAGE_BACKENDS:
        add(f"DOCUMENT_STORAGE {storage!r} is unknown: set it to s3, database or local.")
    elif storage == S3_STORAGE and not config.get("S3_BUCKET"):
        add("DOCUMENT_STORAGE is s3 but S3_BUCKET is not set: set S3_BUCKET to the bucket's name.")
    p12 = str(config.get("CERTIFICATE_P12") or "")
    if not p12:
        add(
            "certificates cannot be signed: set CERTIFICATE_P12 to the portal's PKCS#12 file "
            "(signing key and certificate) and CERTIFICATE_P12_PASSPHRASE to its passphrase."
        )
    elif not os.path.isfile(p12):
        add(f"CERTIFICATE_P12 {p12!r} is not a file: set it to the portal's PKCS#12 file.")
    if not config.get("RATELIMIT_ENABLED", True):
        add("rate limits are off: unset RATELIMIT_ENABLED.")
    elif str(config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
        add(
            "rate limits are counted in each worker's memory, so N workers allow N times the "
            "limit: set REDIS_URL (or RATELIMIT_STORAGE_URI)."
        )
    for name, default in (
        ("ARGON2_TIME_COST", ARGON2_TIME_COST),
        ("ARGON2_MEMORY_COST", ARGON2_MEMORY_COST),
    ):
        value = config.get(name, default)
        if value < default:
            add(f"{name} is {value}, below the default {default}: unset {name}.")
    return found


def refuse_unsafe_production(config: Mapping) -> None:
    """Under PORTAL_ENV=production, stop the start while any setting is unsafe."""
    if config.get("PORTAL_ENV") != PRODUCTION:
        return
    found = problems(config)
    if found:
        lines = "\n".join(f"  - {problem}" for problem in found)
        raise UnsafeDeployment(
            "Khorgos Gateway will not start with PORTAL_ENV=production while these settings "
            f"are unsafe:\n{lines}"
        )
