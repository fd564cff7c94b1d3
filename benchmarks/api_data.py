"""The data side of benchmarks/api.py, in its own process on the benchmark's database.

    DATABASE_URL=... .venv/bin/python benchmarks/api_data.py --history-days 60

Migrates the empty database, loads the reference data and `--history-days` of the demo history
(registrations made by the portal's own services), and prints, as JSON, what the load needs:
up to 200 registration numbers. (The demo accounts are not needed: the API has no sign-in.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.demo import load_history  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Registration  # noqa: E402
from portal.services.reference import seed_reference  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history-days", type=int, default=60)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        upgrade()
        seed_reference()
        load_history(args.history_days)
        db.session.commit()
        numbers = list(
            db.session.scalars(
                select(Registration.number).order_by(Registration.id.desc()).limit(200)
            )
        )
        count = db.session.scalar(select(func.count(Registration.id)))
    print(json.dumps({"numbers": numbers, "registrations": count}))


if __name__ == "__main__":
    main()
