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

@pytest.mark.parametrize(("role", "path", "viewport"), [
    pytest.param(role, path, viewport, id=f"{role}-{path}-{viewport}")
    for role, paths in PAGES.items() for path in paths for viewport in VIEWPORTS])
def test_page(open_as, role, path, viewport):
    open_as(role).goto(path)


# At 1280x800 no table is cut off (issue 13, item 3): the coordinator's tables, where money
# is approved and candidates are compared.
@pytest.mark.parametrize("path", ["/uren/goedkeuren", "request", "/deskundigen", "/budget",
                                  "/rapportage/"])
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
