"""What every page a browser test visits must pass, checked after every navigation.

A `Visitor` drives one page (tab). Tests move only through `goto` and `click`, which wait
for the navigation and then check the page that loaded:

- no serious or critical axe-core violation of WCAG 2.1 A/AA (tags wcag2a, wcag2aa,
  wcag21a, wcag21aa);
- on a phone (390 px), no sideways scroll: document.documentElement.scrollWidth is at most
  window.innerWidth;
- no console error and no uncaught script error;
- no response of 500 or more (the page, its styles, scripts, images).

A failure lists everything found on the page (axe: rule id, impact and the targets). A
navigation the test made some other way is caught at the end (`assert_all_checked`): no
page goes unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe

from .live import VIEWPORTS

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SEVERE = ("serious", "critical")

_axe = Axe()


@dataclass
class Visitor:
    page: object
    base_url: str
    viewport: str  # "laptop" or "phone" (tests/browser/live.py VIEWPORTS)
    console_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        self.page.on("response", self._on_response)
        self.page.on("framenavigated", self._on_navigated)

    def _on_console(self, message):
        # A missing /favicon.ico is the browser's own guess, not something the page asked for.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def _on_response(self, response):
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def _on_navigated(self, frame):
        if frame == self.page.main_frame:
            self.unchecked.append(frame.url)

    # --- moving ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def goto(self, path: str):
        """Open `path` (relative to the server) and check the page."""
        response = self.page.goto(self.url(path))
        self.check()
        return response

    def click(self, locator, *, check: bool = True):
        """Click a link or submit button that loads a new page, and check that page
        (check=False: a page that another test visits and checks, such as a home page)."""
        with self.page.expect_navigation():
            locator.click()
        if check:
            self.check()
        else:
            self.page.wait_for_load_state("load")
            self.console_errors.clear()
            self.server_errors.clear()
            self.unchecked.clear()

    # --- checking -------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """What is wrong with the page now (and since the last check: console, 5xx)."""
        page = self.page
        page.wait_for_load_state("load")
        found = []
        results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                          "resultTypes": ["violations"]})
        for violation in results.response["violations"]:
            if violation["impact"] in SEVERE:
                targets = ", ".join(" ".join(map(str, node["target"]))
                                    for node in violation["nodes"][:8])
                more = len(violation["nodes"]) - 8
                found.append(f"axe {violation['id']} ({violation['impact']}): {targets}"
                             + (f" and {more} more" if more > 0 else ""))
        if self.viewport == "phone":
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]")
            if widths[0] > widths[1]:
                found.append(f"sideways scroll: scrollWidth {widths[0]} > innerWidth {widths[1]}")
        found += [f"console error: {text}" for text in self.console_errors]
        found += [f"server error: {text}" for text in self.server_errors]
        return found

    def check(self):
        """Assert that the page passes every check; the message lists what failed."""
        url = self.page.url
        found = self.problems()
        self.console_errors.clear()
        self.server_errors.clear()
        self.unchecked.clear()
        self.checked.append(url)
        if found:
            # What the page itself says is wrong (an error summary, a flash) helps to read it.
            alerts = [text.strip() for text in self.page.get_by_role("alert").all_inner_texts()]
            found += [f"the page says: {' '.join(text.split())}" for text in alerts if text]
        assert not found, f"{url} at {self.viewport} size:\n  " + "\n  ".join(found)

    def tables_cut_off(self) -> list[str]:
        """The tables wider than the box that shows them (cut off, or behind a scroll bar):
        each by its caption, label or first header, with both widths."""
        return self.page.evaluate("""() => {
            const cut = [];
            for (const table of document.querySelectorAll('table')) {
                for (let box = table; box && box !== document.body; box = box.parentElement) {
                    const overflow = getComputedStyle(box).overflowX;
                    if (overflow !== 'visible' && box.scrollWidth > box.clientWidth + 1) {
                        const name = (table.caption && table.caption.innerText)
                            || table.getAttribute('aria-label') || table.id
                            || (table.querySelector('th') || {}).innerText || 'table';
                        cut.push(`${name.trim()}: ${box.scrollWidth} px shown in ${box.clientWidth} px`);
                        break;
                    }
                }
            }
            return cut;
        }""")

    def assert_all_checked(self):
        assert not self.unchecked, f"pages visited without the checks: {self.unchecked}"


def viewports():
    """Parametrize a test over the viewports (laptop and phone)."""
    return pytest.mark.parametrize("viewport", list(VIEWPORTS))
