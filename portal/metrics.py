"""Prometheus metrics: request counts and latencies per endpoint (prometheus-flask-exporter),
and the outbox's length and age, read from the database at each scrape.

Under gunicorn, set PROMETHEUS_MULTIPROC_DIR to an empty directory before it starts: each worker
then writes its figures there and /metrics adds them up (gunicorn.conf.py removes a dead worker's
files). `/metrics` answers only METRICS_ALLOWED_NETWORKS or a request bearing METRICS_TOKEN.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os

from flask import Flask, current_app, request
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.security import client_address

log = logging.getLogger(__name__)

EXTENSION = "portal.metrics"
# Not counted: the scrape itself, the probes, and files.
UNTRACKED = [r"^/metrics$", r"^/healthz$", r"^/readyz$", r"^/static/"]


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class OutboxCollector:
    """The outbox's figures at the moment of the scrape (nothing when the database is away)."""

    FIGURES = (
        ("portal_outbox_waiting", "E-mails neither sent nor dead letters", "waiting"),
        ("portal_outbox_due", "E-mails waiting whose next attempt is due", "due"),
        ("portal_outbox_dead_letters", "E-mails given up on, waiting for an admin", "dead"),
        (
            "portal_outbox_oldest_waiting_seconds",
            "Age of the oldest waiting e-mail (0 when none)",
            "oldest_waiting_seconds",
        ),
        (
            "portal_outbox_oldest_due_seconds",
            "How long the most overdue e-mail has been due (0 when none): grows without a worker",
            "oldest_due_seconds",
        ),
    )

    def describe(self):
        return [GaugeMetricFamily(name, text) for name, text, _ in self.FIGURES]

    def collect(self):
        from portal.services.mail import outbox_state

        try:
            state = outbox_state()
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.warning("metrics: the outbox could not be read: %s", type(exc).__name__)
            return
        for name, text, field in self.FIGURES:
            yield GaugeMetricFamily(name, text, value=getattr(state, field) or 0)


def configure(app: Flask) -> None:
    """Count every request by endpoint, method and status, with its duration. Each app has its
    own registry (a test run makes many apps; production has one per process)."""
    registry = CollectorRegistry()
    exporter = PrometheusMetrics(
        app=None,
        path=None,  # the route is main.metrics, behind `allowed()`
        registry=registry,
        group_by="endpoint",
        excluded_paths=UNTRACKED,
        defaults_prefix="portal",
    )
    exporter.init_app(app)
    if not multiprocess():
        registry.register(OutboxCollector())
    app.extensions[EXTENSION] = exporter


def allowed() -> bool:
    """From an allowed network (as PROXY_HOPS tells the client's address), or with the token."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_address())
    except ValueError:
        return False
    for network in current_app.config.get("METRICS_ALLOWED_NETWORKS") or ():
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            log.warning("METRICS_ALLOWED_NETWORKS: %r is not a network", network)
    return False


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The metrics in the format the scraper asked for, and its content type."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(OutboxCollector())
    else:
        registry = current_app.extensions[EXTENSION].registry
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
