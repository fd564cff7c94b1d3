"""The database connections each process keeps: a connection the database dropped (a restart)
is replaced before it is handed out, without a round trip on every request.

SQLAlchemy's `pool_pre_ping` asks the database on every checkout, one round trip per request;
under load that trip was a fifth of a signed-in page's cost (benchmarks/RESULTS.md). Here a
connection is asked only when it has sat in the pool longer than DATABASE_PING_IDLE_SECONDS: a
process that was idle through a restart finds its connection dead and takes a new one, with no
error; a process serving requests while the database went away met the error then (the 503
page) and SQLAlchemy replaced its connections. 0 asks on every checkout, as pre-ping does.
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event, exc

from portal.extensions import db

CHECKED_IN = "kg_checked_in"


def ping_when_idle(app: Flask) -> None:
    idle = app.config["DATABASE_PING_IDLE_SECONDS"]
    with app.app_context():
        engine = db.engine
    dialect = engine.dialect

    @event.listens_for(engine.pool, "connect")
    def fresh(_dbapi_connection, record):
        record.info[CHECKED_IN] = time.monotonic()

    @event.listens_for(engine.pool, "checkin")
    def returned(_dbapi_connection, record):
        if record is not None:
            record.info[CHECKED_IN] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def checked_out(dbapi_connection, record, _proxy):
        since = record.info.get(CHECKED_IN)
        if since is not None and time.monotonic() - since < idle:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool drops this connection and checks out another (a new one if need be).
            raise exc.DisconnectionError() from error
