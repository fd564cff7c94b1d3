"""How long `flask open-data publish` takes, and how much memory, for N registered companies.

    .venv/bin/python benchmarks/open_data.py --companies 100000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python \
        benchmarks/open_data.py --companies 100000     # an empty database of your own

Fills an empty database (SQLite in a temporary folder unless DATABASE_URL is set) with N
approved applications and their registrations, written in bulk, then publishes the day's files
once and prints the time, the rows, the files' sizes and the process's peak memory. Constant
memory shows as the same peak for 100,000 and 1,000,000 companies.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from portal import create_app, lifecycle  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import INVESTOR, Application, Registration, Sector, User, Zone  # noqa: E402
from portal.services import open_data  # noqa: E402
from portal.services.reference import seed_reference  # noqa: E402

BATCH = 10_000


def fill(companies: int) -> None:
    owner = User(email="bench-open-data@bench.example", password_hash="!", role=INVESTOR)  # noqa: S106
    db.session.add(owner)
    db.session.flush()
    zones = db.session.scalars(select(Zone).order_by(Zone.id)).all()
    sector = db.session.scalars(select(Sector).order_by(Sector.id)).first()
    first_day = date(2016, 1, 1)
    for start in range(0, companies, BATCH):
        indexes = range(start, min(start + BATCH, companies))
        ids = db.session.scalars(
            insert(Application).returning(Application.id, sort_by_parameter_order=True),
            [
                {
                    "owner_id": owner.id,
                    "status": lifecycle.APPROVED,
                    "company_name": f"Caravan Trading {i} LLP",
                    "legal_form": "llp",
                    "address": f"Industrial zone, plot {i % 900 + 1}",
                    "director_name": f"Director {i}",
                    "contact_email": f"private-{i}@bench.example",
                    "zone_id": zones[i % len(zones)].id,
                    "sector_id": sector.id,
                }
                for i in indexes
            ],
        ).all()
        rows = []
        for i, application_id in zip(indexes, ids, strict=True):
            zone = zones[i % len(zones)]
            day = first_day + timedelta(days=i // 200)
            seq = i // len(zones) + 1
            rows.append(
                {
                    "application_id": application_id,
                    "zone_id": zone.id,
                    "sector_id": sector.id,
                    "year": day.year,
                    "seq": seq,
                    "number": f"{zone.code}-{day.year}-{seq:07d}",
                    "company_name": f"Caravan Trading {i} LLP",
                    "registered_on": day,
                }
            )
        db.session.execute(insert(Registration), rows)
        db.session.commit()


def publish(config: dict) -> None:
    """In a process of its own, so its peak memory is the publication's alone."""
    app = create_app(config)
    with app.app_context():
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        release = open_data.publish()
        took = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    peak = usage.ru_maxrss
    print(
        f"published {release.rows:,} rows in {took:.1f} s, {cpu:.1f} s of CPU "
        f"({release.rows / took:,.0f} rows/s; load average {os.getloadavg()[0]:.1f})"
    )
    for data_file in release.files:
        print(f"  {data_file.name}: {data_file.size / 2**20:.1f} MiB")
    print(f"peak memory of the publishing process: {peak / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--publish-only", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = Path(args.publish_only or tempfile.mkdtemp(prefix="open-data-bench-"))
    config = {
        "SECRET_KEY": "benchmark",
        "OPEN_DATA_DIR": str(folder / "open-data"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
        or f"sqlite:///{folder / 'bench.sqlite3'}",
    }
    if args.publish_only:
        publish(config)
        return
    app = create_app(config)
    with app.app_context():
        db.create_all()
        seed_reference()
        started = time.perf_counter()
        fill(args.companies)
        print(
            f"{db.engine.dialect.name}: filled {args.companies:,} companies in "
            f"{time.perf_counter() - started:.1f} s"
        )
        db.session.remove()
        db.engine.dispose()
    subprocess.run([sys.executable, __file__, "--publish-only", str(folder)], check=True)  # noqa: S603
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
