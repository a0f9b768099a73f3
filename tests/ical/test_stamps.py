"""Every way a feed's content can change changes its ETag (the feed stamps of migration 0012).

A 304 for a feed whose content changed hides the change from the calendar until the next
change, so each path is proven here through the services that take it: create, move, new
place, cancel (booking, request, session), completion, renames that show in a feed, and the
day (retention). Paths no service takes today (an expert's new name, a request's new mode)
are written directly: the database keeps the stamps whatever code writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from duidingspool.accounts.models import Role
from duidingspool.bookings import services as bookings
from duidingspool.casetables import services as casetables
from duidingspool.extensions import db
from duidingspool.ical import services
from duidingspool.referrals import services as referrals
from tests import factories as f
from tests.bookings.helpers import World
from tests.ical.helpers import booking_at, cancel_directly, local

# Every look-up of one test on the same day: only the stamps can change the ETags.
AT = datetime.now(timezone.utc).replace(microsecond=0)


class Feeds:
    """An expert's feed, the requester's and a coordinator's feed of the case table, the
    coordinator's feed of everything, and the feed of an expert the changes do not touch."""

    def __init__(self, w: World, expert):
        both = f.user(Role.REQUESTER, Role.COORDINATOR, municipality_obj=w.town)
        self.bystander = w.expert()
        self.tokens = {
            "expert": services.create_feed(actor=expert.user, scope="expert")[1],
            "table": services.create_feed(actor=w.requester, scope="case_table",
                                          case_table_id=w.table.id)[1],
            "table, all towns": services.create_feed(actor=both, scope="case_table",
                                                     case_table_id=w.table.id)[1],
            "all": services.create_feed(actor=w.coordinator, scope="all")[1],
            "bystander": services.create_feed(actor=self.bystander.user, scope="expert")[1],
        }

    def etags(self) -> dict[str, str]:
        db.session.flush()
        return {name: services.lookup(token, now=AT)[1].etag
                for name, token in self.tokens.items()}


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


TOUCHED = ["all", "expert", "table", "table, all towns"]


def booked(w: World, expert):
    referral = w.request(starts_at=local(2027, 2, 9))
    [offer] = bookings.make_offers(actor=w.coordinator, referral=referral,
                                   expert_ids=[expert.id])
    return bookings.accept(actor=expert.user, offer=offer)


def test_accepting_an_offer_changes_the_etags(app):
    w = World()
    expert = w.expert()
    feeds = Feeds(w, expert)
    before = feeds.etags()

    booked(w, expert)

    assert changed(before, feeds.etags()) == TOUCHED


def test_moving_a_session_changes_the_etags(app):
    w = World()
    expert = w.expert()
    booking = booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    new_start = booking.starts_at + timedelta(hours=1)
    casetables.move_sitting(actor=w.coordinator, sitting=booking.sitting, starts_at=new_start,
                            ends_at=new_start + timedelta(hours=2))

    assert changed(before, feeds.etags()) == TOUCHED


def test_moving_a_session_to_another_place_changes_the_etags(app):
    w = World()
    expert = w.expert()
    booking = booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    casetables.move_sitting(actor=w.coordinator, sitting=booking.sitting,
                            starts_at=booking.starts_at, ends_at=booking.ends_at,
                            location="Raadhuisplein 3")

    assert changed(before, feeds.etags()) == TOUCHED


def test_cancelling_a_booking_changes_the_etags(app):
    w = World()
    expert = w.expert()
    booking = booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    bookings.cancel_booking(actor=w.coordinator, booking=booking, reason="Ziek")

    assert changed(before, feeds.etags()) == TOUCHED


def test_cancelling_the_request_changes_the_etags(app):
    w = World()
    expert = w.expert()
    booking = booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    referrals.cancel(actor=w.requester, referral=booking.referral, reason="Niet meer nodig")

    assert changed(before, feeds.etags()) == TOUCHED


