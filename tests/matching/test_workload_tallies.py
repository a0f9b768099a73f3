"""The workload tallies the database keeps (migration 0013) equal the sums recomputed from the
bookings after every kind of change: bookings made, cancelled, completed, moved across a
month and a year boundary, given to another expert or case table, re-estimated, deleted."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import delete, select, update

from duidingspool.bookings.models import Booking, CaseTableTally, WorkloadTally
from duidingspool.extensions import db
from duidingspool.timeutil import to_local
from tests import factories as f

COUNTED = ("confirmed", "completed")


def _recomputed():
    months, tables = defaultdict(lambda: [0, 0]), defaultdict(int)
    for expert_id, starts_at, minutes, table_id, status in db.session.execute(
            select(Booking.expert_id, Booking.starts_at, Booking.estimated_minutes,
                   Booking.case_table_id, Booking.status)):
        if status not in COUNTED:
            continue
        local = to_local(starts_at)
        months[(expert_id, local.year, local.month)][0] += minutes
        months[(expert_id, local.year, local.month)][1] += 1
        tables[(expert_id, local.year, table_id)] += 1
    return {k: tuple(v) for k, v in months.items()}, dict(tables)


def _tallies():
    db.session.flush()
    months = {(t.expert_id, t.year, t.month): (t.minutes, t.bookings)
              for t in db.session.scalars(
                  select(WorkloadTally).execution_options(populate_existing=True))}
    tables = {(t.expert_id, t.year, t.case_table_id): t.bookings
              for t in db.session.scalars(
                  select(CaseTableTally).execution_options(populate_existing=True))}
    return ({k: v for k, v in months.items() if any(v)},
            {k: v for k, v in tables.items() if v})


def _assert_tallies_match():
    tallies = _tallies()
    assert tallies[0] and tallies[1]  # something is being compared
    assert tallies == _recomputed()


def _set(booking, **values):
    db.session.execute(update(Booking).where(Booking.id == booking.id).values(**values))


def test_workload_tallies_follow_every_booking_change(world):
    march = world.booking("2026-03-10T10:00", minutes=180)
    world.booking("2026-03-24T10:00", minutes=60)
    world.booking("2026-03-25T10:00", minutes=90, status="cancelled")
    other = world.new_expert()
    world.booking("2026-03-11T10:00", expert=other, minutes=120)
    assert _tallies()[0][(world.expert.id, 2026, 3)] == (240, 2)
    _assert_tallies_match()

    _set(march, status="completed")
    _assert_tallies_match()
    _set(march, status="cancelled", cancelled_at=datetime(2026, 3, 9, tzinfo=timezone.utc))
    assert _tallies()[0][(world.expert.id, 2026, 3)] == (60, 1)
    _assert_tallies_match()
    _set(march, status="confirmed", cancelled_at=None, estimated_minutes=150)
    _assert_tallies_match()

    # 23:30 UTC on 31 March is 01:30 on 1 April in Amsterdam (summer time): another month.
    _set(march, starts_at=datetime(2026, 3, 31, 23, 30, tzinfo=timezone.utc),
         ends_at=datetime(2026, 4, 1, 1, 30, tzinfo=timezone.utc))
    assert _tallies()[0][(world.expert.id, 2026, 4)] == (150, 1)
    _assert_tallies_match()
    # 23:30 UTC on 31 December is 00:30 on 1 January: another year.
    _set(march, starts_at=datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc),
         ends_at=datetime(2027, 1, 1, 1, 30, tzinfo=timezone.utc))
    assert (world.expert.id, 2027, 1) in _tallies()[0]
    _assert_tallies_match()

    _set(march, expert_id=other.id, case_table_id=f.case_table(municipalities=[world.town]).id)
    _assert_tallies_match()

    db.session.execute(delete(Booking).where(Booking.id == march.id))
    assert (other.id, 2027, 1) not in _tallies()[0]
    _assert_tallies_match()
