"""How fast is the company-name check at the size of a national register?

Fills a separate database with N registered companies (default 1,000,000; their approved
applications beside them) and a few thousand applications under review, with names made of
words of the four languages and their legal forms, then times in the same run, for the same
names (a third taken, a third a slip away from a registered one, a third free):

- check: `services.company_names.check(name)`, everything the live check and the company step
  ask (the exact clash in both tables, then near clashes: pg_trgm on PostgreSQL, index
  neighbours on SQLite, judged in Python);
- bare lookup: `SELECT 1 FROM registrations WHERE normalised_name = :n` on the same session.

The last line printed is `names: check C ms, bare lookup B ms, ratio R` (medians per name).

    .venv/bin/python benchmarks/names.py                        # SQLite, a new file
    .venv/bin/python benchmarks/names.py --count 100000
    .venv/bin/python benchmarks/names.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/names_bench

A PostgreSQL database given is emptied first (DROP SCHEMA public CASCADE).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from portal import create_app, lifecycle  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Zone  # noqa: E402
from portal.services import company_names  # noqa: E402
from portal.services.accounts import create_user  # noqa: E402
from portal.services.reference import seed_reference  # noqa: E402

CHUNK = 50_000
PASSWORD = "amber-caravan-crosses-steppe-2026"  # noqa: S105 - a throwaway database

# Words companies in the zones are named with, and the legal forms around them.
WORDS = (
    "silk road caravan steppe eastern gate golden dragon trade textile logistics cargo "
    "express pacific asia euro global union star river mountain sky wind sun moon harbour "
    "terminal freight transit bridge orient alliance unity prime smart green agro food "
    "pharma medical electro tech digital finance capital invest build stone metal oil grain "
    "cotton wool leather fashion home garden market city port line way land sea north south "
    "west central national royal crystal diamond pearl jade lotus phoenix tiger eagle falcon "
    "wolf horse camel nomad khan altyn dala zhol zher kok ak kara sary tengri baiterek "
    "zhibek zholy nurly shygys kakpa khorgos almaty astana jetisu alatau tian shan kunlun "
    "jiang hai long feng hua xin da tong sheng li he ping an fu kang"
)
CYRILLIC_WORDS = (
    "шёлковый путь караван степь восток ворота золотой дракон торговля текстиль логистика "
    "груз экспресс азия глобал союз звезда река гора небо ветер солнце луна гавань терминал "
    "транзит мост альянс агро фарма финанс капитал инвест строй металл зерно хлопок жібек "
    "жолы алтын дала нұрлы шығыс қақпа қорғас алматы жетісу алатау тәңірі бәйтерек"
)
CHINESE = "丝绸 之路 东方 之门 黄金 巨龙 贸易 纺织 物流 货运 亚洲 环球 联合 星辰 江河 高山 天空"
WORDS, CYRILLIC_WORDS, CHINESE = WORDS.split(), CYRILLIC_WORDS.split(), CHINESE.split()
LEGAL_FORMS = ("LLP", "ТОО", "ЖШС", "JSC", "АО", "Ltd", "LLC", "TOO", "Co., Ltd.")
CHINESE_FORMS = ("有限公司", "股份有限公司", "有限责任公司")


def make_name(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.1:
        return "".join(rng.sample(CHINESE, rng.randint(2, 3))) + rng.choice(CHINESE_FORMS)
    words = CYRILLIC_WORDS if kind < 0.35 else WORDS
    chosen = [rng.choice(words) for _ in range(rng.choice((2, 3, 3, 4)))]
    if rng.random() < 0.3:
        chosen.append(str(rng.randint(1, 999)))
    name = " ".join(w.capitalize() for w in chosen)
    form = rng.choice(LEGAL_FORMS)
    return f"{form} «{name}»" if rng.random() < 0.5 else f"{name} {form}"


def slip(rng: random.Random, name: str) -> str:
    """The name with one letter changed, dropped or doubled (not in its legal form)."""
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    i = rng.choice(letters[len(letters) // 3 :])
    how = rng.randrange(3)
    if how == 0:
        return name[:i] + ("x" if name[i] != "x" else "z") + name[i + 1 :]
    if how == 1:
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i] + name[i:]


def database_uri(given: str) -> str:
    if given:
        if given.startswith(("postgres://", "postgresql://")):
            given = "postgresql+psycopg://" + given.split("://", 1)[1]
        engine = create_engine(given)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return given
    return "sqlite:///" + str(Path(tempfile.mkdtemp(prefix="kg-names-")) / "names.sqlite3")


def make_app(uri: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": uri,
            "SECRET_KEY": "benchmark",
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "CACHE_TYPE": "NullCache",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
            "MAIL_DELIVERY": "inline",
        }
    )


APPLICATION_COLUMNS = (
    "id, owner_id, status, current_step, company_name, normalised_name, name_words, "
    "zone_id, sector_id, legal_form, activity_code, address, investment_currency, "
    "director_name, director_nationality, contact_email, contact_phone, created_at, updated_at"
)
APPLICATION_REST = ("llp", "46.90.0", "plot 1", "USD", "Director", "KZ", "bench@example.com", "")
REGISTRATION_COLUMNS = (
    "id, application_id, zone_id, sector_id, year, seq, number, company_name, "
    "normalised_name, name_words, registered_on, created_at"
)


def fill(app, count: int, pending: int, rng: random.Random) -> list[str]:
    """`count` registrations and `pending` applications under review, written in bulk (COPY
    on PostgreSQL, executemany on SQLite); the names registered, to check against."""
    with app.app_context():
        upgrade()
        seed_reference()
        investor = create_user("investor@bench.example", PASSWORD, confirmed=True)
        db.session.commit()
        zone_id, zone_code, sector_id = next(
            (z.id, z.code, z.sectors[0].id) for z in db.session.scalars(db.select(Zone))
        )
        owner_id = investor.id
        postgres = db.engine.dialect.name == "postgresql"
        # A company's status since its registration day, where the register keeps one.
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("registrations")}
        with_status = "status_since" in columns
        # The name backwards, where the register keeps it (the check's third key).
        with_reversed = "reversed_name" in columns
        connection = db.engine.raw_connection()
    now = datetime.now(UTC)
    stamp = now if postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    day = date(2026, 3, 14) if postgres else "2026-03-14"

    def write(table: str, columns: str, rows: list[tuple]) -> None:
        cursor = connection.driver_connection.cursor()
        if postgres:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns.split(","))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        cursor.close()

    registration_columns = (
        REGISTRATION_COLUMNS
        + (", status_since" if with_status else "")
        + (", reversed_name" if with_reversed else "")
    )
    since = (day,) if with_status else ()
    began = time.perf_counter()
    names: list[str] = []
    applications, registrations = [], []
    for i in range(1, count + pending + 1):
        name = make_name(rng)
        normalised, words = company_names.keys(name)
        registered = i <= count
        status = lifecycle.APPROVED if registered else lifecycle.SUBMITTED
        applications.append(
            (i, owner_id, status, "review", name, normalised, words, zone_id, sector_id)
            + APPLICATION_REST
            + (stamp, stamp)
        )
        if registered:
            names.append(name)
            registrations.append(
                (i, i, zone_id, sector_id, 2026, i, f"{zone_code}-2026-{i:07d}", name)
                + (normalised, words, day, stamp)
                + since
                + ((normalised[::-1],) if with_reversed else ())
            )
        if len(applications) >= CHUNK:
            write("applications", APPLICATION_COLUMNS, applications)
            write("registrations", registration_columns, registrations)
            connection.commit()
            applications.clear()
            registrations.clear()
    write("applications", APPLICATION_COLUMNS, applications)
    write("registrations", registration_columns, registrations)
    connection.commit()
    cursor = connection.driver_connection.cursor()
    if postgres:
        for table in ("applications", "registrations"):
            cursor.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        connection.commit()
        connection.driver_connection.autocommit = True
        cursor.execute("VACUUM ANALYZE applications")
        cursor.execute("VACUUM ANALYZE registrations")
    else:
        cursor.execute("ANALYZE")
        connection.commit()
    cursor.close()
    connection.close()
    print(
        f"filled {count:,} registrations and {pending:,} applications under review "
        f"in {time.perf_counter() - began:.0f} s",
        flush=True,
    )
    return names


def timed(function, argument) -> float:
    began = time.perf_counter()
    function(argument)
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="registrations to create")
    parser.add_argument("--pending", type=int, default=2_000, help="applications under review")
    parser.add_argument("--names", type=int, default=300, help="names checked (each timed)")
    parser.add_argument("--database-url", default="", help="PostgreSQL (emptied); else SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file (else deleted)")
    args = parser.parse_args()

    rng = random.Random(2026)
    uri = database_uri(args.database_url)
    app = make_app(uri)
    registered = fill(app, args.count, args.pending, rng)
    third = args.names // 3
    probes = {
        "taken": rng.sample(registered, third),
        "similar": [slip(rng, n) for n in rng.sample(registered, third)],
        "free": [make_name(rng) + " Nova" for _ in range(args.names - 2 * third)],
    }
    bare_sql = text("SELECT 1 FROM registrations WHERE normalised_name = :n")

    with app.app_context():
        session = db.session

        def bare(name: str):
            return session.execute(bare_sql, {"n": company_names.normalise(name)}).first()

        for name in registered[:50]:  # warm the caches and the statement cache
            company_names.check(name)
            bare(name)
        checks: dict[str, list[float]] = {kind: [] for kind in probes}
        bares: list[float] = []
        states: dict[str, dict[str, int]] = {kind: {} for kind in probes}
        for kind, names in probes.items():
            for name in names:  # alternate, so both see the same state of the caches
                checks[kind].append(timed(company_names.check, name))
                bares.append(timed(bare, name))
                state = company_names.check(name).state
                states[kind][state] = states[kind].get(state, 0) + 1
        db.session.remove()
        db.engine.dispose()

    every = [t for times in checks.values() for t in times]
    check_ms, bare_ms = statistics.median(every), statistics.median(bares)
    print(f"database: {uri.split(':', 1)[0]}, {args.count:,} registrations")
    for kind, times in checks.items():
        found = ", ".join(f"{n} {s}" for s, n in sorted(states[kind].items()))
        print(
            f"  {kind:8} check median {statistics.median(times):6.2f} ms, "
            f"p95 {statistics.quantiles(times, n=20)[-1]:6.2f} ms ({found})"
        )
    print(
        f"  bare lookup median {bare_ms:.3f} ms, p95 {statistics.quantiles(bares, n=20)[-1]:.3f} ms"
    )
    ratio = check_ms / bare_ms
    print(f"names: check {check_ms:.2f} ms, bare lookup {bare_ms:.3f} ms, ratio {ratio:.1f}")
    if uri.startswith("sqlite") and not args.keep:
        shutil.rmtree(Path(uri.removeprefix("sqlite:///")).parent)


if __name__ == "__main__":
    main()
