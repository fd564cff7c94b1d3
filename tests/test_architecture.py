"""States and roles are named once: templates and models ask the lifecycle and the user, they do
not compare status or role strings of their own (STYLE.md, "What our own code taught us")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal import lifecycle
from portal.models import ROLES

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
PORTAL = ROOT / "portal"

_STATES = "|".join(lifecycle.STATES)
_ROLES = "|".join(ROLES)
# What Jinja evaluates: {{ … }} and {% … %}, not {# comments #} or the HTML around them.
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
# A status or a role as a string of its own: "draft", 'approved', ("draft", "info_requested") …
STATE_LITERAL = re.compile(rf"""(["'])(?:{_STATES})\1""")
ROLE_LITERAL = re.compile(rf"""(["'])(?:{_ROLES})\1""")
# In Python: `status == "submitted"`, `User.role != "admin"`, `role in ("reviewer", …)`,
# `roles_required("admin")`.
PYTHON_COMPARISON = re.compile(
    rf"""\b(?:status|role)\s*(?:==|!=|\bnot\s+in\b|\bin\b)\s*[(\[{{]?\s*(["'])(?:{_STATES}|{_ROLES})\1"""
    rf"""|\broles_required\(\s*(["'])"""
)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def template_literals(text: str) -> list[tuple[int, str]]:
    """(line, literal) of each status or role string inside a Jinja expression or statement."""
    found = []
    for block in JINJA.finditer(text):
        for pattern in (STATE_LITERAL, ROLE_LITERAL):
            for hit in pattern.finditer(block.group()):
                found.append((_line(text, block.start() + hit.start()), hit.group()))
    return sorted(found)


def model_literals(text: str) -> list[tuple[int, str]]:
    """(line, literal) of each status string in a model module."""
    return [(_line(text, m.start()), m.group()) for m in STATE_LITERAL.finditer(text)]


def python_comparisons(text: str) -> list[tuple[int, str]]:
    """(line, code) of each comparison of a status or role with a string of its own."""
    return [(_line(text, m.start()), m.group()) for m in PYTHON_COMPARISON.finditer(text)]


def _scan(paths, finder) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in sorted(paths)
        for line, what in finder(path.read_text(encoding="utf-8"))
    ]


def test_no_template_compares_a_status_or_role_string():
    found = _scan(TEMPLATES.rglob("*.html"), template_literals)
    assert not found, (
        "Templates ask the lifecycle (application.is_editable, actions) and the user "
        "(current_user.is_admin), never a status or role string:\n" + "\n".join(found)
    )


def test_no_model_names_a_status_string():
    found = _scan((PORTAL / "models").rglob("*.py"), model_literals)
    assert not found, "Models use portal.lifecycle's states:\n" + "\n".join(found)


def test_no_code_compares_a_status_or_role_with_a_string():
    found = _scan(PORTAL.rglob("*.py"), python_comparisons)
    assert not found, (
        "Compare with portal.lifecycle's states and portal.models' roles:\n" + "\n".join(found)
    )


# The scans above pass because nothing is found; these show that they would find it.


@pytest.mark.parametrize(
    ("source", "literal"),
    [
        ('{% if a.status in ("draft", "info_requested") %}', '"draft"'),
        ("{% elif application.status == 'approved' %}", "'approved'"),
        ('{{ "Go" if a.status != "withdrawn" }}', '"withdrawn"'),
        ('{% set asks = events|selectattr("to_status", "equalto", "in_review") %}', '"in_review"'),
        ('{% if current_user.role == "admin" %}', '"admin"'),
        ("{% if\n  current_user.role in ('reviewer', 'admin') %}", "'reviewer'"),
    ],
)
def test_the_template_scan_finds_a_status_or_role_string(source, literal):
    text = "<p>\n" + source + "\n</p>"
    line = 2 + source[: source.index(literal)].count("\n")
    assert (line, literal) in template_literals(text)


def test_the_template_scan_leaves_text_and_comments_alone():
    text = (
        '{# status == "draft" is what we avoid #}\n'
        '<p class="approved">{{ _("submitted %(date)s", date=when) }}</p>\n'
        "{{ url_for('admin.index') }}{% if application.is_editable %}{% endif %}"
    )
    assert template_literals(text) == []


