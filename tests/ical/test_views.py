"""The feed over HTTP (headers, 304, 404) and the profile page that hands out links."""

from __future__ import annotations

import logging
import re
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.http import http_date
from werkzeug.serving import make_server

from sqlalchemy import update

from duidingspool.casetables.models import CaseTable
from duidingspool.extensions import db
from duidingspool.ical import builder, services
from duidingspool.ical.models import CalendarFeed
from duidingspool.ical.views import FeedTokenFilter
from tests.bookings.helpers import World
from tests.ical.helpers import (
    AMS,
    as_seen,
    booking_at,
    cancel_directly,
    expected,
    local,
    read_all,
)


def _feed(user, scope="expert", **kw):
    _, token = services.create_feed(actor=user, scope=scope, **kw)
    db.session.commit()
    return f"/calendar/{token}.ics"


@pytest.fixture
def expert_world(app):
    w = World()
    expert = w.expert()
    return w, expert


def test_feed_answers_calendar_with_cache_headers(client, expert_world):
    w, expert = expert_world
    booking_at(w, expert, local(2027, 2, 9))
    url = _feed(expert.user)

    response = client.get(url)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert re.fullmatch(r'"[0-9a-f]{40}"', response.headers["ETag"])
    assert response.headers["Last-Modified"]
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.data.startswith(b"BEGIN:VCALENDAR\r\n")


def test_feed_matches_the_bookings_in_three_parsers_across_dst(client, expert_world):
    w, expert = expert_world
    # 2027: summer time from 28 March, winter time from 31 October; all at 14:00 local.
    bookings = [booking_at(w, expert, local(2027, 3, 26)),
                booking_at(w, expert, local(2027, 3, 29)),
                booking_at(w, expert, local(2027, 10, 29)),
                booking_at(w, expert, local(2027, 11, 1))]
    bookings[1].sequence = 2
    cancel_directly(bookings[3], at=bookings[3].created_at + timedelta(minutes=1))
    url = _feed(expert.user)

    seen = read_all(client.get(url).get_data(as_text=True))

    want = {b.calendar_uid: expected(b) for b in bookings}
    for parser, events in seen.items():
        assert {uid: as_seen(s) for uid, s in events.items()} == want, parser
        for booking in bookings:
            local_start = events[booking.calendar_uid].start.astimezone(AMS)
            assert (local_start.hour, local_start.minute) == (14, 0), parser
    assert [want[b.calendar_uid][3] for b in bookings] == [
        "CONFIRMED", "CONFIRMED", "CONFIRMED", "CANCELLED"]


def test_long_case_table_name_with_emoji_round_trips_through_the_feed(client, app):
    w = World()
    w.table.name = "Casustafel Zuid-Oost Gelderland – Dieren/Brummen 🌍 çàé… en omliggende kernen"
    expert = w.expert()
    expert.user.locale = "en"
    booking = booking_at(w, expert, local(2027, 2, 9), reference="DV-2027-0001234567")
    url = _feed(expert.user)

    text = client.get(url).get_data(as_text=True)

    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    for parser, events in read_all(text).items():
        summary = events[booking.calendar_uid].summary
        assert summary == ("Interpretation request DV-2027-0001234567 — Casustafel "
                           "Zuid-Oost Gelderland – Dieren/Brummen 🌍 çàé… en omliggende "
                           "kernen"), parser


def test_expert_without_bookings_gets_a_valid_empty_calendar(client, expert_world):
    _, expert = expert_world
    url = _feed(expert.user)

    text = client.get(url).get_data(as_text=True)

    assert "BEGIN:VTIMEZONE" in text
    assert read_all(text) == {"icalendar": {}, "vobject": {}, "ics": {}}


