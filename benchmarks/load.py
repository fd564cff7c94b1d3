"""How fast is the portal under load, page by page, against a bare Flask app on the same server?

    .venv/bin/python benchmarks/load.py --seconds 15        # or: make load

On one machine, over loopback only, bounded in time, and it stops by itself:

1. creates a fresh PostgreSQL database (`loadbench` on 127.0.0.1:5432, user postgres) and fills
   it through the portal's services: reference data, the demo accounts, a year of history for
   the dashboard, the benchmark's accounts (benchmarks/load_data.py prepare);
2. starts the portal under gunicorn (--workers 4, sync) with Redis (127.0.0.1:6379, db 11,
   emptied first) for the cache and the rate limits, and `benchmarks/bare_app.py` (one route,
   a short HTML string) under the same gunicorn settings: the ceiling;
3. with Locust as a library (headless, FastHttpUser, 32 users, no think time) drives, for
   --seconds each: the ceiling; each page alone (home, registry, verification, the investor's
   list, the review queue, the dashboard), the ceiling again (each share is taken against the
   higher of the two); then for --mix-seconds a realistic mix: visitors reading the home page,
   searching the registry and verifying certificates in four languages; investors signing in,
   filling the five steps, uploading two PDF documents and submitting; reviewers taking
   applications from the queue and approving (some sent back for information, some rejected);
   admins on the dashboard;
4. prints per page requests/s, p50/p95/p99 (ms), errors and the share of the ceiling measured in
   the same run; then checks integrity (benchmarks/load_data.py check): every acknowledged
   submission and decision stored, registration numbers distinct and gapless, one decision
   e-mail per decision in the outbox, no 5xx; the last line is
   `load: <mix req/s>, p99 <ms>, worst share <page> <pct>%, errors <n>, lost <n>`;
5. stops both servers and drops the database (--keep-database keeps it).

Rate limits stay as in production (Flask-Limiter on Redis): gunicorn trusts one proxy hop
(PROXY_HOPS=1) and every simulated user sends its own X-Forwarded-For address, as visitors
behind a load balancer do; the per-account limits apply unchanged (each user signs in once).
Mail is left in the outbox table (MAIL_DELIVERY=cron) where the integrity check counts it.
Locust runs in this process, on the same two cores as the servers: the shares are ratios
taken in the same run, which is what holds on a shared machine.
"""

# ruff: noqa: I001 - Locust (gevent) must be imported before the standard library's sockets.
from __future__ import annotations

# Locust patches the standard library for gevent on import: first, before sockets exist.
import locust  # noqa: F401
import gevent
from locust import FastHttpUser, constant, task
from locust.env import Environment

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG = "host=127.0.0.1 port=5432 user=postgres"
LANGUAGES = ("en", "ru", "kk", "zh")
# The smallest PDF the upload check accepts (it is parsed: a cross-reference table and all).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
    b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n96\n%%EOF\n"
)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REVIEW_LINK = re.compile(r'href="/review/applications/(\d+)"')
REASON = re.compile(r'<select[^>]*name="reason".*?</select>', re.S)
OPTION = re.compile(r'<option[^>]*value="(\d+)"')

# What the run shares with the simulated users (set in main()).
DATA: dict = {}
ACKNOWLEDGED = {"submitted": [], "decided": []}
SERVER_ERRORS: dict[str, int] = {}
CONFLICTS: dict[str, int] = {}  # decisions refused because a colleague had moved first


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the simulated users ---------------------------------------------------------------------


