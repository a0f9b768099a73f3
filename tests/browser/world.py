"""The data the browser tests walk through: built with the suite's own factories and, where
an offer, booking or hour line must be what the app itself makes, through its services.

Every flow that changes something gets its own case table per viewport ("Casustafel
Aanbod laptop", "Casustafel Aanbod phone", ...), so the flows at 1280 px and at 390 px
never take each other's request, offer or hour line, and a test finds its own row by the
case table's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from duidingspool.accounts.models import Role
from duidingspool.bookings import services as bookings
from duidingspool.budget.models import Budget
from duidingspool.extensions import db
from duidingspool.hours import services as hours
from tests import factories as f
from tests.bookings.helpers import available_expert

from .live import VIEWPORTS, enable_two_factor

PASSWORD = f.PASSWORD
EMAILS = {
    "requester": "casustafel.browser@example.org",
    "coordinator": "coordinator.browser@example.org",
    "expert": "deskundige.browser@example.org",
    "admin": "beheer.browser@example.org",
}
NAMES = {
    "requester": "Fenna Aanvraagsma",
    "coordinator": "Joost Planmeijer",
    "expert": "Ilse Duidenberg",
    "admin": "Karel Beheersma",
}
# What each flow changes, one case table each per viewport.
PURPOSES = ("Aanvraag", "Aanbod", "Aanname", "Uren", "Goedkeuring")


@dataclass
class World:
    area_name: str = "Online radicalisering"
    expert_name: str = NAMES["expert"]
    secrets: dict[str, str] = field(default_factory=dict)  # role: TOTP secret

    @staticmethod
    def login_email(role: str, viewport: str) -> str:
        return f"{role}.{viewport}@example.org"

    @staticmethod
    def table(purpose: str, viewport: str) -> str:
        return f"Casustafel {purpose} {viewport}"


def _at(days: int, hour: int = 12) -> datetime:
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return (now + timedelta(days=days)).replace(hour=hour)


def build(app) -> World:
    """Add the world to the app's (empty, migrated) database and commit it."""
    world = World()
    with app.test_request_context():
        town = f.municipality(name="Enschede-Zuid")
        users = {
            role: f.user(Role(role), email=EMAILS[role], name=NAMES[role], locale="nl",
                         **({"municipality_obj": town} if role == "requester" else {}))
            for role in ("requester", "coordinator", "admin")
        }
        area = f.expertise_area(code="online", name_nl=world.area_name,
                                name_en="Online radicalisation")
        f.expertise_area(code="ideology", name_nl="Ideologie en religie",
                         name_en="Ideology and religion")
        expert_user = f.user(Role.EXPERT, email=EMAILS["expert"], name=NAMES["expert"],
                             locale="nl")
        expert = available_expert(areas=[area], home=town, user=expert_user)
        db.session.add(Budget(year=date.today().year, amount=Decimal("100000.00"),
                              km_rate=Decimal("0.23"), thresholds=[75, 90, 100]))
        db.session.add(Budget(year=date.today().year + 1, amount=Decimal("100000.00"),
                              km_rate=Decimal("0.23"), thresholds=[75, 90, 100]))
        coordinator, requester = users["coordinator"], users["requester"]

        for n, viewport in enumerate(VIEWPORTS):
            tables = {p: f.case_table(name=world.table(p, viewport), municipalities=[town])
                      for p in PURPOSES}
            # The requester files a request on one of these sessions.
            for week in (2, 3):
                f.sitting(tables["Aanvraag"], starts_at=_at(7 * week + n))
            # The coordinator offers this request to the expert.
            f.referral(requester=requester, table=tables["Aanbod"],
                       on=f.sitting(tables["Aanbod"], starts_at=_at(10 + n)),
                       areas=[area], reference=f"DV-AANBOD-{viewport[0].upper()}")
            # A request whose candidates are only looked at (test_pages.py).
            f.referral(requester=requester, table=tables["Aanbod"],
                       on=f.sitting(tables["Aanbod"], starts_at=_at(16 + n)),
                       areas=[area], reference=f"DV-KANDIDATEN-{viewport[0].upper()}")
            # The expert accepts this offer.
            waiting = f.referral(requester=requester, table=tables["Aanname"],
                                 on=f.sitting(tables["Aanname"], starts_at=_at(12 + n)),
                                 areas=[area], reference=f"DV-AANNAME-{viewport[0].upper()}")
            bookings.make_offers(actor=coordinator, referral=waiting, expert_ids=[expert.id])
            # The expert logs hours of a session held three days ago; the coordinator
            # approves the hours of one held four days ago.
            for purpose, days_ago in (("Uren", 3 + 2 * n), ("Goedkeuring", 4 + 2 * n)):
                start = _at(-days_ago)
                held = f.referral(requester=requester, table=tables[purpose],
                                  on=f.sitting(tables[purpose], starts_at=start), areas=[area],
                                  reference=f"DV-{purpose.upper()}-{viewport[0].upper()}")
                before = start - timedelta(days=5)
                offer, *_ = bookings.make_offers(actor=coordinator, referral=held,
                                                 expert_ids=[expert.id], now=before)
                booking = bookings.accept(actor=expert_user, offer=offer,
                                          now=before + timedelta(hours=1))
                if purpose == "Goedkeuring":
                    hours.add_line(actor=expert_user, booking=booking, category="attendance",
                                   minutes=150, note=f"Zitting bijgewoond ({viewport})",
                                   submit=True)
            # Logging in through the second factor at each size, on accounts of its own
            # (a TOTP code works once: these logins cannot share the coordinator's).
            for role in ("coordinator", "admin"):
                f.user(Role(role), email=world.login_email(role, viewport),
                       name=f"{NAMES[role]} ({viewport})", locale="nl")
        db.session.commit()
    world.secrets["coordinator"] = enable_two_factor(app, EMAILS["coordinator"], PASSWORD)
    for viewport in VIEWPORTS:
        email = world.login_email("coordinator", viewport)
        world.secrets[email] = enable_two_factor(app, email, PASSWORD)
    return world