def test_if_none_match_answers_304_without_building(client, expert_world, monkeypatch):
    w, expert = expert_world
    booking_at(w, expert, local(2027, 2, 9))
    url = _feed(expert.user)
    etag = client.get(url).headers["ETag"]

    def must_not_build(*args, **kwargs):
        raise AssertionError("the calendar was built")

    monkeypatch.setattr(builder, "build_feed", must_not_build)
    monkeypatch.setattr(builder, "render_feed", must_not_build)
    monkeypatch.setattr(services, "feed_events", must_not_build)
    response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_feed_poll_opens_no_unit_of_work(client, expert_world):
    """The feed is read-only: a poll answered 304 neither begins nor commits an ORM session
    transaction (the calendar's most frequent request stays one plain query); a page does."""
    w, expert = expert_world
    booking_at(w, expert, local(2027, 2, 9))
    url = _feed(expert.user)
    etag = client.get(url).headers["ETag"]
    begun = []

    def count(session, *args):
        begun.append(session)

    event.listen(Session, "after_transaction_create", count)
    event.listen(Session, "after_commit", count)
    try:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert begun == []
        assert client.get("/login").status_code == 200
        assert begun != []
    finally:
        event.remove(Session, "after_transaction_create", count)
        event.remove(Session, "after_commit", count)


def test_if_none_match_compares_weakly(client, expert_world):
    # RFC 9110 13.1.2: If-None-Match uses the weak comparison; a compressing proxy may have
    # turned the ETag into W/"...". A different tag still gets the calendar.
    w, expert = expert_world
    booking_at(w, expert, local(2027, 2, 9))
    url = _feed(expert.user)
    etag = client.get(url).headers["ETag"]

    assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(url, headers={"If-None-Match": f'"x", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_if_modified_since_answers_304_without_building(client, expert_world, monkeypatch):
    w, expert = expert_world
    booking_at(w, expert, local(2027, 2, 9))
    url = _feed(expert.user)
    last_modified = client.get(url).headers["Last-Modified"]

    monkeypatch.setattr(builder, "build_feed", lambda *a, **k: 1 / 0)
    monkeypatch.setattr(builder, "render_feed", lambda *a, **k: 1 / 0)
    response = client.get(url, headers={"If-Modified-Since": last_modified})

    assert response.status_code == 304


def test_changed_booking_gets_a_full_answer_with_a_new_etag(client, expert_world):
    w, expert = expert_world
    booking = booking_at(w, expert, local(2027, 2, 9))
    url = _feed(expert.user)
    first = client.get(url)

    cancel_directly(booking, at=booking.updated_at + timedelta(seconds=2))
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"],
                                     "If-Modified-Since": first.headers["Last-Modified"]})

    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert b"STATUS:CANCELLED" in again.data


def test_stale_if_modified_since_gets_the_calendar(client, expert_world):
    w, expert = expert_world
    booking = booking_at(w, expert, local(2027, 2, 9))
    url = _feed(expert.user)

    response = client.get(url, headers={
        "If-Modified-Since": http_date(booking.updated_at - timedelta(days=1))})

    assert response.status_code == 200


def test_unknown_revoked_and_rotated_tokens_answer_404(client, expert_world):
    _, expert = expert_world
    rotated = _feed(expert.user)
    current = _feed(expert.user)
    feed = db.session.query(CalendarFeed).filter_by(revoked_at=None).one()

    assert client.get(rotated).status_code == 404
    assert client.get("/calendar/" + "A" * 43 + ".ics").status_code == 404
    assert client.get(current).status_code == 200
    services.revoke_feed(actor=expert.user, feed_id=feed.id)
    db.session.commit()
    assert client.get(current).status_code == 404


def test_deactivated_expert_feed_answers_404(client, expert_world):
    _, expert = expert_world
    url = _feed(expert.user)

    expert.is_active = False
    db.session.commit()

    assert client.get(url).status_code == 404


def test_requester_of_another_municipality_cannot_reach_a_case_table_feed(client, app):
    w = World()
    url = _feed(w.requester, scope="case_table", case_table_id=w.table.id)
    assert client.get(url).status_code == 200

    w.requester.municipality = World().town
    db.session.commit()

    assert client.get(url).status_code == 404


