"""Khorgos Gateway: the application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as config_module
from portal.extensions import (
    babel,
    cache,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    talisman,
)

ROOT = Path(__file__).resolve().parent.parent

CSP = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:"],
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}


def select_locale() -> str:
    languages = ["en", "ru", "kk", "zh"]
    if not has_request_context():
        return "en"
    if request.path.startswith("/api/v1/"):  # the API answers in the request's language alone
        return request.accept_languages.best_match(languages) or "en"
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or "en"


class Portal(Flask):
    """Flask, answering a Host outside TRUSTED_HOSTS with the site's own 400 page."""

    def create_url_adapter(self, request):
        try:
            return super().create_url_adapter(request)
        except SecurityError as error:
            # Flask would leave the request with no adapter, and the page could not be drawn.
            from portal.urls import refusing_adapter

            return refusing_adapter(self, error)


def create_app(config: dict | None = None) -> Flask:
    app = Portal(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # Before any route is added: ids in URLs are bounded, and no request may carry a NUL.
    from portal.forms import refuse_nul_bytes
    from portal.urls import IdConverter

    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul_bytes)
    app.config.update(config_module.from_environment(app.instance_path))
    if config:
        app.config.update(config)
        if "SECRET_KEY" in config:  # given by the caller, not generated into the instance
            app.config["SECRET_KEY_GENERATED"] = config.get("SECRET_KEY_GENERATED", False)
    from portal import database, deploy, logs

    logs.configure(app)  # JSON lines in production, each with its request's id
    deploy.refuse_unsafe_production(app.config)
    if app.config["PROXY_HOPS"]:
        # The client's address and scheme as the trusted proxies saw them. Not X-Forwarded-Host:
        # absolute links come from BASE_URL, and TRUSTED_HOSTS checks the Host the proxy passes.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)
    # Uploads are checked for size by the service; the request limit only stops abuse.
    app.config.setdefault("MAX_CONTENT_LENGTH", app.config["MAX_DOCUMENT_BYTES"] * 2 + 2**20)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A database host that does not answer costs a request this long, then the 503 page.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {
            "connect_timeout": app.config["DATABASE_CONNECT_TIMEOUT"],
            **options.get("connect_args", {}),
        }
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    database.ping_when_idle(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    limiter.init_app(app)
    cache.init_app(app)
    from portal import metrics

    metrics.configure(app)  # request counts and latencies per endpoint, for /metrics
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="same-origin",
        strict_transport_security=app.config["HSTS"],
    )

    from portal import models  # noqa: F401 - register the models with SQLAlchemy
    from portal.security import no_store_when_signed_in
    from portal.sessions import keep_within_limits, load_user

    login_manager.user_loader(load_user)
    app.before_request(keep_within_limits)
    app.after_request(no_store_when_signed_in)

    from portal.admin.views import bp as admin_bp
    from portal.apply.views import bp as apply_bp
    from portal.auth.views import bp as auth_bp
    from portal.dashboard.views import bp as dashboard_bp
    from portal.errors import register_error_pages
    from portal.main.views import bp as main_bp
    from portal.registry.views import bp as registry_bp
    from portal.review.views import bp as review_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(apply_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(dashboard_bp)
    register_error_pages(app)
    from portal import api

    api.register(app)  # /api/v1/ and /api/ (after the error pages: it answers its own)

    from portal import cli, templating

    cli.register(app)
    templating.register(app)

    @app.before_request
    def remember_request_start():
        g.locale = str(get_locale())

    return app
