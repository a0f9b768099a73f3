"""Busy calendars expand within bounds: rules every second or minute are refused, every
occurrence walked counts (free time too), expansion starts at the window, a time budget, and
no write lock is held while a calendar is fetched or expanded."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from duidingspool.casetables import ics
from duidingspool.casetables.ics import ExpansionBudget
from duidingspool.errors import ValidationFailed
from duidingspool.experts import services
from duidingspool.extensions import db
from tests import factories as f
from tests.casetables.helpers import calendar

UTC = timezone.utc
NOW = datetime(2027, 3, 20, 12, tzinfo=UTC)


def _busy(feed: bytes, budget: ExpansionBudget, days: int = 30):
    return services.busy_intervals_from_ics(feed, start=NOW, end=NOW + timedelta(days=days),
                                            budget=budget)


def _event(rule: str, *, start: str = "20200101T090000Z", transparent: bool = False) -> bytes:
    return calendar(f"""UID:r@example.org
DTSTAMP:20200101T000000Z
DTSTART:{start}
DTEND:{start[:9]}100000Z
RRULE:{rule}""" + ("\nTRANSP:TRANSPARENT" if transparent else ""))


@pytest.mark.parametrize("freq", ["SECONDLY", "MINUTELY"])
def test_rules_every_second_or_minute_are_refused(app, freq):
    with pytest.raises(ValidationFailed) as caught:
        _busy(_event(f"FREQ={freq}", transparent=True), ExpansionBudget(occurrences=10**9,
                                                                        seconds=60))

    assert caught.value.fields == {"busy_ics_url": ["event r@example.org repeats more often "
                                                    "than hourly"]}


def test_free_time_occurrences_count_towards_the_budget(app):
    feed = _event("FREQ=HOURLY;COUNT=100000", transparent=True)  # COUNT: walked from 2020

    with pytest.raises(ValidationFailed) as caught:
        _busy(feed, ExpansionBudget(occurrences=1000, seconds=60))

    assert caught.value.fields == {"busy_ics_url": [
        "its recurrences give more than 1000 occurrences to expand"]}


def test_expansion_starts_at_the_window_not_at_the_first_occurrence(app):
    budget = ExpansionBudget(occurrences=500, seconds=60)  # 2020 to now daily: > 2600

    intervals = _busy(_event("FREQ=DAILY"), budget, days=3)

    assert intervals == [(datetime(2027, 3, d, 9, tzinfo=UTC), datetime(2027, 3, d, 10, tzinfo=UTC))
                         for d in (21, 22, 23)]
    assert budget.walked < 20


def test_expansion_gives_up_after_its_time(app):
    with pytest.raises(ValidationFailed) as caught:
        _busy(_event("FREQ=HOURLY;COUNT=100000"), ExpansionBudget(occurrences=10**9, seconds=0))

    assert caught.value.fields == {"busy_ics_url": [
        "its recurrences take longer than 1 seconds to expand"]}


def test_hourly_case_table_calendar_from_2020_is_refused_quickly(app):
    feed = _event("FREQ=HOURLY")

    with pytest.raises(ValidationFailed) as caught:
        ics.parse_ics(feed, start=NOW, end=NOW + timedelta(days=365),
                      default_duration=timedelta(hours=2),
                      budget=ExpansionBudget(occurrences=50000, seconds=60))

    assert caught.value.fields == {"file": ["more than 2000 sessions within the horizon"]}


def _another_connection_can_write(expert_id: int) -> bool:
    """Whether a second database connection can write while the caller's transaction runs
    (it cannot while the caller holds SQLite's write lock or a lock on the same row)."""
    with db.engine.connect() as other:
        if other.dialect.name == "sqlite":
            other.exec_driver_sql("PRAGMA busy_timeout = 300")
        else:
            other.exec_driver_sql("SET lock_timeout = '300ms'")
        try:
            other.execute(text("UPDATE expert SET busy_refreshed_at = NULL WHERE id = :id"),
                          {"id": expert_id})
        except Exception:  # noqa: BLE001 - "database is locked" / lock timeout
            other.rollback()
            return False
        other.rollback()
        return True


def test_saving_a_busy_calendar_holds_no_write_lock_while_fetching(app, as_user, monkeypatch):
    from duidingspool.casetables import services as casetables

    expert = f.expert()
    client = as_user(expert.user)
    expert_id = expert.id
    seen = []

    def fetch(url, **kwargs):
        seen.append(_another_connection_can_write(expert_id))
        return _event("FREQ=WEEKLY", start="20270322T090000Z")

    monkeypatch.setattr(casetables, "fetch", fetch)

    response = client.post("/beschikbaarheid/agenda",
                           data={"busy_ics_url": "https://calendar.example/busy.ics"})

    assert response.status_code == 302
    assert seen == [True]
