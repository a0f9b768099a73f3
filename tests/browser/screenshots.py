"""`make screenshots`: the main pages of each role, at laptop and phone size, as PNG files.

Starts the app on a fresh SQLite file with the demo data (`duidingspool demo`, the year
lived up to today), logs in as each role of the demo (two-factor codes made with pyotp) in
Debian's Chromium, and writes docs/screenshots/<role>-<page>-<laptop|phone>.png (the
visible window: 1280x800 or 390x844). The README shows a few of them.

    .venv/bin/python -m tests.browser.screenshots [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import select

from duidingspool.bookings.models import Offer, OfferStatus
from duidingspool.demo import load_demo
from duidingspool.demo_data import DEMO_PASSWORD
from duidingspool.extensions import db, unit_of_work
from duidingspool.referrals.models import Referral, ReferralStatus

from .live import CHROMIUM, VIEWPORTS, Codes, enable_two_factor, log_in, migrate, serve

ROOT = Path(__file__).resolve().parents[2]
REQUESTER = "casustafel.twente@example.org"
COORDINATOR = "coordinator@example.org"
ADMIN = "beheer@example.org"


class Walker:
    """The Visitor's way of moving (tests/browser/checks.py), without its checks."""

    def __init__(self, page, base_url: str):
        self.page, self.base_url = page, base_url

    def goto(self, path: str):
        return self.page.goto(path if path.startswith("http") else self.base_url + path)

    def click(self, locator, *, check: bool = True):
        with self.page.expect_navigation():
            locator.click()


def _demo(app) -> dict:
    """Load the demo data; return what the pages need (an expert with an offer waiting, a
    request with candidates)."""
    with app.test_request_context():
        with unit_of_work():
            load_demo()
        offer = db.session.scalars(select(Offer).where(Offer.status == OfferStatus.PENDING)
                                   .order_by(Offer.expires_at)).first()
        waiting = db.session.scalars(select(Referral).where(
            Referral.status == ReferralStatus.SUBMITTED).order_by(Referral.id)).first()
        return {
            "expert": offer.expert.user.email if offer else "a.verhoeven@example.org",
            "request": waiting.id if waiting else None,
        }


def pages(found: dict) -> dict[str, dict[str, str]]:
    request = {"request": f"/verzoeken/{found['request']}"} if found["request"] else {}
    return {
        "requester": {"requests": "/verzoeken/", "new-request": "/verzoeken/nieuw"},
        "coordinator": {"dashboard": "/dashboard", "inbox": "/verzoeken/inbox", **request,
                        "approvals": "/uren/goedkeuren", "planning": "/boekingen"},
        "expert": {"offers": "/aanbiedingen", "hours": "/mijn-uren", "profile": "/profiel"},
        "admin": {"administration": "/beheer/", "users": "/beheer/gebruikers"},
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{folder}/screenshots.sqlite3"
        migrate(database_url)
        with serve(database_url, folder) as server:
            found = _demo(server.app)
            codes = {email: Codes(enable_two_factor(server.app, email, DEMO_PASSWORD))
                     for email in (COORDINATOR, ADMIN)}
            logins = {"requester": REQUESTER, "coordinator": COORDINATOR,
                      "expert": found["expert"], "admin": ADMIN}
            written = 0
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
                for role, role_pages in pages(found).items():
                    context = browser.new_context(viewport=VIEWPORTS["laptop"], locale="nl-NL")
                    walker = Walker(context.new_page(), server.url)
                    log_in(walker, logins[role], DEMO_PASSWORD, codes=codes.get(logins[role]))
                    for size, viewport in VIEWPORTS.items():
                        walker.page.set_viewport_size(viewport)
                        for name, path in role_pages.items():
                            walker.goto(path)
                            target = out / f"{role}-{name}-{size}.png"
                            walker.page.screenshot(path=str(target))
                            written += 1
                    context.close()
                browser.close()
    print(f"{written} screenshots in {out} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