class Visitor(FastHttpUser):
    """Somebody on the public pages, in one of the four languages, behind the proxy."""

    abstract = True
    wait_time = constant(0)
    role: str | None = None
    counter = 0

    def on_start(self):
        Visitor.counter += 1
        n = Visitor.counter
        self.headers = {
            "X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            "Accept-Language": random.choice(LANGUAGES),
        }
        if self.role:
            accounts = DATA["accounts"][self.role]
            self.sign_in(accounts[n % len(accounts)])
        PHASE["ready"] += 1

    def get(self, path, name, **kw):
        return self.client.get(path, name=name, headers=self.headers, **kw)

    def post(self, path, name, fields, **kw):
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        body = urllib.parse.urlencode(fields)
        return self.client.post(path, name=name, data=body, headers=headers, **kw)

    def upload(self, path, name, fields, filename, content):
        boundary = "----kg" + secrets.token_hex(8)
        parts = []
        for key, value in fields.items():
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
            parts.append(f"{head}{value}\r\n".encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {**self.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.client.post(path, name=name, data=b"".join(parts), headers=headers)

    def sign_in(self, email):
        page = self.get("/login", "sign in (form)")
        done = self.post(
            "/login",
            "sign in",
            {"csrf_token": token(page), "email": email, "password": DATA["password"]},
        )
        if 'name="password"' in (done.text or ""):  # still the sign-in form: not signed in
            PHASE["sign-in failures"] = PHASE.get("sign-in failures", 0) + 1

    # the pages a visitor reads
    def home(self):
        self.get("/", "home")

    def registry(self):
        if random.random() < 0.5:
            self.get("/registry", "registry")
        else:
            q = random.choice(DATA["words"])
            self.get(f"/registry?q={urllib.parse.quote(q)}", "registry")

    def verify(self):
        self.get(f"/verify/{random.choice(DATA['numbers'])}", "verify")


def token(response) -> str:
    match = CSRF.search(response.text or "")
    return match.group(1) if match else ""


def location(response) -> str:
    return response.headers.get("location") or response.headers.get("Location") or ""


class Investor(Visitor):
    abstract = True
    role = "investor"

    def list_page(self):
        return self.get("/applications/", "investor list")

    def apply(self):
        """A whole application: five steps, two documents, submitted."""
        listing = self.list_page()
        created = self.post(
            "/applications/new",
            "apply: new",
            {"csrf_token": token(listing)},
            allow_redirects=False,
        )
        match = re.search(r"/applications/(\d+)/", location(created))
        if not match:
            return
        app_id = int(match.group(1))
        base = f"/applications/{app_id}/step"
        page = self.get(f"{base}/company", "apply: company (form)")
        zone_id, sector_id = random.choice(DATA["pairs"])
        name = f"Load {app_id} {secrets.token_hex(3)} LLP"
        page = self.post(
            f"{base}/company",
            "apply: company",
            {
                "csrf_token": token(page),
                "company_name": name,
                "legal_form": "llp",
                "zone_id": zone_id,
                "sector_id": sector_id,
                "activity_code": "46.90.0",
                "address": "Plot 12, logistics area",
                "director_name": "Aruzhan Bekova",
                "director_nationality": "KZ",
                "contact_email": "office@load.example",
                "contact_phone": "+7 727 000 00 00",
                "action": "next",
            },
        )
        page = self.post(
            f"{base}/investment",
            "apply: investment",
            {
                "csrf_token": token(page),
                "investment_amount": "1 500 000",
                "investment_currency": "USD",
                "planned_jobs": "25",
                "action": "next",
            },
        )
        page = self.post(
            f"{base}/founders",
            "apply: founders",
            {
                "csrf_token": token(page),
                "founders-0-kind": "natural",
                "founders-0-name": "Aruzhan Bekova",
                "founders-0-nationality": "KZ",
                "founders-0-share": "100",
                "action": "next",
            },
        )
        csrf = token(page)
        for doc_type in ("passport", "charter"):
            page = self.upload(
                f"{base}/documents",
                "apply: upload",
                {"csrf_token": csrf, "doc_type": doc_type},
                f"{doc_type}.pdf",
                PDF_BYTES,
            )
        page = self.post(
            f"{base}/documents",
            "apply: documents",
            {
                "csrf_token": token(page),
                "action": "next",
            },
        )
        done = self.post(
            f"{base}/review",
            "apply: submit",
            {
                "csrf_token": token(page),
                "confirm": "y",
            },
            allow_redirects=False,
        )
        if done.status_code == 302 and "submitted=1" in location(done):
            ACKNOWLEDGED["submitted"].append(app_id)
            self.get(location(done), "apply: submitted")


class Reviewer(Visitor):
    abstract = True
    role = "reviewer"

    def queue(self, query=""):
        return self.get("/review/" + query, "review queue")

    def review_one(self):
        """Take a submitted application of the load's investors and decide it."""
        listing = self.queue("?status=submitted&q=Load")
        ids = REVIEW_LINK.findall(listing.text or "")
        if not ids:  # nothing of the load's submitted yet: look again in a moment
            gevent.sleep(1)
            return
        app_id = int(random.choice(ids[:10]))
        page = self.get(f"/review/applications/{app_id}", "review: application")
        page = self.post(
            f"/review/applications/{app_id}/take",
            "review: take",
            {
                "csrf_token": token(page),
            },
        )
        fate = random.random()
        if fate < 0.8:
            action, fields = "approve", {"comment": ""}
        elif fate < 0.9:
            action, fields = "request-info", {"message": "Please add the lease of the plot."}
        else:
            select = REASON.search(page.text or "")
            reasons = OPTION.findall(select.group(0)) if select else []
            if not reasons:
                return
            action = "reject"
            fields = {"reason": random.choice(reasons), "explanation": "Outside the zone's plan."}
        with self.client.post(
            f"/review/applications/{app_id}/{action}",
            name=f"review: {action}",
            data=urllib.parse.urlencode({"csrf_token": token(page), **fields}),
            headers={**self.headers, "Content-Type": "application/x-www-form-urlencoded"},
            catch_response=True,
        ) as result:
            # A colleague took the application over in between (422, "X has this application")
            # or decided it (the page says nothing changed): the portal refused, as it should.
            if result.status_code == 422 or "flash-error" in (result.text or ""):
                CONFLICTS[action] = CONFLICTS.get(action, 0) + 1
                result.success()
            elif result.status_code == 200 and "flash-success" in (result.text or ""):
                ACKNOWLEDGED["decided"].append(
                    [app_id, {"request-info": "request_info"}.get(action, action)]
                )


class Admin(Visitor):
    abstract = True
    role = "admin"

    def dashboard(self):
        self.get("/dashboard/", "dashboard")


# One page at a time: which user, which page.
def single(base, method, role=None):
    return type(
        f"Only_{method}",
        (base,),
        {
            "abstract": False,
            "role": role,
            "tasks": [lambda self: getattr(self, method)()],
        },
    )


PAGES = [
    # (label, user class, server)
    ("ceiling", single(Visitor, "home"), "bare"),
    ("home", single(Visitor, "home"), "portal"),
    ("registry", single(Visitor, "registry"), "portal"),
    ("verify", single(Visitor, "verify"), "portal"),
    ("investor list", single(Investor, "list_page", "investor"), "portal"),
    ("review queue", single(Reviewer, "queue", "reviewer"), "portal"),
    ("dashboard", single(Admin, "dashboard", "admin"), "portal"),
]


class MixVisitor(Visitor):
    weight = 16

    @task(4)
    def t_home(self):
        self.home()

    @task(4)
    def t_registry(self):
        self.registry()

    @task(2)
    def t_verify(self):
        self.verify()


class MixInvestor(Investor):
    weight = 8

    @task
    def t_apply(self):
        self.apply()


class MixReviewer(Reviewer):
    weight = 6

    @task
    def t_review(self):
        self.review_one()


class MixAdmin(Admin):
    weight = 2

    @task
    def t_dashboard(self):
        self.dashboard()


for _cls in (MixVisitor, MixInvestor, MixReviewer, MixAdmin):
    _cls.abstract = False

PHASE = {"ready": 0}


def run_phase(user_classes, host, users, seconds, label):
    """Run users against host; return (stats, measured seconds) after everybody is ready."""
    env = Environment(user_classes=user_classes, host=host)

    def count_5xx(response=None, name=None, **_kw):
        if response is not None and getattr(response, "status_code", 0) >= 500:
            key = f"{label}: {name}"
            SERVER_ERRORS[key] = SERVER_ERRORS.get(key, 0) + 1

    env.events.request.add_listener(count_5xx)
    runner = env.create_local_runner()
    PHASE["ready"] = 0
    runner.start(users, spawn_rate=users)
    deadline = time.monotonic() + 60
    while PHASE["ready"] < users and time.monotonic() < deadline:
        gevent.sleep(0.1)
    gevent.sleep(1)  # warm up: connections open, caches filled
    env.stats.reset_all()
    began = time.monotonic()
    gevent.sleep(seconds)
    stats = env.stats
    measured = time.monotonic() - began
    runner.quit()
    runner.greenlet.join(timeout=15)
    return stats, measured


# --- servers and the database -----------------------------------------------------------------


class Servers:
    def __init__(self, args, tmp: Path):
        self.args = args
        self.tmp = tmp
        self.processes: list[subprocess.Popen] = []
        self.db = args.database
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.db}"
        self.redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
        self.portal_port = free_port()
        self.bare_port = free_port()
        self.env = {
            **os.environ,
            "PORTAL_ENV": "development",
            "DATABASE_URL": self.url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": secrets.token_hex(32),
            "INSTANCE_PATH": str(tmp / "instance"),
            "UPLOAD_DIR": str(tmp / "uploads"),
            "MAIL_DELIVERY": "cron",
            "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
            "MAIL_SERVER": "",
            "PROXY_HOPS": "1",
            "PORT": str(self.portal_port),
            "BASE_URL": f"http://127.0.0.1:{self.portal_port}",
            "PYTHONPATH": str(ROOT),
        }

    def database(self, create: bool) -> None:
        import psycopg

        with psycopg.connect(PG + " dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
            if create:
                conn.execute(f'CREATE DATABASE "{self.db}"')

    def flush_redis(self) -> None:
        import redis

        redis.Redis.from_url(self.redis_url).flushdb()

    def data(self, *command, stdin: str | None = None) -> dict:
        done = subprocess.run(  # noqa: S603 - our own script, our own arguments
            [sys.executable, str(ROOT / "benchmarks" / "load_data.py"), *command],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if done.returncode:
            sys.stderr.write(done.stderr[-4000:])
            raise SystemExit(f"load_data.py {command[0]} failed")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def gunicorn(self, module: str, port: int, chdir: Path) -> None:
        command = [
            str(BIN / "gunicorn"),
            "--workers",
            str(self.args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--chdir",
            str(chdir),
            module,
        ]
        log = open(self.tmp / f"gunicorn-{port}.log", "w")  # noqa: SIM115 - closed with the run
        self.processes.append(
            subprocess.Popen(  # noqa: S603 - the venv's gunicorn, our own arguments
                command, env=self.env, stdout=log, stderr=log, start_new_session=True, cwd=ROOT
            )
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        log.flush()
        sys.stderr.write(Path(log.name).read_text()[-3000:])
        raise SystemExit(f"gunicorn {module} did not answer")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


# --- report -----------------------------------------------------------------------------------


def row(stats_entry, seconds):
    n = stats_entry.num_requests
    if not n:
        return 0.0, 0, 0, 0, stats_entry.num_failures
    pct = stats_entry.get_response_time_percentile
    return n / seconds, pct(0.5), pct(0.95), pct(0.99), stats_entry.num_failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="each page alone")
    parser.add_argument(
        "--mix-seconds", type=float, default=0, help="the mix (default: 3 x --seconds, >= 30)"
    )
    parser.add_argument("--users", type=int, default=32, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (sync)")
    parser.add_argument("--history-days", type=int, default=365, help="dashboard history")
    parser.add_argument("--database", default="loadbench", help="created and dropped")
    parser.add_argument("--redis-db", type=int, default=11, help="emptied first")
    parser.add_argument("--only", default="", help="comma-separated pages (and/or 'mix')")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kg-load-"))
    servers = Servers(args, tmp)

    def interrupted(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        began = time.monotonic()
        servers.database(create=True)
        servers.flush_redis()
        DATA.update(servers.data("prepare", "--history-days", str(args.history_days)))
        print(
            f"database {args.database}: {DATA['applications']:,} applications, "
            f"{DATA['registrations']:,} registrations ({time.monotonic() - began:.0f} s)",
            flush=True,
        )
        servers.gunicorn("bare_app:app", servers.bare_port, ROOT / "benchmarks")
        servers.gunicorn("app:app", servers.portal_port, ROOT)
        hosts = {
            "bare": f"http://127.0.0.1:{servers.bare_port}",
            "portal": f"http://127.0.0.1:{servers.portal_port}",
        }
        only = {p.strip() for p in args.only.split(",") if p.strip()}
        results = {}
        for label, user_class, server in PAGES:
            if only and label not in only and label != "ceiling":
                continue
            stats, seconds = run_phase([user_class], hosts[server], args.users, args.seconds, label)
            entry = stats.total
            results[label] = row(entry, seconds)
            print(f"  measured {label}: {results[label][0]:.0f} req/s", flush=True)
        # The ceiling again, after the pages: the machine is shared, so each share is taken
        # against the higher of the two (the conservative choice).
        stats, seconds = run_phase(
            [PAGES[0][1]], hosts["bare"], args.users, args.seconds, "ceiling"
        )
        results["ceiling (again)"] = row(stats.total, seconds)
        print(f"  measured ceiling again: {results['ceiling (again)'][0]:.0f} req/s", flush=True)
        mix = None
        if not only or "mix" in only:
            stats, seconds = run_phase(
                [MixVisitor, MixInvestor, MixReviewer, MixAdmin],
                hosts["portal"],
                args.users,
                args.mix_seconds or max(3 * args.seconds, 30),
                "mix",
            )
            mix = (stats, seconds)
        servers.stop()

        ceiling = max(results["ceiling"][0], results["ceiling (again)"][0]) or 1
        print()
        print(
            f"{args.users} connections, {args.seconds:g} s per page, gunicorn --workers "
            f"{args.workers}, PostgreSQL + Redis"
        )
        header = f"{'page':<22}{'req/s':>9}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}{'share':>9}"
        print(header)
        worst = None
        for label, (rps, p50, p95, p99, errors) in results.items():
            share = 100 * rps / ceiling
            print(f"{label:<22}{rps:>9.0f}{p50:>8}{p95:>8}{p99:>8}{errors:>8}{share:>8.1f}%")
            if not label.startswith("ceiling") and (worst is None or share < worst[1]):
                worst = (label, share)
        errors = sum(r[4] for r in results.values())
        lost = 0
        mix_rps = mix_p99 = 0
        if mix:
            stats, seconds = mix
            print()
            print(
                f"mix: {len(ACKNOWLEDGED['submitted'])} submissions, "
                f"{len(ACKNOWLEDGED['decided'])} decisions acknowledged"
            )
            print(header.replace("share", "     "))
            for name in sorted(stats.entries, key=lambda k: k[0]):
                rps, p50, p95, p99, failures = row(stats.entries[name], seconds)
                print(f"{name[0]:<22}{rps:>9.1f}{p50:>8}{p95:>8}{p99:>8}{failures:>8}")
            mix_rps, _p50, _p95, mix_p99, mix_errors = row(stats.total, seconds)
            errors += mix_errors
            check = servers.data("check", stdin=json.dumps(ACKNOWLEDGED))
            lost = len(check["lost_submissions"]) + len(check["lost_decisions"])
            print()
            print("integrity:")
            for what in ("submissions", "decisions"):
                stored = check[what] - len(check[f"lost_{what}"])
                print(f"  acknowledged {what} stored: {stored} of {check[what]}")
            print(
                f"  registration numbers distinct and gapless per zone and year: "
                f"{'yes' if not check['numbering_problems'] else check['numbering_problems']}"
                f" ({check['registrations']:,} registrations; approved without one: "
                f"{check['approved_without_registration']})"
            )
            problems = check["decision_mail_problem_count"]
            lost += problems
            print(
                f"  one decision e-mail per decision ({check['load_applications']} load "
                f"applications): {'yes' if not problems else check['decision_mail_problems']}"
            )
        print(f"  5xx answers: {sum(SERVER_ERRORS.values())} {SERVER_ERRORS or ''}")
        print(f"  sign-in failures: {PHASE.get('sign-in failures', 0)}")
        print(f"  decisions refused because a colleague moved first (not errors): {CONFLICTS}")
        if worst is None:
            worst = ("-", 0.0)
        print(
            f"load: {mix_rps:.0f} req/s, p99 {mix_p99} ms, worst share {worst[0]} "
            f"{worst[1]:.1f}%, errors {errors}, lost {lost}"
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
