"""What one signed-in page costs in the app itself: the review queue and the investor's list.

Flask test client against an existing (demo) database, no server: ms of CPU per request and SQL
statements per request, next to a bare route added to the same app and measured in the same run
(it pays the same session, user load and hooks, none of the page's work). The ratio
bare / page is the share of the bare route's requests per second the page can reach.

    DATABASE_URL=sqlite:////tmp/queue/db.sqlite3 .venv/bin/flask --app app db upgrade
    DATABASE_URL=sqlite:////tmp/queue/db.sqlite3 .venv/bin/flask --app app demo --history-days 365
    DATABASE_URL=sqlite:////tmp/queue/db.sqlite3 .venv/bin/python benchmarks/pages.py [-n 200]
    ... benchmarks/pages.py --profile /review/     # pyinstrument's tree of one page (pip install)

Prints one line per page: `pages: /review/ P ms, S statements, bare B ms, share R%`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from portal import create_app  # noqa: E402
from portal.demo import DEMO_PASSWORD as PASSWORD  # noqa: E402
from portal.extensions import db  # noqa: E402

PAGES = {
    "/review/": "reviewer@khorgos-gateway.example",
    "/applications/": "investor@khorgos-gateway.example",
}


def make_app():
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"],
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "CACHE_TYPE": "SimpleCache",  # stands in for Redis: shared lookups are kept
        }
    )
    app.add_url_rule("/_bare", "bare", lambda: "<!doctype html><p>bare</p>")
    return app


def measure(client, path: str, n: int, counter: list[int]) -> tuple[float, float]:
    """Median ms per request and statements per request (after two warm-up requests)."""
    for _ in range(2):
        assert client.get(path).status_code == 200, path
    timings, statements = [], []
    for _ in range(n):
        counter[0] = 0
        began = time.perf_counter()
        response = client.get(path)
        response.get_data()
        timings.append((time.perf_counter() - began) * 1000)
        statements.append(counter[0])
        assert response.status_code == 200, path
    return statistics.median(timings), statistics.mean(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="requests per page")
    parser.add_argument("--profile", metavar="PATH", help="print pyinstrument's profile of PATH")
    args = parser.parse_args()
    app = make_app()
    counter = [0]
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def count(*_args):
            counter[0] += 1

    for path, email in PAGES.items():
        if args.profile and args.profile != path:
            continue
        client = app.test_client()
        login = client.post("/login", data={"email": email, "password": PASSWORD})
        assert login.status_code == 302, login.status_code
        if args.profile:
            from pyinstrument import Profiler

            client.get(path)
            with Profiler(interval=0.0005) as profiler:
                for _ in range(args.n):
                    client.get(path).get_data()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
            continue
        # The bare route before and after the page, the faster of the two (a busy machine).
        bare_ms, bare_st = measure(client, "/_bare", args.n, counter)
        page_ms, page_st = measure(client, path, args.n, counter)
        bare_ms = min(bare_ms, measure(client, "/_bare", args.n, counter)[0])
        print(
            f"pages: {path} {page_ms:.1f} ms, {page_st:.0f} statements, "
            f"bare {bare_ms:.2f} ms ({bare_st:.0f} statements), share {bare_ms / page_ms:.1%}"
        )


if __name__ == "__main__":
    main()
