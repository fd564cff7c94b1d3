"""Flask extensions, created here and bound to the app in `create_app`."""

from flask import Flask, current_app
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from redis import Redis
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from portal import rate_limits  # noqa: F401 - registers the `kgredis://` rate-limit storage
from portal.config import redis_options


class Base(DeclarativeBase):
    # Named constraints keep migrations portable between SQLite and PostgreSQL.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
talisman = Talisman()
# Whole public pages (portal/page_cache.py): on Redis with REDIS_URL, else as CACHE_TYPE says.
cache = Cache()


def redis_connection(app: Flask | None = None) -> Redis | None:
    """The app's Redis client, or None without REDIS_URL. Every socket gives up after
    REDIS_TIMEOUT_SECONDS (`config.redis_options`), so a Redis that is away costs a request at
    most that long; callers treat its errors as "Redis is away" and carry on without it."""
    app = app or current_app._get_current_object()
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("portal.redis")
    if client is None:
        client = Redis.from_url(url, **redis_options(app.config["REDIS_TIMEOUT_SECONDS"]))
        app.extensions["portal.redis"] = client
    return client
