"""Settings from the environment, with safe defaults.

Nothing secret lives in the code: SECRET_KEY comes from the environment or, in development
only, is generated once into the instance folder. PORTAL_ENV=production turns the
deployment-dependent defaults safe (HTTPS, Secure cookies, HSTS, no .eml copies) and makes
BASE_URL and SECRET_KEY required; `portal/deploy.py` lists what is still unsafe.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

DEVELOPMENT = "development"
PRODUCTION = "production"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _environment() -> str:
    env = os.environ.get("PORTAL_ENV", DEVELOPMENT).strip().lower() or DEVELOPMENT
    if env not in (DEVELOPMENT, PRODUCTION):
        raise RuntimeError(f"PORTAL_ENV must be {DEVELOPMENT!r} or {PRODUCTION!r}, not {env!r}.")
    return env


def _hosts(name: str) -> list[str] | None:
    """A comma-separated list of host names, or None when the variable is unset or empty."""
    hosts = [h.strip() for h in os.environ.get(name, "").split(",") if h.strip()]
    return hosts or None


def _roles(name: str, default: str) -> list[str]:
    """A comma-separated list of roles; an empty variable means none."""
    return [r.strip().lower() for r in os.environ.get(name, default).split(",") if r.strip()]


def _secret_key(instance_path: str, generate: bool) -> str:
    """The key from SECRET_KEY, or (in development) one generated once into instance/secret_key.
    In production an unset SECRET_KEY stays empty, and the app refuses to start."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if not generate:
        return ""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create exclusively so two processes starting together agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "portal.sqlite3")
    # Heroku-style URLs name the old driver; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def from_environment(instance_path: str) -> dict:
    """The configuration as a dict, read from the environment at start-up."""
    env = _environment()
    production = env == PRODUCTION
    force_https = _bool("FORCE_HTTPS", production)
    # In development the public address follows the port `make run` serves on.
    dev_base_url = "http://127.0.0.1:" + (os.environ.get("PORT") or "5000")
    redis_url = os.environ.get("REDIS_URL", "")
    max_hours = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    return {
        "PORTAL_ENV": env,
        "SECRET_KEY": _secret_key(instance_path, generate=not production),
        "SECRET_KEY_GENERATED": not os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        # Rate limits are shared between processes through Redis when it is configured.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or (redis_url or "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Mail: SMTP when MAIL_SERVER is set; every message also lands in MAIL_OUTBOX_DIR
        # (instance/outbox in development) as an .eml file.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Khorgos Gateway <no-reply@khorgos-gateway.local>"
        ),
        "MAIL_OUTBOX_DIR": os.environ.get(
            "MAIL_OUTBOX_DIR", "" if production else str(Path(instance_path) / "outbox")
        ),
        # "inline": deliver right after the commit; "rq": enqueue on Redis; "cron": leave it
        # to `flask outbox deliver`.
        "MAIL_DELIVERY": os.environ.get("MAIL_DELIVERY", "rq" if redis_url else "inline"),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(Path(instance_path) / "uploads")),
        "MAX_DOCUMENT_BYTES": int(os.environ.get("MAX_DOCUMENT_MB", "10")) * 1024 * 1024,
        "CONFIRM_TOKEN_MAX_AGE": int(os.environ.get("CONFIRM_TOKEN_MAX_AGE", str(48 * 3600))),
        "RESET_TOKEN_MAX_AGE": int(os.environ.get("RESET_TOKEN_MAX_AGE", "3600")),
        "INVITE_TOKEN_MAX_AGE": int(os.environ.get("INVITE_TOKEN_MAX_AGE", str(7 * 86400))),
        "PREFERRED_URL_SCHEME": os.environ.get("PREFERRED_URL_SCHEME", "http"),
        "SERVER_NAME": os.environ.get("SERVER_NAME") or None,
        # Every absolute URL the portal writes (e-mails, QR codes, certificates) is built on
        # BASE_URL, never on the request's Host; required in production.
        "BASE_URL": os.environ.get("BASE_URL") or ("" if production else dev_base_url),
        # Flask answers 400 to a request for any other Host; unset: any Host is served.
        "TRUSTED_HOSTS": _hosts("TRUSTED_HOSTS"),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed.
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", force_https),
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", force_https),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Sessions end after this long without a request (ASVS 4.0.3 3.3.2, Level 2: 30 minutes
        # idle, 12 hours in all). Investors get the same 30 minutes by default: pages warn
        # before the end and a step saves its draft, so a long form costs them nothing. An operator
        # may lengthen the investors' timeout (they see only their own applications, staff see
        # everyone's), but beyond 30 minutes the portal no longer meets Level 2 as written.
        "SESSION_IDLE_MINUTES_STAFF": int(os.environ.get("SESSION_IDLE_MINUTES_STAFF", "30")),
        "SESSION_IDLE_MINUTES_INVESTOR": int(os.environ.get("SESSION_IDLE_MINUTES_INVESTOR", "30")),
        # Every session, "remember me" included, ends this long after the sign-in, active or not;
        # the remember-me cookie expires then too (the server refuses it anyway).
        "SESSION_MAX_HOURS": max_hours,
        "REMEMBER_COOKIE_DURATION": timedelta(hours=max_hours),
        # How long before the end a signed-in page warns ("Stay signed in", static/js/session.js).
        "SESSION_WARNING_SECONDS": int(os.environ.get("SESSION_WARNING_SECONDS", "120")),
        # Roles that must sign in with a one-time code after the password (two-step sign-in,
        # ASVS 4.0.3 4.3.1). Off in development, so `make run`'s demo accounts stay easy to try.
        "MFA_REQUIRED_ROLES": _roles("MFA_REQUIRED_ROLES", "admin,reviewer" if production else ""),
        "FORCE_HTTPS": force_https,
        "HSTS": _bool("HSTS", force_https),
        # Argon2id cost; tests lower it to stay fast.
        "ARGON2_TIME_COST": int(os.environ.get("ARGON2_TIME_COST", "3")),
        "ARGON2_MEMORY_COST": int(os.environ.get("ARGON2_MEMORY_COST", str(64 * 1024))),
        "LANGUAGES": ["en", "ru", "kk", "zh"],
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Almaty",
        "WTF_CSRF_TIME_LIMIT": None,
        "PAGE_SIZE": 25,
    }
