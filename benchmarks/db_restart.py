"""The database restarting under load: does the portal answer 503 with Retry-After, never a
trace, come back by itself, and lose nothing it acknowledged?

    .venv/bin/python benchmarks/db_restart.py            # about 2 minutes; run as root or postgres

Starts a PostgreSQL cluster of its own in a temporary directory (Debian's initdb and pg_ctl, as
the `postgres` user when run as root), on a free loopback port; fills it as benchmarks/load.py
does (a short demo history, load accounts); starts the portal under gunicorn (--workers 4,
Redis db 10 for its shared state); drives load.py's mix of visitors, investors and reviewers
with Locust; stops the database twice while the load runs (`pg_ctl stop -m fast`, then
`-m immediate`, a crash), each time for a few seconds, and starts it again. Every answer is
recorded with the phase it fell in. At the end, load_data.py's check: every acknowledged
submission and decision stored, the numbers gapless. Everything it started is stopped and the
directory deleted, also on Ctrl-C. Last line: `db-restart: down <s> s, recovered in <s> s,
5xx other than 503 <n>, 503 without Retry-After <n>, lost <n>, half-written <n>`.
"""

# ruff: noqa: I001 - Locust (gevent) must be imported before the standard library's sockets.
from __future__ import annotations

import load  # noqa: F401 - first: Locust patches the standard library for gevent

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import gevent
from locust.env import Environment

from load import (
    ACKNOWLEDGED,
    DATA,
    ROOT,
    MixInvestor,
    MixReviewer,
    MixVisitor,
    Servers,
    free_port,
)

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RUSSIAN_503 = "Портал ненадолго недоступен"  # the 503 page, as a Russian visitor reads it


