"""Concurrent decisions and evaluations: one outcome, the others refused, nothing doubled.

Each thread has its own test client, app context and database connection; a barrier
releases all requests at once (as tests/bookings/test_concurrency.py does).
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from duidingspool.accounts.models import User
from duidingspool.accounts.sessions import stamp
from duidingspool.extensions import db
from duidingspool.results import services
from duidingspool.results.models import Complaint, Evaluation
from tests.bookings.helpers import World, direct_booking, next_weekday_at

THREADS = 8


def _post_all(app, calls: list[tuple[int, str, dict]]) -> list[int]:
    barrier = threading.Barrier(len(calls))
    statuses: list = [None] * len(calls)
    users = {user_id: db.session.get(User, user_id) for user_id, _url, _data in calls}

    def worker(index: int, user_id: int, url: str, data: dict):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(user_id)
            stamp(session, users[user_id], second_factor=True)
        barrier.wait(timeout=30)
        statuses[index] = client.post(url, data=data).status_code

    threads = [threading.Thread(target=worker, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def _held():
    w = World()
    expert = w.expert()
    referral = w.request(starts_at=next_weekday_at(9, days_ahead=-3))
    booking = direct_booking(referral, expert, created_by=w.coordinator)
    return w, expert, booking


def test_concurrent_decisions_give_one_outcome(app):
    w, expert, booking = _held()
    complaint = services.file_complaint(actor=w.requester, booking=booking, kind="late",
                                        description=None)
    db.session.commit()
    url = f"/klachten/{complaint.id}/besluit"
    calls = [(w.coordinator.id, url, {"decision": "upheld" if i % 2 else "not_upheld"})
             for i in range(THREADS)]

    statuses = _post_all(app, calls)

    assert sorted(statuses) == [302] + [409] * (THREADS - 1), statuses
    db.session.expire_all()
    decided = db.session.get(Complaint, complaint.id)
    assert decided.status in ("upheld", "not_upheld") and decided.decided_at is not None


def test_concurrent_evaluations_of_one_session_save_one(app):
    w, expert, booking = _held()
    db.session.commit()
    url = f"/boekingen/{booking.id}/evaluatie"
    calls = [(w.requester.id, url, {"usefulness": str(1 + i % 5), "on_time": "true",
                                    "prepared": "false"}) for i in range(THREADS)]

    statuses = _post_all(app, calls)

    assert statuses.count(302) == 1, statuses
    assert all(status in (302, 409, 200) for status in statuses), statuses
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Evaluation)) == 1
