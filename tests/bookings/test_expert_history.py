"""The expert's own lists: what is current in full, the history a page at a time, and the
start page asking only for what is current."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from duidingspool.bookings import queries
from duidingspool.bookings.models import BookingStatus, Offer, OfferStatus
from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.schema_defaults import DB_INT_MAX
from tests.bookings.helpers import World, direct_booking


class Expert(World):
    """A world with one English-speaking expert and helpers to give them a history."""

    def __init__(self):
        super().__init__()
        self.coordinator.locale = self.requester.locale = "en"
        self.me = self.expert()
        self.me.user.locale = "en"
        self.now = utcnow()

    def offer(self, *, status: str = OfferStatus.PENDING, offered_days: float | None = -1,
              expires_days: float | None = 1) -> Offer:
        """An offer sent `offered_days` from now (None: never sent), answerable until
        `expires_days` from now."""
        referral = self.request()
        offer = Offer(
            referral_id=referral.id, expert_id=self.me.id, status=status, queue_position=1,
            offered_at=(self.now + timedelta(days=offered_days)
                        if status != OfferStatus.QUEUED and offered_days is not None
                        else None),
            expires_at=(self.now + timedelta(days=expires_days)
                        if expires_days is not None else None),
            created_by_id=self.coordinator.id)
        db.session.add(offer)
        db.session.flush()
        return offer

    def booking(self, *, days: float, status: str = BookingStatus.CONFIRMED):
        """A two-hour booking starting `days` from now."""
        referral = self.request(starts_at=(self.now + timedelta(days=days)).replace(
            second=0, microsecond=0))
        booking = direct_booking(referral, self.me, created_by=self.coordinator)
        if status != BookingStatus.CONFIRMED:
            booking.status = status
            booking.cancelled_at = self.now if status == BookingStatus.CANCELLED else None
            db.session.flush()
        return booking


def ids(items) -> list[int]:
    return [item.id for item in items]


def listed(page: str, prefix: str) -> list[int]:
    """The ids of the list items `<li id="{prefix}-N">`, in page order."""
    return [int(n) for n in re.findall(rf'<li[^>]* id="{prefix}-(\d+)"', page)]


def split_at(page: str, anchor: str) -> tuple[str, str]:
    """The page before and after the history heading `id="{anchor}"` ('' when absent)."""
    before, _heading, after = page.partition(f'id="{anchor}"')
    return before, after


@pytest.fixture
def small_pages(app):
    app.config["EXPERT_HISTORY_PAGE"] = 2


# --- the queries ------------------------------------------------------------------------------

def test_open_offers_are_the_pending_ones_before_their_deadline_soonest_first(app):
    w = Expert()
    later = w.offer(expires_days=2)
    sooner = w.offer(expires_days=1)
    w.offer(expires_days=-0.5)  # pending, but past its deadline
    w.offer(status=OfferStatus.DECLINED)
    w.offer(status=OfferStatus.QUEUED, expires_days=None)

    assert ids(queries.expert_open_offers(w.me, now=w.now)) == [sooner.id, later.id]


def test_past_offers_are_the_rest_but_queued_newest_first(app):
    w = Expert()
    w.offer(expires_days=1)  # open
    expired_pending = w.offer(offered_days=-3, expires_days=-1)
    declined = w.offer(status=OfferStatus.DECLINED, offered_days=-1)
    expired = w.offer(status=OfferStatus.EXPIRED, offered_days=-5, expires_days=-4)
    withdrawn = w.offer(status=OfferStatus.WITHDRAWN, offered_days=-2)
    accepted = w.offer(status=OfferStatus.ACCEPTED, offered_days=-4)
    never_sent = w.offer(status=OfferStatus.WITHDRAWN, offered_days=None, expires_days=None)
    w.offer(status=OfferStatus.QUEUED, expires_days=None)

    past = queries.expert_past_offers(w.me, page=1, per_page=10, now=w.now)

    assert ids(past.items) == [declined.id, withdrawn.id, expired_pending.id, accepted.id,
                               expired.id, never_sent.id]
    assert past.total == 6


def test_upcoming_bookings_are_confirmed_and_not_ended_soonest_first(app):
    w = Expert()
    later = w.booking(days=3)
    sooner = w.booking(days=1)
    running = w.booking(days=-1 / 24)  # started an hour ago, ends in an hour
    w.booking(days=2, status=BookingStatus.CANCELLED)
    w.booking(days=-2)

    assert ids(queries.expert_upcoming_bookings(w.me, now=w.now)) == [
        running.id, sooner.id, later.id]


def test_past_bookings_are_ended_completed_and_cancelled_newest_first(app):
    w = Expert()
    w.booking(days=1)  # upcoming
    cancelled_ahead = w.booking(days=2, status=BookingStatus.CANCELLED)
    ended = w.booking(days=-1)
    completed = w.booking(days=-3, status=BookingStatus.COMPLETED)
    cancelled = w.booking(days=-2, status=BookingStatus.CANCELLED)

    past = queries.expert_past_bookings(w.me, page=1, per_page=10, now=w.now)

    assert ids(past.items) == [cancelled_ahead.id, ended.id, cancelled.id, completed.id]


def test_history_page_past_the_end_is_the_last_and_before_the_start_the_first(app):
    w = Expert()
    newest_first = [w.booking(days=-day) for day in range(1, 6)]

    last = queries.expert_past_bookings(w.me, page=999, per_page=2, now=w.now)
    first = queries.expert_past_bookings(w.me, page=-1, per_page=2, now=w.now)
    # The largest page web.page_number gives (it reads ?page= for the views).
    huge = queries.expert_past_bookings(w.me, page=DB_INT_MAX, per_page=2, now=w.now)

    assert (last.page, last.pages, ids(last.items)) == (3, 3, [newest_first[4].id])
    assert (first.page, ids(first.items)) == (1, ids(newest_first[:2]))
    assert (huge.page, ids(huge.items)) == (3, [newest_first[4].id])


def test_an_expert_without_history_gets_an_empty_first_page(app):
    w = Expert()

    empty = queries.expert_past_offers(w.me, page=5, per_page=2, now=w.now)

    assert (empty.page, empty.pages, empty.items) == (1, 0, [])


# --- /aanbiedingen ----------------------------------------------------------------------------

def test_offers_page_shows_every_open_offer_and_pages_the_earlier_ones(as_user, small_pages):
    w = Expert()
    open_ = [w.offer(expires_days=days) for days in (3, 1, 2)]
    past = [w.offer(status=OfferStatus.DECLINED, offered_days=-day) for day in range(1, 6)]
    client = as_user(w.me.user)

    first = client.get("/aanbiedingen").get_data(as_text=True)
    last = client.get("/aanbiedingen?page=3").get_data(as_text=True)

    soonest_first = [open_[1].id, open_[2].id, open_[0].id]
    for page in (first, last):
        current, history = split_at(page, "earlier")
        assert listed(current, "offer") == soonest_first
    assert listed(split_at(first, "earlier")[1], "offer") == ids(past[:2])
    assert "Page 1 of 3" in first
    assert 'href="/aanbiedingen?page=2#earlier"' in first
    assert listed(split_at(last, "earlier")[1], "offer") == [past[4].id]
    assert "Page 3 of 3" in last


def test_offers_page_shows_an_expired_pending_offer_as_expired_and_never_a_queued_one(as_user):
    w = Expert()
    expired = w.offer(offered_days=-3, expires_days=-1)
    queued = w.offer(status=OfferStatus.QUEUED, expires_days=None)

    page = as_user(w.me.user).get("/aanbiedingen").get_data(as_text=True)

    current, history = split_at(page, "earlier")
    assert "No offers waiting for your answer." in current
    assert listed(history, "offer") == [expired.id]
    assert "Expired" in history
    assert f'id="offer-{queued.id}"' not in page


@pytest.mark.parametrize("page", ["999", "abc", "0", "-2", str(10**30)])
def test_offers_page_answers_any_page_number(as_user, small_pages, page):
    w = Expert()
    past = [w.offer(status=OfferStatus.DECLINED, offered_days=-day) for day in range(1, 4)]

    response = as_user(w.me.user).get(f"/aanbiedingen?page={page}")

    shown = listed(split_at(response.get_data(as_text=True), "earlier")[1], "offer")
    assert response.status_code == 200
    assert shown == ([past[2].id] if page in ("999", str(10**30)) else ids(past[:2]))


# --- /boekingen/mijn --------------------------------------------------------------------------

def test_bookings_page_shows_every_upcoming_booking_and_pages_the_past(as_user, small_pages):
    w = Expert()
    upcoming = [w.booking(days=day) for day in (2, 1, 3)]
    cancelled_ahead = w.booking(days=4, status=BookingStatus.CANCELLED)
    past = [w.booking(days=-day) for day in range(1, 4)]
    client = as_user(w.me.user)

    first = client.get("/boekingen/mijn").get_data(as_text=True)
    last = client.get("/boekingen/mijn?page=2").get_data(as_text=True)

    for page in (first, last):
        current, history = split_at(page, "past")
        assert listed(current, "booking") == [upcoming[1].id, upcoming[0].id, upcoming[2].id]
    assert listed(split_at(first, "past")[1], "booking") == [cancelled_ahead.id, past[0].id]
    assert 'class="cancelled"' in split_at(first, "past")[1]
    assert 'href="/boekingen/mijn?page=2#past"' in first
    assert listed(split_at(last, "past")[1], "booking") == [past[1].id, past[2].id]
    assert "Page 2 of 2" in last


@pytest.mark.parametrize("page", ["999", "abc"])
def test_bookings_page_answers_any_page_number(as_user, small_pages, page):
    w = Expert()
    past = [w.booking(days=-day) for day in range(1, 4)]

    response = as_user(w.me.user).get(f"/boekingen/mijn?page={page}")

    shown = listed(split_at(response.get_data(as_text=True), "past")[1], "booking")
    assert response.status_code == 200
    assert shown == ([past[2].id] if page == "999" else ids(past[:2]))


# --- the start page ---------------------------------------------------------------------------

def _cost_of(client, url: str) -> tuple[int, int]:
    """The SQL statements a page runs and the rows it loads as objects."""
    statements = loaded = 0

    def statement(*_args, **_kwargs):
        nonlocal statements
        statements += 1

    def load(*_args, **_kwargs):
        nonlocal loaded
        loaded += 1

    db.session.expunge_all()
    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.Model, "load", load, propagate=True)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.Model, "load", load)
    assert response.status_code == 200
    return statements, loaded


def test_start_page_shows_only_whats_current(as_user):
    w = Expert()
    offer = w.offer(expires_days=1)
    booking = w.booking(days=1)
    old_offer = w.offer(status=OfferStatus.DECLINED, offered_days=-2)
    old_booking = w.booking(days=-2)

    page = as_user(w.me.user).get("/").get_data(as_text=True)

    assert (listed(page, "offer"), listed(page, "booking")) == ([offer.id], [booking.id])
    assert f'offer-{old_offer.id}"' not in page and f'booking-{old_booking.id}"' not in page


@pytest.mark.parametrize("url", ["/", "/aanbiedingen", "/boekingen/mijn", "/mijn-uren"])
def test_expert_page_cost_does_not_grow_with_the_history(app, login_as, small_pages, url):
    short, long = Expert(), Expert()
    for w, days in ((short, 2), (long, 20)):
        w.offer(expires_days=1)
        w.booking(days=1)
        for day in range(1, days + 1):
            w.offer(status=OfferStatus.DECLINED, offered_days=-day)
            w.offer(offered_days=-day - 1, expires_days=-day)  # expired, still pending
            w.booking(days=-day, status=(BookingStatus.COMPLETED if day % 2
                                         else BookingStatus.CANCELLED))
    db.session.commit()
    users = short.me.user, long.me.user

    short_cost, long_cost = (_cost_of(login_as(user), url) for user in users)

    assert short_cost == long_cost
    assert short_cost[0] <= 15
