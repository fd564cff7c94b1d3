"""How fast are the API's company-by-number and verification endpoints against a bare endpoint
under the same gunicorn?

    .venv/bin/python benchmarks/api.py --seconds 15         # about 3 minutes

Like benchmarks/load.py (whose servers, database and Locust phases it reuses): a fresh
PostgreSQL database (`apibench`) filled by benchmarks/api_data.py (`--history-days` of the
demo history, through the portal's services), Redis (db 12, emptied) for rate limits and
caches, the portal under gunicorn (--workers 4, sync; `benchmarks/api_app.py`: the portal
plus one bare route `/_bare`) and `benchmarks/bare_app.py` (a bare Flask app) under the same
gunicorn settings; Locust as a library, 32 users, no think time, one endpoint at a time:

  ceiling            bare_app.py `/`, a bare Flask app (the project's ceiling, as in load.py)
  portal bare        `/_bare` in the portal's own process: every hook, no endpoint work
  bare, rate-limited `/_bare_limited`: the same under the API's rate limit (Redis, headers)
  company (cold)     GET /api/v1/companies/<number> (200 numbers), the first run: each
                     gunicorn worker builds each answer from the database once
  company            the same again: answers kept by each worker (portal/api/cache.py)
  verify (cold)      GET /api/v1/verify/<number>, first run; verify: again
  company 304        the same with If-None-Match: what a client that caches pays
  ceiling (again)    both ceilings are taken as the higher of their two runs

Rate limits stay on (API_RATE_LIMIT raised so that no user is refused: their cost is
measured, not their refusals). Prints req/s, p50/p95/p99 and the ratio bare / endpoint for
both ceilings; the last line is
`api: company <x>x, verify <y>x of the portal's bare route; <a>x, <b>x of a bare Flask app`.
"""

# ruff: noqa: I001 - Locust (gevent) must be imported before the standard library's sockets.
from __future__ import annotations

import load  # noqa: F401 - first: Locust patches the standard library for gevent

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from load import DATA, ROOT, SERVER_ERRORS, Servers, Visitor, row, run_phase, single

ETAGS: dict[str, str] = {}


class ApiUser(Visitor):
    abstract = True

    def bare(self):
        self.get("/_bare", "portal bare")

    def bare_limited(self):
        self.get("/_bare_limited", "portal bare, rate-limited")

    def company(self):
        self.get(f"/api/v1/companies/{random.choice(DATA['numbers'])}", "company")

    def verify(self):
        self.get(f"/api/v1/verify/{random.choice(DATA['numbers'])}", "verify")

    def company_304(self):
        number = random.choice(DATA["numbers"])
        path = f"/api/v1/companies/{number}"
        etag = ETAGS.get(number)
        headers = {**self.headers, "If-None-Match": etag} if etag else self.headers
        response = self.client.get(path, name="company 304", headers=headers)
        if response.status_code == 200:
            ETAGS[number] = response.headers.get("ETag") or response.headers.get("etag")


PHASES = [
    # (label, user class, server)
    ("ceiling", single(Visitor, "home"), "bare"),
    ("portal bare", single(ApiUser, "bare"), "portal"),
    ("bare, rate-limited", single(ApiUser, "bare_limited"), "portal"),
    # Each process keeps the answers it gave (portal/api/cache.py): the first run of an
    # endpoint is mostly answers built from the database (cold), the second mostly kept (warm).
    ("company (cold)", single(ApiUser, "company"), "portal"),
    ("company", single(ApiUser, "company"), "portal"),
    ("verify (cold)", single(ApiUser, "verify"), "portal"),
    ("verify", single(ApiUser, "verify"), "portal"),
    ("company 304", single(ApiUser, "company_304"), "portal"),
    ("portal bare (again)", single(ApiUser, "bare"), "portal"),
    ("ceiling (again)", single(Visitor, "home"), "bare"),
]


def prepare(servers: Servers, history_days: int) -> dict:
    """benchmarks/api_data.py on the benchmark's database: its registration numbers."""
    done = subprocess.run(  # noqa: S603 - our own script, our own arguments
        [
            sys.executable,
            str(ROOT / "benchmarks" / "api_data.py"),
            "--history-days",
            str(history_days),
        ],
        env=servers.env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit("api_data.py failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="each endpoint")
    parser.add_argument("--users", type=int, default=32, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (sync)")
    parser.add_argument("--history-days", type=int, default=60, help="demo history")
    parser.add_argument("--database", default="apibench", help="created and dropped")
    parser.add_argument("--redis-db", type=int, default=12, help="emptied first")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kg-api-"))
    servers = Servers(args, tmp)
    servers.env["API_RATE_LIMIT"] = "1000000/minute"

    def interrupted(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        began = time.monotonic()
        servers.database(create=True)
        servers.flush_redis()
        DATA.update(prepare(servers, args.history_days))
        print(
            f"database {args.database}: {DATA['registrations']:,} registrations "
            f"({time.monotonic() - began:.0f} s)",
            flush=True,
        )
        servers.gunicorn("bare_app:app", servers.bare_port, ROOT / "benchmarks")
        servers.gunicorn("api_app:app", servers.portal_port, ROOT / "benchmarks")
        hosts = {
            "bare": f"http://127.0.0.1:{servers.bare_port}",
            "portal": f"http://127.0.0.1:{servers.portal_port}",
        }
        results = {}
        for label, user_class, server in PHASES:
            stats, seconds = run_phase([user_class], hosts[server], args.users, args.seconds, label)
            results[label] = row(stats.total, seconds)
            print(f"  measured {label}: {results[label][0]:.0f} req/s", flush=True)
        servers.stop()

        ceiling = max(results["ceiling"][0], results["ceiling (again)"][0]) or 1
        inside = max(results["portal bare"][0], results["portal bare (again)"][0]) or 1
        print()
        print(
            f"{args.users} connections, {args.seconds:g} s each, gunicorn --workers "
            f"{args.workers}, PostgreSQL + Redis"
        )
        print(
            f"{'endpoint':<22}{'req/s':>9}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}"
            f"{'x portal bare':>15}{'x bare Flask':>14}"
        )
        for label, (rps, p50, p95, p99, errors) in results.items():
            of_inside = inside / rps if rps else float("inf")
            of_ceiling = ceiling / rps if rps else float("inf")
            print(
                f"{label:<22}{rps:>9.0f}{p50:>8}{p95:>8}{p99:>8}{errors:>8}"
                f"{of_inside:>14.2f}x{of_ceiling:>13.2f}x"
            )
        print(f"  5xx answers: {sum(SERVER_ERRORS.values())} {SERVER_ERRORS or ''}")

        def ratio(label: str, of: float) -> str:
            rps = results[label][0]
            return f"{of / rps:.2f}x" if rps else "inf"

        print(
            f"api: company {ratio('company', inside)}, verify {ratio('verify', inside)} of the "
            f"portal's bare route; {ratio('company', ceiling)}, {ratio('verify', ceiling)} of a "
            f"bare Flask app (target: within 1.5x)"
        )
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    finally:
        servers.stop()
        if not args.keep_database:
            servers.database(create=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
