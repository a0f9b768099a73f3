"""Every role's main pages (its home page and the pages of its menu that the flows in
test_flows.py do not already walk), each checked at 1280x800 and at 390x844."""

from __future__ import annotations

import pytest

from .live import VIEWPORTS

PAGES = {
    "requester": ["/", "/verzoeken/", "/account/security"],
    "coordinator": ["/", "/boekingen", "/deskundigen", "/budget", "/rapportage/",
                    "/postvak-uit/", "/logboek/"],
    "expert": ["/", "/beschikbaarheid"],
    "admin": ["/", "/beheer/", "/beheer/expertisegebieden", "/beheer/gemeenten"],
}

# Pages that fail today because of a defect listed in issue 13, by (role, path, viewport).
# Each is a strict xfail: when the fix lands the test passes, fails as XPASS, and the entry
# here must go.
KNOWN_DEFECTS: dict[tuple[str, str, str], str] = {}


def _cases():
    for role, paths in PAGES.items():
        for path in paths:
            for viewport in VIEWPORTS:
                reason = KNOWN_DEFECTS.get((role, path, viewport))
                marks = [pytest.mark.xfail(strict=True, reason=f"issue 13: {reason}")] if reason else []
                yield pytest.param(role, path, viewport, marks=marks, id=f"{role}-{path}-{viewport}")


@pytest.mark.parametrize(("role", "path", "viewport"), list(_cases()))
def test_page(open_as, role, path, viewport):
    open_as(role).goto(path)


# At 1280x800 no table is cut off (issue 13, item 3): the coordinator's tables, where money
# is approved and candidates are compared.
WIDE_TABLE_PAGES = {
    "/uren/goedkeuren": None,
    "request": None,
    "/deskundigen": None,
    "/budget": None,
    "/rapportage/": None,
}


@pytest.mark.parametrize("path", [
    pytest.param(path, marks=[pytest.mark.xfail(strict=True, reason=f"issue 13: {reason}")]
                 if reason else [], id=path)
    for path, reason in WIDE_TABLE_PAGES.items()
])
@pytest.mark.parametrize("viewport", ["laptop"])
def test_no_table_cut_off_on_a_laptop(open_as, path, viewport):
    visitor = open_as("coordinator")
    if path == "request":
        visitor.goto("/verzoeken/inbox")
        visitor.click(visitor.page.get_by_role("link", name="DV-KANDIDATEN-L"))
    else:
        visitor.goto(path)
    assert visitor.page.locator("table").count(), "no table on the page"
    cut_off = visitor.tables_cut_off()
    assert not cut_off, f"tables cut off at 1280 px: {cut_off}"
