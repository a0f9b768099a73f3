"""Concurrent accepts through the API: exactly one booking, the rest 409, nothing half-written.

Each thread has its own test client, app context and database connection; a barrier
releases all requests at once.
"""

import threading
from datetime import timedelta

from sqlalchemy import func, select

from duidingspool.accounts.models import User
from duidingspool.accounts.sessions import stamp
from duidingspool.bookings import services
from duidingspool.bookings.models import Booking, Offer, OfferStatus
from duidingspool.extensions import db
from tests.bookings.helpers import World

THREADS = 20


def _fire(app, user_id: int, urls: list[str]) -> list[tuple[int, dict]]:
    return _fire_calls(app, [(user_id, url, {}) for url in urls])


def _fire_calls(app, calls: list[tuple[int, str, dict]]) -> list[tuple[int, dict]]:
    """POST every (user id, url, JSON body) at once, each as its user; the answers."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    # Loaded here: the threads only read their versions.
    users = {user_id: db.session.get(User, user_id) for user_id, _url, _body in calls}

    def worker(index: int, user_id: int, url: str, body: dict):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(user_id)
            stamp(session, users[user_id], second_factor=True)
        barrier.wait(timeout=30)
        response = client.post(url, json=body)
        results[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=worker, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_concurrent_accepts_of_one_offer_book_once(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    user_id, url = expert.user_id, f"/api/v1/offers/{offer.id}/accept"
    db.session.commit()

    results = _fire(app, user_id, [url] * THREADS)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert all(body["error"]["code"] == "conflict" for status, body in results if status == 409)
    assert _count(Booking) == 1
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).status == OfferStatus.ACCEPTED


def test_concurrent_accepts_of_overlapping_sessions_book_the_expert_once(app):
    w = World()
    expert = w.expert()
    first = w.request()
    offers = []
    for i in range(THREADS):
        referral = first if i == 0 else w.request(
            starts_at=first.sitting.starts_at + timedelta(minutes=3 * i))
        offers += services.make_offers(actor=w.coordinator, referral=referral,
                                       expert_ids=[expert.id])
    user_id = expert.user_id
    urls = [f"/api/v1/offers/{o.id}/accept" for o in offers]
    db.session.commit()

    results = _fire(app, user_id, urls)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert _count(Booking) == 1
    db.session.expire_all()
    accepted = db.session.scalars(select(Offer).where(Offer.status == OfferStatus.ACCEPTED)).all()
    assert len(accepted) == 1
    assert db.session.scalar(select(Booking.offer_id)) == accepted[0].id


def test_direct_bookings_racing_accepts_of_one_request_book_once(app):
    w = World()
    referral = w.request()
    offered, direct = w.expert(), w.expert()
    [offer] = services.make_offers(actor=w.coordinator, referral=referral,
                                   expert_ids=[offered.id])
    half = THREADS // 2
    calls = [(offered.user_id, f"/api/v1/offers/{offer.id}/accept", {})] * half + [
        (w.coordinator.id, f"/api/v1/requests/{referral.id}/booking",
         {"expert_id": direct.id})] * half
    db.session.commit()

    results = _fire_calls(app, calls)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert _count(Booking) == 1
    db.session.expire_all()
    booking = db.session.scalar(select(Booking))
    offers = db.session.scalars(select(Offer).where(Offer.referral_id == referral.id)).all()
    accepted = [o for o in offers if o.status == OfferStatus.ACCEPTED]
    assert [o.id for o in accepted] == [booking.offer_id]
    assert {o.status for o in offers} <= {OfferStatus.ACCEPTED, OfferStatus.WITHDRAWN}


def test_direct_bookings_of_one_expert_at_overlapping_times_book_once(app):
    w = World()
    expert = w.expert()
    first = w.request()
    referrals = [first] + [w.request(starts_at=first.sitting.starts_at + timedelta(minutes=3 * i))
                           for i in range(1, THREADS)]
    calls = [(w.coordinator.id, f"/api/v1/requests/{r.id}/booking", {"expert_id": expert.id})
             for r in referrals]
    db.session.commit()

    results = _fire_calls(app, calls)

    statuses = sorted(status for status, _ in results)
    # The loser is told why: booked at the same moment (409), or, once the winner has
    # committed, that the expert has another booking then (422).
    assert statuses.count(201) == 1, results
    assert set(statuses) <= {201, 409, 422}, results
    assert _count(Booking) == 1


def test_concurrent_offers_of_one_request_to_one_expert_make_one_offer(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    url = f"/api/v1/requests/{referral.id}/offers"
    threads = 30
    db.session.commit()

    results = _fire_calls(app, [(w.coordinator.id, url, {"expert_ids": [expert.id]})] * threads)

    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1, results
    assert set(statuses) <= {201, 409, 422}, results
    assert _count(Offer) == 1
