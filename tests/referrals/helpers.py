"""Shared set-up for the request tests: a municipality with a requester, its case table
with an upcoming session, and an expertise area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from duidingspool.accounts.models import Role, User
from duidingspool.casetables.models import CaseTable, Municipality, Sitting
from duidingspool.experts.models import ExpertiseArea
from tests import factories

# A fixed "now" for service tests: Sunday 22 November 2026, 10:00 UTC.
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 22)


@dataclass
class World:
    municipality: Municipality
    requester: User
    table: CaseTable
    session: Sitting
    area: ExpertiseArea


def world(*, session_start: datetime | None = None) -> World:
    """A requester (English UI) of a municipality whose case table has a session ahead."""
    municipality = factories.municipality()
    requester = factories.user(Role.REQUESTER, municipality_obj=municipality, locale="en")
    table = factories.case_table(municipalities=[municipality])
    # Without a start: two weeks from the real now (pages use the clock).
    session = factories.sitting(table, starts_at=session_start)
    return World(municipality, requester, table, session, factories.expertise_area())


def payload(w: World, **overrides) -> dict:
    """Valid input data for a request of `w`'s requester, as the schema loads it."""
    data = {
        "case_table_id": w.table.id,
        "session_id": w.session.id,
        "window_start": None,
        "window_end": None,
        "areas": [{"area_id": w.area.id, "min_level": 2}],
        "language": None,
        "mode": "in_person",
        "estimated_hours": 3,
        "urgency": "normal",
        "case_code": "CT-2026-014",
        "question": "Duiding gevraagd van online uitingen over de strijd in Syrië.",
        "previous_id": None,
    }
    data.update(overrides)
    return data
