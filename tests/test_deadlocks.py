"""No deadlock reaches the user (issue 16).

Approving hour lines and changing bookings update the tallies the database keeps (hour,
money and workload tallies, feed stamps) from row triggers, which lock those rows until the
commit. Two requests that touch the lines and bookings of two experts in opposite orders
therefore lock the same tally rows in opposite orders: PostgreSQL aborts one of them as the
deadlock victim. The unit of work runs that request once more (DuidingspoolApp,
DEADLOCK_RETRIES), so both answer 200 and every tally stays exact.
"""

from __future__ import annotations

import threading

import pytest
from flask import request
from sqlalchemy import select, text

from duidingspool.accounts.access import public
from duidingspool.accounts.models import User
from duidingspool.bookings.models import Booking
from duidingspool.extensions import db
from duidingspool.hours import services as hours
from duidingspool.hours.models import HourLine, HourTally, MoneyTally
from tests import factories as f
from tests.hours.helpers import Priced

pytestmark = pytest.mark.postgresql_only
ROUNDS = 20


def _install_route(app, barrier: threading.Barrier, first_attempts: set):
    """A test-only endpoint: approve one line and change the booking of each expert given,
    in the order given, with both requests meeting between the first expert and the next."""

    @public
    def both_experts():
        coordinator = db.session.get(User, int(request.args["by"]))
        # Only for this test: find deadlocks after 50 ms instead of PostgreSQL's 1 s.
        db.session.execute(text("SET LOCAL deadlock_timeout = '50ms'"))
        for step, pair in enumerate(request.args["steps"].split(",")):
            line_id, booking_id = map(int, pair.split(":"))
            hours.decide_many(actor=coordinator, line_ids=[line_id], approve_them=True)
            db.session.get(Booking, booking_id).estimated_minutes += 15
            db.session.flush()
            key = request.args["key"]
            if step == 0 and key not in first_attempts:
                first_attempts.add(key)
                barrier.wait()  # the other request holds its first expert's rows now
        return "ok"

    app.add_url_rule("/_test/both-experts", "test_both_experts", both_experts)


def test_opposite_orders_never_deadlock_for_the_user(app, caplog):
    world = Priced()
    other_town = f.municipality()
    expert_a, expert_b = world.expert, world.new_expert()
    booking_a = world.booking("2026-06-10T10:00", expert=expert_a)
    booking_b = world.booking("2026-06-11T10:00", expert=expert_b, town=other_town)
    lines = {(e, n): world.line(b, minutes=60, status="submitted", amount="80.00")
             for e, b in (("a", booking_a), ("b", booking_b)) for n in range(2 * ROUNDS)}
    db.session.commit()
    barrier, first_attempts = threading.Barrier(2, timeout=20), set()
    _install_route(app, barrier, first_attempts)

    statuses, coordinator_id = [], world.coordinator.id

    def run(key: str, steps: str):
        response = app.test_client().get("/_test/both-experts", query_string={
            "by": coordinator_id, "steps": steps, "key": key})
        statuses.append(response.status_code)

    for n in range(ROUNDS):
        a1, a2 = lines["a", 2 * n].id, lines["a", 2 * n + 1].id
        b1, b2 = lines["b", 2 * n].id, lines["b", 2 * n + 1].id
        threads = [
            threading.Thread(target=run, args=(f"{n}-ab", f"{a1}:{booking_a.id},{b1}:{booking_b.id}")),
            threading.Thread(target=run, args=(f"{n}-ba", f"{b2}:{booking_b.id},{a2}:{booking_a.id}")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    assert statuses == [200] * (2 * ROUNDS)
    # The deadlocks did happen (and were answered by running the victim again).
    retried = [r for r in caplog.records if "running the request again" in r.getMessage()]
    assert len(retried) >= ROUNDS // 2
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(HourLine)
                             .where(HourLine.status == "approved")) == 4 * ROUNDS
    assert db.session.scalar(select(db.func.sum(HourTally.approved_minutes))) == 4 * ROUNDS * 60
    assert db.session.scalar(select(db.func.sum(MoneyTally.spent))) == 4 * ROUNDS * 80
    assert {db.session.get(Booking, b.id).estimated_minutes for b in (booking_a, booking_b)} \
        == {180 + 2 * ROUNDS * 15}