def test_feed_never_contains_question_text_or_case_code(client, app):
    w = World()
    expert = w.expert()
    booking_at(w, expert, local(2027, 2, 9), case_code="ZAAK-4711",
               question="Geheime duidingsvraag over persoon X")
    urls = [_feed(expert.user),
            _feed(w.requester, scope="case_table", case_table_id=w.table.id),
            _feed(w.coordinator, scope="all")]

    for url in urls:
        text = client.get(url).get_data(as_text=True).replace("\r\n ", "")
        assert "ZAAK-4711" not in text and "Geheime" not in text, url
        assert "BEGIN:VEVENT" in text, url


# --- the profile page ------------------------------------------------------------------------

def test_profile_creates_a_link_shown_once_with_https_and_webcal(client, login_as, app):
    w = World()
    expert = w.expert()
    expert.user.locale = "en"
    app.config["PUBLIC_BASE_URL"] = "https://duidingspool.example.org"
    db.session.commit()
    login_as(expert.user)

    created = client.post("/profiel/kalenders", data={"scope": "expert"})

    html = created.get_data(as_text=True)
    token = re.search(r"https://duidingspool\.example\.org/calendar/([\w-]+)\.ics", html)[1]
    assert f'href="webcal://duidingspool.example.org/calendar/{token}.ics"' in html
    assert "Outlook" in html and "Google" in html and "Apple" in html
    assert created.headers["Cache-Control"] == "no-store"
    assert token not in client.get("/profiel").get_data(as_text=True)
    assert client.get(f"/calendar/{token}.ics").status_code == 200


def test_profile_revoke_button_stops_the_link(client, login_as, app):
    w = World()
    expert = w.expert()
    url = _feed(expert.user)
    feed = db.session.query(CalendarFeed).one()
    login_as(expert.user)

    response = client.post(f"/profiel/kalenders/{feed.id}/intrekken", data={"confirm": "yes"})

    assert response.status_code == 302
    assert client.get(url).status_code == 404


def test_profile_refuses_a_feed_the_role_does_not_allow(client, login_as, app):
    w = World()
    db.session.commit()
    login_as(w.requester)

    response = client.post("/profiel/kalenders", data={"scope": "all"})

    assert response.status_code == 422
    assert db.session.query(CalendarFeed).count() == 0


def test_profile_post_needs_a_csrf_token(client, login_as, app):
    expert = World().expert()
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(expert.user)

    response = client.post("/profiel/kalenders", data={"scope": "expert"})

    assert response.status_code == 400
    assert db.session.query(CalendarFeed).count() == 0


def test_profile_needs_a_login(client, app):
    assert client.get("/profiel").status_code == 302


# --- tokens never in the logs ------------------------------------------------------------------

def test_filter_redacts_a_feed_url_in_a_werkzeug_access_line(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")

    logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s %s', "127.0.0.1", "22/Nov/2026",
                                       "GET /calendar/s3cr3t-T0ken_value.ics HTTP/1.1", "200", "-")

    assert "s3cr3t" not in caplog.text
    assert '"GET /calendar/[redacted] HTTP/1.1" 200' in caplog.text


@pytest.mark.parametrize("path", [
    "/calendar%2F{token}.ics",
    "/calendar%2f{token}.ics",
    "/%63alendar/{token}.ics",
    "/calendar%252F{token}.ics",
    "/CALENDAR/{token}.ics",
])
def test_real_dev_server_log_has_no_token_in_an_encoded_path(app, caplog, path):
    expert = World().expert()
    _, token = services.create_feed(actor=expert.user, scope="expert")
    db.session.commit()
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}" + path.format(token=token)
        try:
            urllib.request.urlopen(url, timeout=10).close()
        except urllib.error.HTTPError:
            pass  # served or not, the request line is logged
    finally:
        thread.join(timeout=10)
        server.server_close()

    assert "[redacted]" in caplog.text
    assert token not in caplog.text


