"""Tables show all their rows: none hides rows in a small scrolling box, and on a phone a wide
table scrolls sideways in its own box, so every column can still be reached."""

from __future__ import annotations

import pytest

from portal.demo import load_history
from portal.extensions import db
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import PASSWORD
from tests.factories import UserFactory

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}

# Every element that scrolls (a table's box, or on a phone the table itself), and for each
# column heading whether a person sees it once its box is scrolled sideways to it.
TABLE_REPORT = """() => {
    const scrolls = (el) => ["auto", "scroll", "hidden"].includes(getComputedStyle(el).overflowY);
    const boxes = [...document.querySelectorAll("main .table-scroll, main table")].filter(scrolls);
    const clipped = boxes
        .filter((el) => el.scrollHeight > el.clientHeight + 1)
        .map((el) => `${el.className || el.tagName}: ${el.clientHeight} of ${el.scrollHeight}px`);
    // A box that clips without letting a person scroll (overflow hidden or clip) hides what
    // lies beyond its edges, even though a script could scroll it.
    const clippedBy = (th) => {
        for (let box = th.parentElement; box; box = box.parentElement) {
            const style = getComputedStyle(box);
            const b = box.getBoundingClientRect();
            const r = th.getBoundingClientRect();
            const right = r.right - b.left + box.scrollLeft;
            const bottom = r.bottom - b.top + box.scrollTop;
            if (["hidden", "clip"].includes(style.overflowX) && right > box.clientWidth + 1) {
                return true;
            }
            if (["hidden", "clip"].includes(style.overflowY) && bottom > box.clientHeight + 1) {
                return true;
            }
        }
        return false;
    };
    const hidden = [];
    for (const th of document.querySelectorAll("main table thead th")) {
        th.scrollIntoView({ block: "center", inline: "center" });
        const r = th.getBoundingClientRect();
        const probe = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (r.width === 0 || r.height === 0 || !th.contains(probe) || clippedBy(th)) {
            hidden.push(th.textContent.trim() || th.outerHTML);
        }
    }
    const rows = [...document.querySelectorAll("main table tbody tr")].length;
    return { clipped, hidden, rows };
}"""


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def busy_portal(app, admin):
    """Two months of history (dozens of open applications, six reviewers) and a dozen users."""
    email = admin.email
    load_history(days=60)
    UserFactory.create_batch(6, role="investor")
    db.session.commit()
    db.session.remove()
    return email


@pytest.mark.parametrize("width", WIDTHS)
def test_tables_show_every_row_and_reach_every_column(live_server, new_context, busy_portal, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = new_context(viewport=WIDTHS[width]).new_page()
    page.set_default_timeout(10_000)
    problems = []
    sign_in(page, live_server, busy_portal)
    for name, path in {
        "review-queue": "/review/?status=all",
        "users": "/admin/users",
        "dashboard": "/dashboard/?window=90",
    }.items():
        page.goto(live_server + path)
        report = page.evaluate(TABLE_REPORT)
        page.screenshot(path=str(SCREENSHOTS / f"tables-{name}-{width}.png"), full_page=True)
        assert report["rows"] > 0, f"{path}: no table rows"
        if report["clipped"]:
            problems.append(f"{path}: rows hidden in a scrolling box {report['clipped']}")
        if report["hidden"]:
            problems.append(f"{path}: column headings out of reach {report['hidden']}")
    page.goto(live_server + "/review/?status=all")
    queue = page.get_by_role("table", name="Applications")
    assert queue.locator("tbody tr").count() == 25  # a full page of the queue
    page.goto(live_server + "/admin/users")
    users = page.get_by_role("table", name="Users").locator("tbody tr")
    assert page.get_by_text(f"{users.count()} users").is_visible()
    assert not problems, f"at {width}:\n" + "\n".join(problems)
