"""Open data: the daily bulk files of the public register, their manifest, pages and downloads."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from portal.services import open_data
from tests import factories

DAY = date(2026, 11, 28)
CSV_NAME = "khorgos-register-2026-11-28.csv.gz"
JSONL_NAME = "khorgos-register-2026-11-28.jsonl.gz"


@pytest.fixture
def folder(app, tmp_path) -> Path:
    path = tmp_path / "open-data-here"
    app.config["OPEN_DATA_DIR"] = str(path)
    return path


@pytest.fixture
def companies(app):
    """Two registered companies (one with a name in three scripts) and one still a draft."""
    first = factories.registered_application(
        company_name="Silk Way Textiles LLP",
        number="KEG-IND-2026-000001",
        registered_on=date(2026, 1, 10),
        investment_amount=Decimal("987654321.00"),
        contact_phone="+7 701 555 12 34",
        founders=[("natural", "Zhanna Hiddenfounder", "KZ", "100")],
    )
    second = factories.registered_application(
        company_name="Қорғас Электроника 电子 LLP",
        zone_code="KEG-LOG",
        sector_code="logistics",
        number="KEG-LOG-2026-000001",
        registered_on=date(2026, 2, 3),
    )
    factories.complete_application(company_name="Not Yet Registered LLP")
    return first, second


def csv_rows(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def csv_header(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def jsonl_records(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publish_writes_a_csv_and_a_jsonl_file_with_a_row_per_registered_company(folder, companies):
    release = open_data.publish(today=DAY)

    assert release.rows == 2
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        [CSV_NAME, JSONL_NAME, open_data.MANIFEST, open_data.DICTIONARY]
    )
    rows = csv_rows(folder / CSV_NAME)
    assert [r["registration_number"] for r in rows] == [
        "KEG-IND-2026-000001",
        "KEG-LOG-2026-000001",
    ]
    assert rows[1]["name"] == "Қорғас Электроника 电子 LLP"
    assert rows[1]["zone_code"] == "KEG-LOG" and rows[1]["sector_code"] == "logistics"
    assert rows[0]["registered_on"] == "2026-01-10"
    assert rows[0]["legal_form"] == "llp" and rows[0]["director"] == "Aruzhan Bekova"


def test_the_files_hold_the_public_fields_only(folder, companies):
    first, _ = companies
    open_data.publish(today=DAY)

    for name in (CSV_NAME, JSONL_NAME):
        with gzip.open(folder / name, "rt", encoding="utf-8") as fh:
            text = fh.read()
        assert "Silk Way Textiles LLP" in text
        for private in (
            first.owner.email,
            first.contact_email,
            "+7 701 555 12 34",
            "987654321",
            "Zhanna Hiddenfounder",
            "13.92.0",  # the activity code is not in the public record either
            "Not Yet Registered LLP",
        ):
            assert private not in text, (name, private)
    assert set(csv_header(folder / CSV_NAME)) >= {
        "registration_number",
        "name",
        "legal_form",
        "zone_code",
        "zone_name",
        "sector_code",
        "sector_name",
        "registered_on",
        "address",
        "director",
    }
    assert not any("email" in c or "invest" in c for c in csv_header(folder / CSV_NAME))


def test_the_columns_are_the_api_records_fields_flattened(folder, companies):
    """The CSV follows `public_registry.record()`: a field added there is a column here."""
    from portal.services import public_registry

    open_data.publish(today=DAY)

    record = public_registry.record(public_registry.company("KEG-IND-2026-000001"))
    assert csv_header(folder / CSV_NAME) == list(open_data.flatten(record))
    assert [f.name for f in open_data.fields()] == list(open_data.flatten(record))


def test_each_jsonl_line_is_the_api_record_and_matches_its_csv_row(folder, companies):
    from portal.services import public_registry

    open_data.publish(today=DAY)

    records = jsonl_records(folder / JSONL_NAME)
    rows = csv_rows(folder / CSV_NAME)
    assert len(records) == len(rows) == 2
    for record, row in zip(records, rows, strict=True):
        assert record == public_registry.record(
            public_registry.company(record["registration_number"])
        )
        assert {k: open_data.csv_value(v) for k, v in open_data.flatten(record).items()} == row
    assert records[0]["zone"] == {"code": "KEG-IND", "name": records[0]["zone"]["name"]}


def test_the_manifest_gives_each_files_checksum_size_and_rows(folder, companies):
    release = open_data.publish(today=DAY)

    manifest = json.loads((folder / open_data.MANIFEST).read_text())
    (entry,) = manifest["releases"]
    assert entry["date"] == "2026-11-28" and entry["rows"] == 2
    assert entry["generated_at"].endswith("Z")
    by_name = {f["name"]: f for f in entry["files"]}
    assert set(by_name) == {CSV_NAME, JSONL_NAME}
    for name, described in by_name.items():
        assert described["sha256"] == sha256(folder / name)
        assert described["size"] == (folder / name).stat().st_size
        assert described["media_type"] == "application/gzip"
    assert release.file("csv").sha256 == by_name[CSV_NAME]["sha256"]
    assert manifest["dictionary"] == open_data.DICTIONARY


def test_the_data_dictionary_describes_every_column(folder, companies):
    open_data.publish(today=DAY)

    dictionary = json.loads((folder / open_data.DICTIONARY).read_text())
    described = {f["name"]: f for f in dictionary["fields"]}
    assert list(described) == csv_header(folder / CSV_NAME)
    assert described["zone_code"]["json_path"] == "zone.code"
    assert described["registered_on"]["type"] == "date"
    assert described["registration_number"]["example"] == "KEG-IND-2026-000123"
    assert all(f["description"] for f in dictionary["fields"])


def test_publishing_again_the_same_day_replaces_that_days_files(folder, companies):
    open_data.publish(today=DAY)
    factories.registered_application(number="KEG-IND-2026-000002")

    release = open_data.publish(today=DAY)

    assert release.rows == 3
    assert len(csv_rows(folder / CSV_NAME)) == 3
    manifest = json.loads((folder / open_data.MANIFEST).read_text())
    assert [r["date"] for r in manifest["releases"]] == ["2026-11-28"]
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_the_same_register_gives_the_same_bytes(folder, companies):
    first = open_data.publish(today=DAY)
    second = open_data.publish(today=DAY)

    assert [f.sha256 for f in first.files] == [f.sha256 for f in second.files]


def test_releases_beyond_the_kept_days_are_deleted(app, folder, companies):
    app.config["OPEN_DATA_KEEP_DAYS"] = 3
    days = [DAY - timedelta(days=n) for n in range(5, -1, -1)]  # oldest first
    for day in days:
        open_data.publish(today=day)

    kept = days[-3:]
    manifest = json.loads((folder / open_data.MANIFEST).read_text())
    assert [r["date"] for r in manifest["releases"]] == [d.isoformat() for d in reversed(kept)]
    on_disk = sorted(p.name for p in folder.glob("khorgos-register-20*"))
    assert on_disk == sorted(open_data.file_name(d, f) for d in kept for f in open_data.FORMATS)


def test_an_empty_register_still_gives_files_with_their_header(folder):
    release = open_data.publish(today=DAY)

    assert release.rows == 0
    assert csv_header(folder / CSV_NAME) == [f.name for f in open_data.fields()]
    assert csv_rows(folder / CSV_NAME) == []
    assert jsonl_records(folder / JSONL_NAME) == []


def test_a_failed_write_leaves_the_published_files_as_they_were(folder, companies, monkeypatch):
    open_data.publish(today=DAY)
    before = sha256(folder / CSV_NAME)
    factories.registered_application(number="KEG-IND-2026-000002")

    def broken(company):
        raise OSError("No space left on device")

    monkeypatch.setattr(open_data.public_registry, "record", broken)
    monkeypatch.setattr(open_data, "fields", lambda: ())
    with pytest.raises(open_data.OpenDataError):
        open_data.publish(today=DAY)

    assert sha256(folder / CSV_NAME) == before
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


# --- the pages --------------------------------------------------------------------------------


def test_the_page_says_plainly_when_nothing_is_published_yet(client, folder):
    response = client.get("/open-data/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No file has been published yet" in html
    assert "registration_number" in html  # the data dictionary is there all the same
    assert client.get("/open-data/latest.csv.gz").status_code == 404
    assert client.get("/open-data/manifest.json").status_code == 404


def test_the_page_lists_each_file_with_its_size_rows_and_checksum(client, folder, companies):
    release = open_data.publish(today=DAY)

    html = client.get("/open-data/").get_data(as_text=True)

    for data_file in release.files:
        assert f'href="/open-data/{data_file.name}"' in html
        assert data_file.sha256 in html
    assert 'datetime="2026-11-28"' in html
    assert "CC BY 4.0" in html
    assert "zone_code" in html and "zone.code" in html
    assert "No file has been published yet" not in html


def test_a_file_downloads_as_gzip_with_its_name(client, folder, companies):
    open_data.publish(today=DAY)

    response = client.get(f"/open-data/{CSV_NAME}")

    assert response.status_code == 200
    assert response.mimetype == "application/gzip"
    assert response.headers["Content-Disposition"] == f"attachment; filename={CSV_NAME}"
    assert "Content-Encoding" not in response.headers  # the browser keeps it compressed
    assert hashlib.sha256(response.data).hexdigest() == sha256(folder / CSV_NAME)
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(response.data).decode("utf-8"))))
    assert len(rows) == 2
    jsonl = client.get(f"/open-data/{JSONL_NAME}")
    assert jsonl.status_code == 200 and jsonl.mimetype == "application/gzip"
    dictionary = client.get(f"/open-data/{open_data.DICTIONARY}")
    assert dictionary.mimetype == "application/json" and dictionary.json["fields"]
    assert client.get("/open-data/manifest.json").json["releases"][0]["rows"] == 2


def test_latest_redirects_to_the_newest_file(client, folder, companies):
    open_data.publish(today=DAY - timedelta(days=1))
    open_data.publish(today=DAY)

    for format_, name in (("csv", CSV_NAME), ("jsonl", JSONL_NAME)):
        response = client.get(f"/open-data/latest.{format_}.gz")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/open-data/{name}")


@pytest.mark.parametrize(
    "name",
    [
        "khorgos-register-2026-11-27.csv.gz",  # never published
        "unknown.csv.gz",
        ".publish.lock",
        "..%2Fportal.sqlite3",
        "..%2F..%2Fsecret_key",
        "%2Fetc%2Fpasswd",
        "..",
        "latest.xml.gz",
    ],
)
def test_only_files_the_manifest_names_are_served(client, folder, companies, name):
    open_data.publish(today=DAY)
    (folder / "unknown.csv.gz").write_bytes(b"not published")

    assert client.get(f"/open-data/{name}").status_code == 404


def test_the_registry_page_links_to_the_open_data(client, folder):
    html = client.get("/registry").get_data(as_text=True)

    assert 'href="/open-data/"' in html


def test_the_cli_publishes(app, folder, companies):
    result = app.test_cli_runner().invoke(args=["open-data", "publish"])

    assert result.exit_code == 0, result.output
    assert "2 companies" in result.output
    assert len(list(folder.glob("khorgos-register-*.csv.gz"))) == 1


def test_the_cli_says_why_it_cannot_write(app, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    app.config["OPEN_DATA_DIR"] = str(blocker / "open-data")

    result = app.test_cli_runner().invoke(args=["open-data", "publish"])

    assert result.exit_code == 1
    assert "Cannot create" in result.output


def test_the_rq_job_publishes_in_an_app_of_its_own(
    database_uri, folder, companies, tmp_path, monkeypatch
):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "worker-instance"))
    monkeypatch.setenv("DATABASE_URL", database_uri)
    monkeypatch.setenv("OPEN_DATA_DIR", str(tmp_path / "worker-open-data"))

    open_data.publish_job()

    (published,) = (tmp_path / "worker-open-data").glob("khorgos-register-*.csv.gz")
    assert len(csv_rows(published)) == 2
