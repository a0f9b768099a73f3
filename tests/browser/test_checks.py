"""The page checks themselves fail when they must: a browser test is only as good as them."""

from __future__ import annotations

import pytest

# 600 px wide, and an image without a text alternative (no inline style: the CSP forbids it).
WIDE_PAGE = ('<!doctype html><html lang="nl"><head><title>Breed</title></head><body><main>'
             '<h1>Breed</h1><img src="/static/x.png" width="600" height="10"></main></body></html>')


@pytest.mark.parametrize("viewport", ["phone"])
def test_a_server_error_fails_the_page(open_as, viewport):
    visitor = open_as(None)
    visitor.page.route("**/static/**", lambda route: route.fulfill(status=500, body="kapot"))
    with pytest.raises(AssertionError, match=r"server error: 500 GET .*/static/"):
        visitor.goto("/login")


@pytest.mark.parametrize("viewport", ["phone"])
def test_a_console_error_fails_the_page(open_as, viewport):
    visitor = open_as(None)
    visitor.goto("/login")
    visitor.page.evaluate("console.error('kapot')")
    with pytest.raises(AssertionError, match="console error: kapot"):
        visitor.check()


@pytest.mark.parametrize("viewport", ["phone"])
def test_sideways_scroll_and_axe_violations_fail_the_page(open_as, viewport):
    visitor = open_as(None)
    visitor.goto("/login")
    visitor.page.set_content(WIDE_PAGE)
    with pytest.raises(AssertionError) as failed:
        visitor.check()
    assert "sideways scroll: scrollWidth 6" in str(failed.value)
    assert "axe image-alt (critical): img" in str(failed.value)


@pytest.mark.parametrize("viewport", ["laptop"])
def test_a_page_reached_without_the_checks_fails_the_test(open_as, viewport):
    visitor = open_as(None)
    visitor.page.goto(visitor.url("/login"))
    with pytest.raises(AssertionError, match="pages visited without the checks"):
        visitor.assert_all_checked()
    visitor.check()