def test_cancelling_the_session_changes_the_etags(app):
    w = World()
    expert = w.expert()
    booking = booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    casetables.cancel_sitting(actor=w.coordinator, sitting=booking.sitting, reason="Vervalt")

    assert changed(before, feeds.etags()) == TOUCHED


def test_completing_a_booking_changes_the_etags(app):
    w = World()
    expert = w.expert()
    booking = booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    assert bookings.close_past(now=booking.ends_at + timedelta(minutes=1)) == 1

    assert changed(before, feeds.etags()) == TOUCHED


def _update_table(table, **changes):
    values = {"name": table.name, "host_organisation": table.host_organisation,
              "host_municipality_id": table.host_municipality_id, "address": table.address,
              "municipality_ids": [m.id for m in table.municipalities],
              "schedule_source": table.schedule_source, "rrule": table.rrule,
              "first_session_start": table.first_session_start,
              "duration_minutes": table.duration_minutes, **changes}
    casetables.update_case_table(actor=None, case_table=table, **values)


def test_renaming_the_case_table_changes_the_etags(app):
    w = World()
    expert = w.expert()
    booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    _update_table(w.table, name="Casustafel Achterhoek")

    assert changed(before, feeds.etags()) == TOUCHED


def test_a_new_address_of_the_case_table_changes_the_etags(app):
    w = World()
    expert = w.expert()
    booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    _update_table(w.table, address="Raadhuisplein 3")

    assert changed(before, feeds.etags()) == TOUCHED


def test_a_session_given_a_new_place_without_its_booking_changes_the_etags(app):
    # As the session generator does for untouched sessions when a table's address changes.
    w = World()
    expert = w.expert()
    booking = booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    booking.sitting.location = "Raadhuisplein 3"

    assert changed(before, feeds.etags()) == TOUCHED


def test_renaming_the_expert_changes_the_etags(app):
    w = World()
    expert = w.expert()
    booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    expert.user.name = "Dr. A. Jansen"

    assert changed(before, feeds.etags()) == TOUCHED


def test_a_new_mode_of_the_request_changes_the_etags(app):
    w = World()
    expert = w.expert()
    booking = booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    booking.referral.mode = "online"

    assert changed(before, feeds.etags()) == TOUCHED


def test_a_change_stamped_earlier_than_the_latest_one_still_changes_the_etags(app):
    # Two writers: the one that took its time first commits last. The ETag must not depend
    # on the latest updated_at alone.
    w = World()
    expert = w.expert()
    first = booking_at(w, expert, local(2027, 2, 9))
    second = booking_at(w, expert, local(2027, 2, 16))
    feeds = Feeds(w, expert)
    cancel_directly(second, at=AT)
    before = feeds.etags()

    cancel_directly(first, at=AT - timedelta(seconds=1))

    assert changed(before, feeds.etags()) == TOUCHED


def test_unrelated_writes_leave_the_etags_alone(app):
    w = World()
    expert = w.expert()
    booking = booked(w, expert)
    feeds = Feeds(w, expert)
    before = feeds.etags()

    booking.referral.question = "Een andere vraag"
    w.table.host_organisation = "Veiligheidshuis Oost"
    expert.max_travel_km = 25

    assert changed(before, feeds.etags()) == []


def test_the_etag_changes_at_local_midnight_when_retention_may_drop_bookings(app):
    w = World()
    expert = w.expert()
    booking_at(w, expert, local(2027, 2, 9))
    _, token = services.create_feed(actor=expert.user, scope="expert",
                                    now=local(2026, 1, 1, 0, 0))

    def etag(moment):
        return services.lookup(token, now=moment)[1].etag

    assert etag(local(2027, 3, 1, 0, 1)) == etag(local(2027, 3, 1, 23, 59))
    assert etag(local(2027, 3, 1, 23, 59)) != etag(local(2027, 3, 2, 0, 0))