def as_postgres(*command: str) -> list[str]:
    """`command` as the postgres user when we are root (initdb refuses root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class Cluster:
    """A PostgreSQL of our own in a temporary directory, on a free port."""

    def __init__(self, tmp: Path):
        self.dir = tmp / "pg"
        self.dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres")
            shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.run(PG_BIN / "initdb", "-D", self.dir, "-A", "trust", "-U", "postgres")
        self.start()
        self.run(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "bench")

    def run(self, *command) -> None:
        subprocess.run(as_postgres(*map(str, command)), check=True, capture_output=True)  # noqa: S603

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self.run(
            PG_BIN / "pg_ctl", "-D", self.dir, "-o", options, "-l", self.dir / "log", "-w", "start"
        )

    def stop(self, mode: str) -> None:
        self.run(PG_BIN / "pg_ctl", "-D", self.dir, "-m", mode, "-w", "stop")

    def close(self) -> None:
        subprocess.run(  # noqa: S603
            as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", "immediate", "stop"),
            check=False,
            capture_output=True,
        )


class OwnServers(Servers):
    """load.py's servers, on the cluster above instead of the machine's PostgreSQL."""

    def __init__(self, args, tmp: Path, cluster: Cluster):
        super().__init__(args, tmp)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/bench"
        self.env["DATABASE_URL"] = self.url

    def database(self, create: bool) -> None:  # the cluster made it
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--down", type=float, default=5, help="seconds the database is away")
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument("--database", default="bench")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kg-dbrestart-"))
    cluster = servers = None

    def interrupted(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    answers: list[tuple[str, int, bool, bool]] = []  # phase, status, Retry-After, Russian page
    phase = {"now": "before"}
    errors: dict[str, int] = {}  # why a request got no answer (status 0)
    odd: dict[str, int] = {}  # 5xx other than 503, by status and page
    samples: dict[str, str] = {}
    try:
        cluster = Cluster(tmp)
        servers = OwnServers(args, tmp, cluster)
        servers.flush_redis()
        DATA.update(servers.data("prepare", "--history-days", str(args.history_days)))
        servers.gunicorn("app:app", servers.portal_port, ROOT)
        host = f"http://127.0.0.1:{servers.portal_port}"

        def record(response=None, exception=None, name="", **_kw):
            status = getattr(response, "status_code", 0) or 0
            if status == 0:
                errors[type(exception).__name__] = errors.get(type(exception).__name__, 0) + 1
            headers = getattr(response, "headers", None) or {}
            text = (getattr(response, "text", "") or "") if status >= 500 else ""
            answers.append((phase["now"], status, "Retry-After" in headers, RUSSIAN_503 in text))
            if status >= 500 and status != 503:
                key = f"{status} {name}"
                odd[key] = odd.get(key, 0) + 1
                samples.setdefault(key, text[:2000])
            if status == 503:
                samples.setdefault("503", text[:2000])

        env = Environment(user_classes=[MixVisitor, MixInvestor, MixReviewer], host=host)
        env.events.request.add_listener(record)
        runner = env.create_local_runner()
        runner.start(args.users, spawn_rate=args.users)
        gevent.sleep(8)
        downs, recoveries = [], []
        for mode in ("fast", "immediate"):
            phase["now"] = f"down ({mode})"
            began = time.monotonic()
            cluster.stop(mode)
            gevent.sleep(args.down)
            cluster.start()
            downs.append(time.monotonic() - began)
            phase["now"] = f"after ({mode})"
            back = time.monotonic()
            seen = len(answers)
            while time.monotonic() - back < 60:
                gevent.sleep(0.1)
                if any(200 <= a[1] < 400 for a in answers[seen:]):
                    break
            recoveries.append(time.monotonic() - back)
            gevent.sleep(6)
        runner.quit()
        runner.greenlet.join(timeout=15)
        servers.stop()
        check = servers.data("check", stdin=json.dumps(ACKNOWLEDGED))
    finally:
        if servers is not None:
            servers.stop()
        if cluster is not None:
            cluster.close()
        for log in tmp.glob("gunicorn-*.log"):  # the portal's own log, to read after the run
            shutil.copy(log, Path(tempfile.gettempdir()) / f"db-restart-{log.name}")
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"{args.users} users, gunicorn --workers {args.workers}, "
        f"database away {args.down:g} s twice"
    )
    print(
        f"{'phase':<20}{'requests':>9}{'2xx/3xx':>9}{'503':>6}{'other 5xx':>11}{'4xx':>6}"
        f"{'no answer':>11}"
    )
    for name in dict.fromkeys(a[0] for a in answers):
        rows = [a for a in answers if a[0] == name]
        ok = sum(200 <= a[1] < 400 for a in rows)
        unavailable = sum(a[1] == 503 for a in rows)
        other = sum(a[1] >= 500 and a[1] != 503 for a in rows)
        client = sum(400 <= a[1] < 500 for a in rows)
        none = sum(a[1] == 0 for a in rows)
        print(f"{name:<20}{len(rows):>9}{ok:>9}{unavailable:>6}{other:>11}{client:>6}{none:>11}")
    unavailable = [a for a in answers if a[1] == 503]
    other_5xx = sum(a[1] >= 500 and a[1] != 503 for a in answers)
    no_retry = sum(not a[2] for a in unavailable)
    lost = len(check["lost_submissions"]) + len(check["lost_decisions"])
    half = check["approved_without_registration"] + len(check["numbering_problems"])
    print(f"no answer, by the client's error: {errors}")
    print(f"5xx other than 503, by status and page: {odd}")
    for key, text in samples.items():
        print(f"  {key}: {' '.join(text.split())[:200]}")
    print(
        f"503 answers: {len(unavailable)}, with Retry-After: {len(unavailable) - no_retry}, "
        f"the translated page (Russian visitors): {sum(a[3] for a in unavailable)}"
    )
    print(
        f"acknowledged: {len(ACKNOWLEDGED['submitted'])} submissions, "
        f"{len(ACKNOWLEDGED['decided'])} decisions; numbering problems: "
        f"{len(check['numbering_problems'])}, approved without a number: "
        f"{check['approved_without_registration']}"
    )
    print(
        f"db-restart: down {max(downs):.1f} s, recovered in {max(recoveries):.1f} s, "
        f"5xx other than 503 {other_5xx}, 503 without Retry-After {no_retry}, lost {lost}, "
        f"half-written {half}"
    )


if __name__ == "__main__":
    main()
