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
# Where uploaded documents are kept (portal/services/storage.py).
LOCAL_STORAGE, DATABASE_STORAGE, S3_STORAGE = "local", "database", "s3"
STORAGE_BACKENDS = (LOCAL_STORAGE, DATABASE_STORAGE, S3_STORAGE)


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


def _document_storage() -> str:
    """DOCUMENT_STORAGE as set; empty when unset (the local directory, not chosen explicitly)."""
    storage = os.environ.get("DOCUMENT_STORAGE", "").strip().lower()
    if storage and storage not in STORAGE_BACKENDS:
        choices = ", ".join(STORAGE_BACKENDS)
        raise RuntimeError(f"DOCUMENT_STORAGE must be one of {choices}, not {storage!r}.")
    return storage


def _hosts(name: str) -> list[str] | None:
    """A comma-separated list of host names, or None when the variable is unset or empty."""
    hosts = [h.strip() for h in os.environ.get(name, "").split(",") if h.strip()]
    return hosts or None


def _roles(name: str, default: str) -> list[str]:
    """A comma-separated list of roles; an empty variable means none."""
    return [r.strip().lower() for r in os.environ.get(name, default).split(",") if r.strip()]


def _networks(name: str, default: str) -> list[str]:
    """A comma-separated list of networks (CIDR); an empty variable means none."""
    return [n.strip() for n in os.environ.get(name, default).split(",") if n.strip()]


def redis_options(timeout: float) -> dict:
    """Keyword arguments for every Redis client (redis-py), so that a Redis that is down or
    does not answer costs a request at most `timeout` seconds, never a hang."""
    return {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "health_check_interval": 30,
    }


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
    redis_timeout = float(os.environ.get("REDIS_TIMEOUT_SECONDS", "1"))
    max_hours = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    return {
        "PORTAL_ENV": env,
        "SECRET_KEY": _secret_key(instance_path, generate=not production),
        "SECRET_KEY_GENERATED": not os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # A connection idle in the pool longer than this is asked whether the database still
        # holds it before it is handed out (a restart): portal/database.py. 0: always asked.
        "DATABASE_PING_IDLE_SECONDS": float(os.environ.get("DATABASE_PING_IDLE_SECONDS", "1")),
        # How long to wait for a database that does not answer before the 503 page.
        "DATABASE_CONNECT_TIMEOUT": int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5")),
        "REDIS_URL": redis_url,
        # Every Redis client (rate limits, mail queue, /readyz) gives up after this long, so
        # an unreachable Redis slows a request by at most this much.
        "REDIS_TIMEOUT_SECONDS": redis_timeout,
        # Rate limits are shared between processes through Redis when it is configured; with
        # Redis away they are counted in each process's memory (a warning is logged) until it
        # answers again.
        # On Redis in one round trip a request (portal/rate_limits.py: the `kg` prefix).
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or (f"kg{redis_url}" if redis_url else "memory://"),
        "RATELIMIT_STORAGE_OPTIONS": redis_options(redis_timeout),
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # Whole public pages for visitors (portal/page_cache.py): on Redis when it is configured;
        # without it none, unless CACHE_TYPE names one (SimpleCache: one process only).
        "CACHE_TYPE": os.environ.get("CACHE_TYPE")
        or ("portal.page_cache.redis_backend" if redis_url else "NullCache"),
        "CACHE_NO_NULL_WARNING": True,
        "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "kg:"),
        "CACHE_DEFAULT_TIMEOUT": int(os.environ.get("CACHE_SECONDS", "600")),
        # How often each process asks the shared cache whether the public data changed: a change
        # shows at once through the process that made it, within this many seconds elsewhere.
        "PUBLIC_VERSION_SECONDS": float(os.environ.get("PUBLIC_VERSION_SECONDS", "1")),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Requests to the public API (portal/api/) per client address.
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "300/minute"),
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
        # One SMTP conversation gives up after this long (a hanging server holds nobody up).
        "MAIL_TIMEOUT_SECONDS": float(os.environ.get("MAIL_TIMEOUT_SECONDS", "10")),
        # A failed message is tried again after 2, 4, 8 ... minutes (at most an hour apart);
        # after MAIL_MAX_ATTEMPTS it is a dead letter, listed for admins at /admin/mail.
        "MAIL_RETRY_SECONDS": int(os.environ.get("MAIL_RETRY_SECONDS", "120")),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "10")),
        # /readyz answers 503 when mail due this long ago is still waiting: no worker (or cron
        # job) is delivering it.
        "MAIL_STALE_SECONDS": int(os.environ.get("MAIL_STALE_SECONDS", "900")),
        # Logs: "json" (one object a line, for a log collector) in production, text otherwise.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json" if production else "text"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        # /metrics (Prometheus) answers these networks, or a request with this bearer token.
        "METRICS_ALLOWED_NETWORKS": _networks("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128"),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        # Documents: "local" (UPLOAD_DIR, one machine; the default), "database" (a table of the
        # portal's database) or "s3" (a bucket every app server reaches).
        "DOCUMENT_STORAGE": _document_storage(),
        # Certificates are signed with the key and certificate in this PKCS#12 file (required in
        # production); in development `flask keys init` makes one in SIGNING_DIR.
        "CERTIFICATE_P12": os.environ.get("CERTIFICATE_P12", ""),
        "CERTIFICATE_P12_PASSPHRASE": os.environ.get("CERTIFICATE_P12_PASSPHRASE", ""),
        "SIGNING_DIR": os.environ.get("SIGNING_DIR", str(Path(instance_path) / "signing")),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(Path(instance_path) / "uploads")),
        "S3_BUCKET": os.environ.get("S3_BUCKET", ""),
        "S3_PREFIX": os.environ.get("S3_PREFIX", "documents/"),
        # MinIO, Ceph and other S3-compatible stores: their address; empty for AWS itself.
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL", ""),
        "S3_REGION": os.environ.get("S3_REGION", ""),
        # "path" or "virtual"; empty: path-style with S3_ENDPOINT_URL, boto3's choice without.
        "S3_ADDRESSING_STYLE": os.environ.get("S3_ADDRESSING_STYLE", ""),
        # Empty: boto3's own chain (AWS_ACCESS_KEY_ID..., an instance or pod role).
        "S3_ACCESS_KEY_ID": os.environ.get("S3_ACCESS_KEY_ID", ""),
        "S3_SECRET_ACCESS_KEY": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
        "MAX_DOCUMENT_BYTES": int(os.environ.get("MAX_DOCUMENT_MB", "10")) * 1024 * 1024,
        # The daily bulk files of the public register (`flask open-data publish`), served at
        # /open-data/; with several app servers, a directory they all mount.
        "OPEN_DATA_DIR": os.environ.get("OPEN_DATA_DIR", str(Path(instance_path) / "open-data")),
        "OPEN_DATA_KEEP_DAYS": max(1, int(os.environ.get("OPEN_DATA_KEEP_DAYS", "7"))),
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
