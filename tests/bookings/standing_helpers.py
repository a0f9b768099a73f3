"""A case table with sessions in a period and an expert to propose as its standing specialist."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from duidingspool.bookings import standing
from duidingspool.timeutil import to_local
from tests import factories as f
from tests.bookings.helpers import World


class StandingWorld(World):
    """World with `sessions` weekly sessions from ten days ahead, and a proposed series."""

    def __init__(self, *, sessions: int = 3):
        super().__init__()
        first = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        first = (first + timedelta(days=10)).replace(hour=12)
        self.sittings = [f.sitting(self.table, starts_at=first + timedelta(weeks=i))
                         for i in range(sessions)]
        self.specialist = self.expert()

    @property
    def period(self) -> tuple[date, date]:
        return (to_local(self.sittings[0].starts_at).date() - timedelta(days=1),
                to_local(self.sittings[-1].starts_at).date() + timedelta(days=30))

    def propose(self, **kw):
        starts_on, ends_on = self.period
        return standing.propose(actor=self.coordinator, case_table=self.table,
                                expert_id=kw.pop("expert_id", self.specialist.id),
                                starts_on=kw.pop("starts_on", starts_on),
                                ends_on=kw.pop("ends_on", ends_on),
                                estimated_minutes=kw.pop("estimated_minutes", 180), **kw)