@pytest.mark.parametrize("line", [
    "GET /calendar%2Fs3cr3t-T0ken_value.ics HTTP/1.1",
    "GET /calendar%252Fs3cr3t-T0ken_value.ics HTTP/1.1",
    "GET /%63%61lendar/s3cr3t-T0ken_value.ics HTTP/1.1",
    "GET /Calendar/s3cr3t-T0ken_value.ics HTTP/1.1",
    "GET %2Fcalendar%2Fs3cr3t-T0ken_value.ics HTTP/1.1",
])
def test_filter_redacts_an_encoded_feed_url(app, caplog, line):
    caplog.set_level(logging.INFO, logger="werkzeug")

    logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s %s', "127.0.0.1", "22/Nov/2026",
                                       line, "200", "-")

    assert "s3cr3t" not in caplog.text
    assert "[redacted]" in caplog.text


def test_filter_leaves_other_lines_alone():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "GET %s", ("/profiel",), None)

    assert FeedTokenFilter().filter(record) is True
    assert record.getMessage() == "GET /profiel"


def test_real_dev_server_log_has_no_token(app, caplog):
    expert = World().expert()
    _, token = services.create_feed(actor=expert.user, scope="expert")
    db.session.commit()
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        with urllib.request.urlopen(
                f"http://127.0.0.1:{server.server_port}/calendar/{token}.ics", timeout=10) as resp:
            assert resp.status == 200
    finally:
        thread.join(timeout=10)
        server.server_close()

    assert "/calendar/[redacted]" in caplog.text
    assert token not in caplog.text


def test_profile_link_without_public_base_url_uses_the_host_the_browser_asked_for(
        client, login_as, app):
    w = World()
    expert = w.expert()
    expert.user.locale = "en"
    app.config["PUBLIC_BASE_URL"] = None
    app.config["SERVER_NAME"] = None
    db.session.commit()
    login_as(expert.user)

    created = client.post("/profiel/kalenders", data={"scope": "expert"},
                          base_url="http://localhost:5213")

    html = created.get_data(as_text=True)
    token = re.search(r'value="http://localhost:5213/calendar/([\w-]+)\.ics"', html)[1]
    assert f'href="webcal://localhost:5213/calendar/{token}.ics"' in html
    assert "127.0.0.1:5000" not in html
    assert "Link (https)" not in html


def test_links_in_e_mail_never_follow_the_request_host(app):
    from duidingspool.urls import public_url

    app.config["PUBLIC_BASE_URL"] = None
    with app.test_request_context("/", base_url="http://evil.example.test"):
        assert public_url("accounts.forgot_password") == "http://127.0.0.1:5000/wachtwoord/vergeten"
        assert public_url("ical.feed", token="t", request_host=True).startswith(
            "http://evil.example.test/")
    app.config["PUBLIC_BASE_URL"] = "https://pool.example.org/app/"
    with app.test_request_context("/", base_url="http://evil.example.test"):
        assert public_url("ical.feed", token="t", request_host=True) == (
            "https://pool.example.org/app/calendar/t.ics")
def test_a_stored_case_table_name_with_a_line_break_still_gives_a_valid_feed(client, app):
    # A name stored before names refused control characters, written straight to the table.
    w = World()
    expert = w.expert()
    booking = booking_at(w, expert, local(2027, 2, 9), reference="DV-2027-0000042")
    db.session.execute(update(CaseTable).where(CaseTable.id == w.table.id)
                       .values(name="Casustafel\r\nTwente\x01\tNoord"))
    db.session.commit()
    urls = [_feed(expert.user), _feed(w.requester, scope="case_table", case_table_id=w.table.id)]

    for url in urls:
        response = client.get(url)
        text = response.get_data(as_text=True)

        assert response.status_code == 200
        for parser, events in read_all(text).items():
            assert "Casustafel Twente Noord" in events[booking.calendar_uid].summary, parser
