"""Feed tokens, access on every fetch, retention, and what the feed says about bookings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from duidingspool.accounts.access import hash_token
from duidingspool.accounts.models import Role, UserRole
from duidingspool.audit.models import AuditEvent
from duidingspool.errors import NotFound, ValidationFailed
from duidingspool.extensions import db
from duidingspool.ical import services
from duidingspool.ical.models import CalendarFeed
from duidingspool.urls import public_url
from tests import factories as f
from tests.bookings.helpers import World
from tests.ical.helpers import booking_at, cancel_directly, local

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def _uids(access, now=NOW):
    return [e.uid for e in services.feed_events(access, now=now)]


def test_create_feed_stores_only_the_hash_of_a_long_random_token(app):
    w = World()
    expert = w.expert()

    feed, token = services.create_feed(actor=expert.user, scope="expert", now=NOW)

    assert len(token) >= 43  # 32 random bytes, url-safe base64
    assert feed.token_hash == hash_token(token)
    assert token not in {feed.token_hash, str(feed.id)}
    assert services.resolve(token).feed_id == feed.id
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.object_id == feed.id, AuditEvent.object_type == "calendar_feed")) == \
        "calendar_feed.create"


def test_rotating_revokes_the_old_token(app):
    expert = World().expert()
    old, old_token = services.create_feed(actor=expert.user, scope="expert", now=NOW)

    new, new_token = services.create_feed(actor=expert.user, scope="expert", now=NOW)

    assert old.revoked_at == NOW
    assert services.resolve(old_token) is None
    assert services.resolve(new_token).feed_id == new.id


def test_revoked_and_unknown_tokens_resolve_to_nothing(app):
    expert = World().expert()
    feed, token = services.create_feed(actor=expert.user, scope="expert", now=NOW)

    services.revoke_feed(actor=expert.user, feed_id=feed.id, now=NOW)

    assert services.resolve(token) is None
    assert services.resolve("not-a-token") is None
    assert services.resolve("") is None


def test_revoking_someone_elses_feed_is_not_found(app):
    w = World()
    expert, other = w.expert(), w.expert()
    feed, _ = services.create_feed(actor=expert.user, scope="expert", now=NOW)

    with pytest.raises(NotFound):
        services.revoke_feed(actor=other.user, feed_id=feed.id, now=NOW)


def test_deactivated_expert_feed_no_longer_resolves(app):
    expert = World().expert()
    _, token = services.create_feed(actor=expert.user, scope="expert", now=NOW)

    expert.is_active = False
    db.session.flush()

    assert services.resolve(token) is None


def test_disabled_user_or_lost_role_no_longer_resolves(app):
    w = World()
    expert, other = w.expert(), w.expert()
    _, token = services.create_feed(actor=expert.user, scope="expert", now=NOW)
    _, other_token = services.create_feed(actor=other.user, scope="expert", now=NOW)

    expert.user.is_enabled = False
    db.session.delete(db.session.get(UserRole, (other.user_id, "expert")))
    db.session.flush()

    assert services.resolve(token) is None
    assert services.resolve(other_token) is None


def test_requester_gets_only_case_tables_of_their_municipality(app):
    w = World()
    elsewhere = f.case_table(municipalities=[f.municipality()])

    with pytest.raises(ValidationFailed):
        services.create_feed(actor=w.requester, scope="case_table", case_table_id=elsewhere.id,
                             now=NOW)
    feed, token = services.create_feed(actor=w.requester, scope="case_table",
                                       case_table_id=w.table.id, now=NOW)

    assert services.resolve(token).case_table_id == w.table.id


def test_case_table_feed_stops_when_the_municipality_leaves_the_table(app):
    w = World()
    _, token = services.create_feed(actor=w.requester, scope="case_table",
                                    case_table_id=w.table.id, now=NOW)

    w.table.municipalities = [f.municipality()]
    db.session.flush()

    assert services.resolve(token) is None


def test_case_table_feed_shows_only_the_requesters_municipality(app):
    w = World()
    other_town = f.municipality()
    w.table.municipalities.append(other_town)
    other_requester = f.user(Role.REQUESTER, municipality_obj=other_town)
    expert = w.expert()
    ours = booking_at(w, expert, local(2027, 2, 9))
    theirs_referral = f.referral(requester=other_requester,
                                 on=f.sitting(w.table, starts_at=local(2027, 2, 16)))
    from tests.bookings.helpers import direct_booking
    theirs = direct_booking(theirs_referral, expert, created_by=w.coordinator)
    _, token = services.create_feed(actor=w.requester, scope="case_table",
                                    case_table_id=w.table.id, now=NOW)

    assert _uids(services.resolve(token)) == [ours.calendar_uid]
    _, all_token = services.create_feed(actor=w.coordinator, scope="all", now=NOW)
    assert _uids(services.resolve(all_token)) == [ours.calendar_uid, theirs.calendar_uid]


def test_expert_cannot_create_the_coordinators_feed(app):
    expert = World().expert()

    with pytest.raises(ValidationFailed):
        services.create_feed(actor=expert.user, scope="all", now=NOW)


def test_slots_follow_the_roles(app):
    w = World()
    expert = w.expert()

    assert [(s.scope, s.case_table) for s in services.feed_slots(expert.user)] == [
        ("expert", None)]
    assert [(s.scope, s.case_table) for s in services.feed_slots(w.requester)] == [
        ("case_table", w.table)]
    assert [(s.scope, s.case_table) for s in services.feed_slots(w.coordinator)] == [
        ("all", None)]


def test_cancelled_booking_is_kept_for_the_retention_period_then_dropped(app):
    w = World()
    expert = w.expert()
    booking = booking_at(w, expert, local(2027, 2, 9))
    cancel_directly(booking, at=NOW)
    _, token = services.create_feed(actor=expert.user, scope="expert", now=NOW)
    access = services.resolve(token)

    kept = services.feed_events(access, now=NOW + timedelta(days=29))
    dropped = services.feed_events(access, now=NOW + timedelta(days=31))

    assert [(e.uid, e.cancelled, e.sequence) for e in kept] == [(booking.calendar_uid, True, 1)]
    assert dropped == []


def test_the_coordinators_feed_of_everything_looks_back_a_month_an_experts_a_year(app):
    w = World()
    expert = w.expert()
    booking = booking_at(w, expert, local(2026, 12, 1))
    _, expert_token = services.create_feed(actor=expert.user, scope="expert", now=NOW)
    _, all_token = services.create_feed(actor=w.coordinator, scope="all", now=NOW)
    expert_feed, all_feed = services.resolve(expert_token), services.resolve(all_token)
    after = {days: NOW + timedelta(days=days) for days in (40, 44, 360, 380)}

    assert [_uids(all_feed, after[days]) for days in (40, 44)] == [[booking.calendar_uid], []]
    assert [_uids(expert_feed, after[days]) for days in (44, 360, 380)] == [
        [booking.calendar_uid], [booking.calendar_uid], []]
    # The window is part of the ETag of the coordinator's feed, and of no other.
    etags = []
    for days in (31, 60):
        app.config["FEED_ALL_PAST_DAYS"] = days
        etags.append((services.state(all_feed, now=after[40]).etag,
                      services.state(expert_feed, now=after[40]).etag))
    assert etags[0][0] != etags[1][0] and etags[0][1] == etags[1][1]


def test_state_changes_when_a_booking_changes_or_leaves_the_feed(app):
    w = World()
    expert = w.expert()
    booking = booking_at(w, expert, local(2027, 2, 9))
    _, token = services.create_feed(actor=expert.user, scope="expert", now=NOW)
    access = services.resolve(token)
    before = services.state(access, now=NOW)

    cancel_directly(booking, at=NOW + timedelta(minutes=5))
    after_cancel = services.state(access, now=NOW + timedelta(minutes=10))
    after_drop = services.state(access, now=NOW + timedelta(days=31))

    assert before.etag != after_cancel.etag != after_drop.etag
    assert after_cancel.last_modified == NOW + timedelta(minutes=5)
    # Retention counts whole local days: the booking left at midnight of 21 December.
    assert after_drop.last_modified == datetime(2026, 12, 20, 23, 0, tzinfo=timezone.utc)
    assert services.state(access, now=NOW + timedelta(minutes=10)) == after_cancel


def test_feed_events_carry_no_question_text_or_case_code(app):
    w = World()
    expert = w.expert()
    booking = booking_at(w, expert, local(2027, 2, 9), case_code="ZAAK-4711",
                         question="Geheime duidingsvraag over persoon X")
    _, token = services.create_feed(actor=expert.user, scope="expert", now=NOW)

    [event] = services.feed_events(services.resolve(token), now=NOW)

    text = repr(event)
    assert "ZAAK-4711" not in text and "Geheime" not in text
    assert booking.referral.reference in event.summary
    assert w.table.name in event.summary
    assert event.url == f"http://127.0.0.1:5000/boekingen/mijn#booking-{booking.id}"


def test_event_links_are_absolute_under_the_public_base_url_and_its_path(app):
    app.config["PUBLIC_BASE_URL"] = "https://gemeente.example.org/duidingspool/"
    w = World()
    expert = w.expert()
    booking = booking_at(w, expert, local(2027, 2, 9))
    _, expert_token = services.create_feed(actor=expert.user, scope="expert", now=NOW)
    _, table_token = services.create_feed(actor=w.requester, scope="case_table",
                                          case_table_id=w.table.id, now=NOW)

    [for_expert] = services.feed_events(services.resolve(expert_token), now=NOW)
    [for_table] = services.feed_events(services.resolve(table_token), now=NOW)

    base = "https://gemeente.example.org/duidingspool"
    request_page = f"{base}/verzoeken/{booking.referral_id}"
    assert for_expert.url == f"{base}/boekingen/mijn#booking-{booking.id}"
    assert for_table.url == request_page
    assert for_table.description == f"Details in Duidingspool: {request_page}"
    assert public_url("ical.feed", token="abc") == f"{base}/calendar/abc.ics"


def test_feed_rows_are_the_tables_address_or_online(app):
    w = World()
    expert = w.expert()
    in_person = booking_at(w, expert, local(2027, 2, 9))
    online = booking_at(w, expert, local(2027, 2, 16), mode="online")
    _, token = services.create_feed(actor=expert.user, scope="expert", now=NOW)

    events = {e.uid: e.location for e in services.feed_events(services.resolve(token), now=NOW)}

    assert events == {in_person.calendar_uid: "Stationsplein 1", online.calendar_uid: "Online"}


def test_live_feed_rows_exist_once_per_scope(app):
    expert = World().expert()
    services.create_feed(actor=expert.user, scope="expert", now=NOW)
    services.create_feed(actor=expert.user, scope="expert", now=NOW)
    services.create_feed(actor=expert.user, scope="expert", now=NOW)

    live = db.session.scalars(select(CalendarFeed).where(
        CalendarFeed.user_id == expert.user_id, CalendarFeed.revoked_at.is_(None))).all()

    assert len(live) == 1


def test_case_table_state_follows_only_the_requesters_own_bookings(app):
    w = World()
    other_town = f.municipality()
    w.table.municipalities.append(other_town)
    other_requester = f.user(Role.REQUESTER, municipality_obj=other_town)
    expert = w.expert()
    ours = booking_at(w, expert, local(2027, 2, 9))
    from tests.bookings.helpers import direct_booking
    theirs = direct_booking(
        f.referral(requester=other_requester, on=f.sitting(w.table, starts_at=local(2027, 2, 16))),
        expert, created_by=w.coordinator)
    now = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=1)
    _, token = services.create_feed(actor=w.requester, scope="case_table",
                                    case_table_id=w.table.id, now=now)
    before = services.lookup(token, now=now)[1]

    cancel_directly(theirs, at=now + timedelta(minutes=1))
    after_theirs = services.lookup(token, now=now + timedelta(minutes=2))[1]
    cancel_directly(ours, at=now + timedelta(minutes=3))
    after_ours = services.lookup(token, now=now + timedelta(minutes=4))[1]

    assert after_theirs == before
    assert after_ours.etag != before.etag
    assert after_ours.last_modified == now + timedelta(minutes=3)


def test_lookup_gives_the_same_state_as_state(app):
    expert = World().expert()
    _, token = services.create_feed(actor=expert.user, scope="expert", now=NOW)

    access, found = services.lookup(token, now=NOW)

    assert found == services.state(access, now=NOW)


def test_case_table_feed_of_a_requester_who_is_also_admin_shows_only_their_municipality(app):
    w = World()
    other_town = f.municipality()
    w.table.municipalities.append(other_town)
    other_requester = f.user(Role.REQUESTER, municipality_obj=other_town)
    db.session.add(UserRole(user_id=w.requester.id, role=Role.ADMIN))
    db.session.flush()
    db.session.refresh(w.requester)
    expert = w.expert()
    ours = booking_at(w, expert, local(2027, 2, 9))
    theirs_referral = f.referral(requester=other_requester,
                                 on=f.sitting(w.table, starts_at=local(2027, 2, 16)))
    from tests.bookings.helpers import direct_booking
    direct_booking(theirs_referral, expert, created_by=w.coordinator)
    _, token = services.create_feed(actor=w.requester, scope="case_table",
                                    case_table_id=w.table.id, now=NOW)

    access = services.resolve(token)

    assert access.municipality_id == w.requester.municipality_id
    assert _uids(access) == [ours.calendar_uid]
