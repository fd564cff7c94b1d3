"""docs/SECURITY.md names the test behind each claim: every test it names must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECURITY_DOC = ROOT / "docs" / "SECURITY.md"

# `tests/test_auth.py::test_login_starts_a_new_session`, in a subfolder too (tests/browser/…);
# a parametrized test may be named with its parameters: `…::test_name[param]`.
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)(?:\[[^\]\s]*\])?")


def missing_tests(text: str, root: Path) -> list[str]:
    """The `file::test` references in `text` whose file or `def test` does not exist."""
    missing = []
    for path, name in sorted(set(REFERENCE.findall(text))):
        source = root / path
        if not source.is_file():
            missing.append(f"{path}::{name} (no such file)")
        elif not re.search(
            rf"^\s*(?:async\s+)?def\s+{name}\s*\(", source.read_text(encoding="utf-8"), re.M
        ):
            missing.append(f"{path}::{name} (no such test)")
    return missing


def test_every_test_the_security_page_names_exists():
    text = SECURITY_DOC.read_text(encoding="utf-8")
    cited = set(REFERENCE.findall(text))
    # The page backs its claims with tests: a page citing none would mean the pattern is broken.
    assert len(cited) >= 50, f"only {len(cited)} tests cited in {SECURITY_DOC}"
    assert missing_tests(text, ROOT) == []


def test_the_security_page_covers_each_chapter_and_says_how_to_report():
    text = SECURITY_DOC.read_text(encoding="utf-8")
    for chapter in ("V2", "V3", "V4", "V5", "V7", "V8", "V12", "V13", "V14"):
        assert re.search(rf"^## {chapter} ", text, re.M), chapter
    for section in ("Not applicable", "Known gaps", "Reporting a vulnerability"):
        assert re.search(rf"^## {section}$", text, re.M), section


def test_the_check_finds_a_test_that_is_gone_or_a_file_that_is_gone(tmp_path):
    (tmp_path / "tests" / "browser").mkdir(parents=True)
    (tmp_path / "tests" / "test_here.py").write_text(
        "def test_present():\n    pass\n\n\ndef helper_test_absent():\n    pass\n"
    )
    (tmp_path / "tests" / "browser" / "test_page.py").write_text(
        "async def test_in_a_browser(page):\n    pass\n"
    )
    text = (
        "| 1.1 | met | `tests/test_here.py::test_present` |\n"
        "| 1.1 | met | `tests/test_here.py::test_present[a-b]` |\n"
        "| 1.2 | met | `tests/browser/test_page.py::test_in_a_browser` |\n"
        "| 1.3 | met | `tests/test_here.py::test_absent` |\n"
        "| 1.4 | met | `tests/test_gone.py::test_anything` |\n"
    )

    assert missing_tests(text, tmp_path) == [
        "tests/test_gone.py::test_anything (no such file)",
        "tests/test_here.py::test_absent (no such test)",
    ]