@pytest.mark.parametrize(
    "source",
    [
        'return self.status == "submitted" and self.assignee_id is not None',
        'db.select(User.id).where(User.role == "admin", User.active)',
        'if user.id == actor.id and role != "admin":',
        'if application.status in ("draft", "info_requested"):',
        'staff_required = roles_required("reviewer", "admin")',
    ],
)
def test_the_python_scan_finds_a_comparison_with_a_string(source):
    assert python_comparisons(source)
    if "role" not in source:
        assert model_literals(source)


def test_the_python_scan_leaves_other_comparisons_alone():
    assert python_comparisons('if filters.status == "open":\n    x = ROLE_LABELS[user.role]') == []


# --- the layers of docs/ARCHITECTURE.md ------------------------------------------------------

BLUEPRINTS = sorted(p.parent.name for p in PORTAL.glob("*/views.py"))
IMPORT = re.compile(r"^\s*(?:from|import)\s+portal\.(\w+)", re.MULTILINE)
# A query run by a view itself: those belong to a service.
VIEW_QUERY = re.compile(r"\bdb\.(?:select|paginate|session\.(?:scalars?|execute|query))\b")


def blueprint_imports(blueprint: str) -> list[str]:
    """`file:line: portal.other` for each import of another blueprint from `blueprint`."""
    found = []
    for path in sorted((PORTAL / blueprint).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for m in IMPORT.finditer(text):
            if m.group(1) in BLUEPRINTS and m.group(1) != blueprint:
                found.append(f"{path.relative_to(ROOT)}:{_line(text, m.start())}: {m.group(1)}")
    return found


def test_no_blueprint_imports_another():
    assert len(BLUEPRINTS) >= 7, BLUEPRINTS
    found = [hit for blueprint in BLUEPRINTS for hit in blueprint_imports(blueprint)]
    assert not found, (
        "What two blueprints share lives in portal/forms.py, portal/urls.py or a service:\n"
        + "\n".join(found)
    )


def test_no_view_runs_a_query_itself():
    found = _scan(
        PORTAL.glob("*/views.py"),
        lambda text: [(_line(text, m.start()), m.group()) for m in VIEW_QUERY.finditer(text)],
    )
    assert not found, "Views call a service; the service queries:\n" + "\n".join(found)


def test_the_import_scans_would_find_a_blueprint_import_and_a_query():
    assert [m.group(1) for m in IMPORT.finditer("from portal.auth.views import safe_next")] == [
        "auth"
    ]
    assert VIEW_QUERY.search("users = db.session.scalars(db.select(User))")
    assert VIEW_QUERY.search("db.paginate(stmt, page=1)")


def documented_moves() -> set[tuple[str, str, str, str]]:
    """The rows of the moves table in docs/ARCHITECTURE.md."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text.split("<!-- moves -->", 1)[1].split("<!-- /moves -->", 1)[0]
    rows = set()
    for line in table.strip().splitlines()[2:]:  # past the header and its rule
        cells = tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
        assert len(cells) == 4, line
        rows.add(cells)
    return rows


def test_the_architecture_page_shows_exactly_the_lifecycles_moves():
    actual = {(m.action, m.source, m.target, m.by) for m in lifecycle.MOVES}
    assert documented_moves() == actual


def test_the_architecture_page_names_files_that_exist():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(
        re.findall(r"`?((?:portal|templates|tests|static)/[\w/.]+\.(?:py|html|md))`?", text)
    )
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, missing


TEMPLATE_USE = re.compile(r"""\{%-?\s*(?:from|import|include|extends)\s+["'](\w+)/""")


def test_no_blueprints_templates_use_another_blueprints_templates():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        own = path.relative_to(TEMPLATES).parts[0]
        if own not in BLUEPRINTS:
            continue
        text = path.read_text(encoding="utf-8")
        for m in TEMPLATE_USE.finditer(text):
            if m.group(1) in BLUEPRINTS and m.group(1) != own:
                found.append(f"{path.relative_to(ROOT)}:{_line(text, m.start())}: {m.group(1)}/")
    assert TEMPLATE_USE.search('{% from "apply/_summary.html" import summary %}')
    assert not found, "Shared template pieces live in templates/_macros/:\n" + "\n".join(found)
