"""How fast is the dashboard at the scale of years?

Fills a FRESH database with N applications (default 1,000,000) spread over ten years, with
their events and registrations, then measures in the same run:

- page: the whole dashboard request for the last 365 days (Flask test client, logged in as an
  admin, HTML rendered);
- raw SQL: the bare SQL aggregations that request runs (the very statements, captured from the
  service, replayed on the DB-API cursor with fetchall: no ORM, no Python, no template).

Median of several runs each. The last line printed is
`dashboard: page P ms, raw SQL Q ms, ratio R`.

    .venv/bin/python benchmarks/dashboard.py [--rows N] [--runs 7] [--statements]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kg_bench .venv/bin/python ...

The database named by DATABASE_URL is emptied first (SQLite: a new file in a temporary folder).

With --compare, the page alone at several sizes of history, at the same daily rate (a database
each: DATABASE_URL's name plus _0, _1 ... on PostgreSQL); the last line is
`dashboard: 100,000 rows P ms, 1,000,000 rows Q ms, ratio R`:

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kg_bench \
        .venv/bin/python benchmarks/dashboard.py --compare 100000,1000000 --runs 5
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, make_url, text  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import RejectionReason, Zone  # noqa: E402
from portal.models.base import utcnow  # noqa: E402
from portal.services import daily_counts, stats  # noqa: E402
from portal.services.accounts import create_user  # noqa: E402
from portal.services.applications import elapsed_seconds  # noqa: E402
from portal.services.reference import seed_reference  # noqa: E402

PASSWORD = "amber-caravan-crosses-steppe-2026"  # noqa: S105 - a throwaway database
CHUNK = 50_000
YEARS = 10

APPLICATION_COLUMNS = (
    "id, owner_id, status, current_step, company_name, legal_form, zone_id, sector_id, "
    "activity_code, address, investment_currency, director_name, director_nationality, "
    "contact_email, contact_phone, created_at, updated_at, submitted_at, submitted_on, "
    "decided_at"
)
EVENT_COLUMNS = (
    "id, application_id, actor_id, created_at, action, from_status, to_status, comment, reason_id, "
    "elapsed_seconds"
)
REGISTRATION_COLUMNS = (
    "id, application_id, zone_id, sector_id, year, seq, number, company_name, registered_on, "
    "created_at"
)


def database_uri(suffix: str = "") -> str:
    """The benchmark's database, emptied (with `suffix`: another database of that name plus the
    suffix, created on PostgreSQL if missing; another file on SQLite)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("postgresql"):
        if suffix:
            url = _other_database(url, suffix)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    if url:
        raise SystemExit("DATABASE_URL: PostgreSQL, or nothing for a fresh SQLite file")
    return "sqlite:///" + str(Path(tempfile.mkdtemp(prefix="kg-bench-")) / "bench.sqlite3")


def _other_database(url: str, suffix: str) -> str:
    base = make_url(url)
    other = base.set(database=base.database + suffix)
    engine = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": other.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{other.database}"'))
    engine.dispose()
    return other.render_as_string(hide_password=False)


class Writer:
    """Bulk inserts: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection, dialect: str):
        self.raw = connection
        self.postgres = dialect == "postgresql"

    @staticmethod
    def stamp(moment: datetime | None):
        # SQLite keeps the UTC text SQLAlchemy writes; PostgreSQL takes the aware datetime.
        if moment is None:
            return None
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    def write(self, table: str, columns: str, rows: list[tuple]) -> None:
        if not rows:
            return
        cursor = self.raw.cursor()
        if self.postgres:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns.split(","))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        cursor.close()


def fill(app, rows: int, per_day: float | None = None) -> None:
    """`rows` applications up to today, ~88% registered, with their events: over ten years
    with growth (density rising linearly to 3x), or at `per_day` a day, evenly (so the last
    year looks the same whatever the length of the history). The daily counts the dashboard
    reads are then counted from them, as migration 0010 does for existing data."""
    rng = random.Random(2016)
    with app.app_context():
        seed_reference()
        admin = create_user("admin@bench.example", PASSWORD, role="admin", confirmed=True)
        investor = create_user("investor@bench.example", PASSWORD, confirmed=True)
        reviewers = [
            create_user(f"reviewer{i}@bench.example", PASSWORD, role="reviewer", confirmed=True)
            for i in range(6)
        ]
        db.session.commit()
        zones = [
            (z.id, z.code, [s.id for s in z.sectors]) for z in db.session.scalars(db.select(Zone))
        ]
        reasons = list(db.session.scalars(db.select(RejectionReason.id)))
        reviewer_ids = [r.id for r in reviewers] + [admin.id]
        owner_id = investor.id
        dialect = db.engine.dialect.name
        connection = db.engine.raw_connection()
    writer = Writer(connection.driver_connection, dialect)
    stamp = (lambda m: m) if writer.postgres else Writer.stamp
    day_text = (lambda d: d) if writer.postgres else date.isoformat

    now = datetime.now(UTC)
    days = rows / per_day if per_day else 365 * YEARS
    start = now - timedelta(days=days)
    span = (now - start).total_seconds()
    counters: dict[tuple[int, int], int] = {}
    event_id = registration_id = 0
    applications, events, registrations = [], [], []

    def flush():
        writer.write("applications", APPLICATION_COLUMNS, applications)
        writer.write("application_events", EVENT_COLUMNS, events)
        writer.write("registrations", REGISTRATION_COLUMNS, registrations)
        connection.commit()
        applications.clear()
        events.clear()
        registrations.clear()

    began = time.perf_counter()
    for application_id in range(1, rows + 1):
        # Growth: more applications in later years (density rising linearly to 3x).
        u = rng.random()
        fraction = u if per_day else ((1 + 8 * u) ** 0.5 - 1) / 2
        submitted = start + timedelta(seconds=fraction * span)
        zone_id, zone_code, sectors = zones[rng.randrange(len(zones))]
        sector_id = sectors[rng.randrange(len(sectors))]
        reviewer = reviewer_ids[rng.randrange(len(reviewer_ids))]
        trail = [("submit", submitted, owner_id, "draft", "submitted", None)]
        at = submitted + timedelta(hours=rng.uniform(1, 30))
        trail.append(("take", at, reviewer, "submitted", "in_review", None))
        if rng.random() < 0.1:
            at += timedelta(days=rng.uniform(0.2, 2))
            trail.append(("request_info", at, reviewer, "in_review", "info_requested", None))
            at += timedelta(days=rng.lognormvariate(1.0, 0.7))
            trail.append(("resubmit", at, owner_id, "info_requested", "submitted", None))
        decided = at + timedelta(days=rng.lognormvariate(1.0, 0.6))
        fate = rng.random()
        if fate < 0.03:
            trail = trail[:1] + [
                (
                    "withdraw",
                    submitted + timedelta(days=1),
                    owner_id,
                    "submitted",
                    "withdrawn",
                    None,
                )
            ]
        elif fate < 0.10:
            trail.append(
                (
                    "reject",
                    decided,
                    reviewer,
                    "in_review",
                    "rejected",
                    reasons[rng.randrange(len(reasons))],
                )
            )
        else:
            trail.append(("approve", decided, reviewer, "in_review", "approved", None))
        trail = [t for t in trail if t[1] <= now]
        status = trail[-1][4]
        last_submit = max(t[1] for t in trail if t[0] in ("submit", "resubmit"))
        decided_at = trail[-1][1] if status in ("approved", "rejected") else None
        submitted_on = (submitted + timedelta(hours=5)).date()  # Almaty
        name = f"Benchmark {application_id} LLP"
        applications.append(
            (
                application_id,
                owner_id,
                status,
                "review",
                name,
                "llp",
                zone_id,
                sector_id,
                "46.90.0",
                "plot 1",
                "USD",
                "Director",
                "KZ",
                "investor@bench.example",
                "",
                stamp(submitted),
                stamp(trail[-1][1]),
                stamp(last_submit),
                day_text(submitted_on),
                stamp(decided_at),
            )
        )
        moments = [(t[0], t[1]) for t in trail]
        for action, moment, actor, source, target, reason in trail:
            seconds = elapsed_seconds(application_id, action, moment, moments)
            event_id += 1
            events.append(
                (
                    event_id,
                    application_id,
                    actor,
                    stamp(moment),
                    action,
                    source,
                    target,
                    "",
                    reason,
                    seconds,
                )
            )
        if status == "approved":
            day = (decided_at + timedelta(hours=5)).date()
            seq = counters.get((zone_id, day.year), 0) + 1
            counters[(zone_id, day.year)] = seq
            registration_id += 1
            registrations.append(
                (
                    registration_id,
                    application_id,
                    zone_id,
                    sector_id,
                    day.year,
                    seq,
                    f"{zone_code}-{day.year}-{seq:06d}",
                    name,
                    day_text(day),
                    stamp(decided_at),
                )
            )
        if len(applications) >= CHUNK:
            flush()
    flush()
    cursor = connection.driver_connection.cursor()
    rows_counters = [(z, y, s) for (z, y), s in counters.items()]
    if writer.postgres:
        cursor.executemany(
            "INSERT INTO registration_counters (zone_id, year, last_seq) VALUES (%s, %s, %s)",
            rows_counters,
        )
        for table in ("applications", "application_events", "registrations"):
            cursor.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        connection.commit()
    else:
        cursor.executemany(
            "INSERT INTO registration_counters (zone_id, year, last_seq) VALUES (?, ?, ?)",
            rows_counters,
        )
        connection.commit()
        cursor.execute("ANALYZE")
    cursor.close()
    connection.close()
    filled = time.perf_counter()
    with app.app_context():
        count_rows = daily_counts.rebuild()
        db.session.commit()
    print(
        f"filled {rows:,} applications over {days:,.0f} days, {event_id:,} events, "
        f"{registration_id:,} registrations in {filled - began:.0f} s; "
        f"{count_rows:,} daily counts counted in {time.perf_counter() - filled:.0f} s",
        flush=True,
    )


def analyze_postgres(uri: str) -> None:
    engine = create_engine(uri, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def capture_statements(app) -> list[tuple[str, object]]:
    """The SQL the dashboard's figures run for the last 365 days, as sent to the driver."""
    captured = []

    def record(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    with app.app_context():
        today = stats.today()
        filters = stats.Filters(today - timedelta(days=364), today)
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            stats.dashboard(filters, utcnow())
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        db.session.remove()
    return captured


def time_raw(app, statements, runs: int, each: list[list[float]] | None = None) -> list[float]:
    """Whole-page timings of the raw statements; with `each`, also every statement's own."""
    timings = []
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            for run in range(runs + 1):
                began = time.perf_counter()
                cursor = connection.cursor()
                for i, (statement, parameters) in enumerate(statements):
                    started = time.perf_counter()
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                    if each is not None and run:
                        each[i].append((time.perf_counter() - started) * 1000)
                cursor.close()
                connection.rollback()
                timings.append((time.perf_counter() - began) * 1000)
        finally:
            connection.close()
    return timings[1:]  # the first run warms the caches


def time_page(app, runs: int) -> list[float]:
    client = app.test_client()
    response = client.post("/login", data={"email": "admin@bench.example", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    timings = []
    for _ in range(runs + 1):
        began = time.perf_counter()
        response = client.get("/dashboard/?window=365")
        body = response.get_data()
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200 and b"Registrations per day" in body
    return timings[1:]


def make_app(uri: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": uri,
            "SECRET_KEY": "benchmark",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "CACHE_TYPE": "NullCache",  # the page as rendered, every time
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
            "MAIL_DELIVERY": "inline",
        }
    )


def filled_app(rows: int, per_day: float | None, suffix: str = ""):
    uri = database_uri(suffix)
    app = make_app(uri)
    with app.app_context():
        upgrade()
    fill(app, rows, per_day)
    if uri.startswith("postgresql"):
        analyze_postgres(uri)
    return uri, app


def compare(sizes: list[int], per_day: float, runs: int) -> None:
    """The page at each size of history, at the same daily rate: does its cost grow?"""
    apps = [filled_app(rows, per_day, suffix=f"_{i}") for i, rows in enumerate(sizes)]
    timings: list[list[float]] = [[] for _ in apps]
    for _ in range(3):  # alternate, so both see the same state of the machine
        for (_uri, app), times in zip(apps, timings, strict=True):
            times += time_page(app, runs)
    medians = [statistics.median(t) for t in timings]
    for rows, times in zip(sizes, timings, strict=True):
        print(f"{rows:>10,} applications: page runs (ms) {', '.join(f'{t:.0f}' for t in times)}")
    for _uri, app in apps:
        with app.app_context():
            db.engine.dispose()
    print(
        "dashboard: "
        + ", ".join(f"{rows:,} rows {ms:.0f} ms" for rows, ms in zip(sizes, medians, strict=True))
        + f", ratio {max(medians) / min(medians):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="applications to create")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (median)")
    parser.add_argument(
        "--statements", action="store_true", help="also print each statement's median time"
    )
    parser.add_argument(
        "--compare",
        default="",
        help="sizes of history to compare, e.g. 100000,1000000 (a database each)",
    )
    parser.add_argument(
        "--per-day",
        type=float,
        default=274,
        help="with --compare: applications a day (274: 1,000,000 over ten years)",
    )
    args = parser.parse_args()
    if args.compare:
        compare([int(n) for n in args.compare.split(",")], args.per_day, args.runs)
        return

    uri, app = filled_app(args.rows, None)

    statements = capture_statements(app)
    # Alternate, so both see the same state of the caches.
    raw, page = [], []
    each: list[list[float]] | None = [[] for _ in statements] if args.statements else None
    for _ in range(2):
        raw += time_raw(app, statements, args.runs, each)
        page += time_page(app, args.runs)
    with app.app_context():
        db.engine.dispose()
    raw_ms, page_ms = statistics.median(raw), statistics.median(page)
    print(f"database: {uri.split(':', 1)[0]}, {len(statements)} statements per page")
    for timings, (statement, _parameters) in zip(each or [], statements, strict=False):
        print(f"{statistics.median(timings):8.1f} ms  {' '.join(statement.split())[:110]}")
    print(f"page runs (ms): {', '.join(f'{t:.0f}' for t in page)}")
    print(f"raw SQL runs (ms): {', '.join(f'{t:.0f}' for t in raw)}")
    print(
        f"dashboard: page {page_ms:.0f} ms, raw SQL {raw_ms:.0f} ms, ratio {page_ms / raw_ms:.2f}"
    )


if __name__ == "__main__":
    main()
