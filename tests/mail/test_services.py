"""Invitations queued with booking changes, and the sender that never loses a message."""

from __future__ import annotations

import email
import smtplib
import socketserver
import threading
from datetime import datetime, timedelta, timezone

import icalendar
import pytest
from sqlalchemy import delete, select

from duidingspool.bookings import services as bookings
from duidingspool.casetables.services import cancel_sitting, move_sitting
from duidingspool.extensions import db
from duidingspool.ical import services as feeds
from duidingspool.mail import services as mail
from duidingspool.mail.models import MailStatus, OutboxMessage
from duidingspool.referrals.services import cancel as cancel_referral
from tests.bookings.helpers import World
from tests.ical.helpers import read_all

# Later than anything the services stamp with the real clock.
# Messages are queued at the real time; sending is looked at a day later, so a slow run
# never reaches a moment before the messages were queued.
NOW = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)


def _messages():
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _booked(**request_kw):
    w = World()
    w.table.contact_email = "casustafel@example.org"
    referral = w.request(case_code="ZAAK-4711", question="Geheime duidingsvraag over persoon X",
                         **request_kw)
    expert = w.expert()
    [offer] = bookings.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    booking = bookings.accept(actor=expert.user, offer=offer)
    # The offer e-mail and the requester's notice have tests of their own (test_notices.py);
    # the tests here count the invitations alone.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.ics.is_(None)))
    return w, expert, booking


def _feed_event(user, scope, uid, **kw):
    _, token = feeds.create_feed(actor=user, scope=scope, **kw)
    events = {e.uid: e for e in feeds.feed_events(feeds.resolve(token))}
    return events[uid]


def test_accept_queues_a_request_to_the_expert_and_the_case_table_contact(app):
    w, expert, booking = _booked()

    messages = _messages()

    assert [(m.to_address, m.ics_method, m.status, m.booking_id) for m in messages] == [
        (expert.user.email, "REQUEST", "queued", booking.id),
        ("casustafel@example.org", "REQUEST", "queued", booking.id)]
    feed_event = _feed_event(expert.user, "expert", booking.calendar_uid)
    for message in messages:
        for parser, events in read_all(message.ics).items():
            seen = events[booking.calendar_uid]
            assert (seen.sequence, seen.status) == (feed_event.sequence, "CONFIRMED"), parser
            assert seen.start.astimezone(timezone.utc) == booking.starts_at, parser
        assert "METHOD:REQUEST" in message.ics.split("\r\n")
        assert "ORGANIZER;CN=Duidingspool:mailto:duidingspool@example.org" in message.ics
        assert booking.referral.reference in message.subject


def _event_in(ics: str | bytes, uid: str) -> dict:
    """What a calendar program shows of the event `uid` (not DTSTAMP: an invitation is
    stamped when sent, a feed's event when last changed; not ORGANIZER or ATTENDEE)."""
    [event] = [e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")
               if str(e["UID"]) == uid]
    return {"uid": str(event["UID"]), "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"), "sequence": int(event["SEQUENCE"]),
            "status": str(event["STATUS"]), "summary": str(event["SUMMARY"]),
            "location": str(event["LOCATION"]), "url": str(event["URL"]),
            "description": str(event["DESCRIPTION"])}


def test_invitations_carry_the_same_event_as_the_feeds(app):
    w, expert, booking = _booked()
    _, expert_token = feeds.create_feed(actor=expert.user, scope="expert")
    _, table_token = feeds.create_feed(actor=w.requester, scope="case_table",
                                       case_table_id=w.table.id)
    uid = booking.calendar_uid
    expert_feed = feeds.feed_body(feeds.resolve(expert_token))
    table_feed = feeds.feed_body(feeds.resolve(table_token))

    to_expert, to_table = _messages()

    assert _event_in(to_expert.ics, uid) == _event_in(expert_feed, uid)
    assert _event_in(to_table.ics, uid) == _event_in(table_feed, uid)
    assert _event_in(to_expert.ics, uid)["url"] == (
        f"http://127.0.0.1:5000/boekingen/mijn#booking-{booking.id}")
    assert _event_in(to_table.ics, uid)["url"] == (
        f"http://127.0.0.1:5000/verzoeken/{booking.referral_id}")
    assert expert.user.name in _event_in(to_table.ics, uid)["summary"]


def test_moving_the_session_queues_a_request_with_a_higher_sequence(app):
    w, expert, booking = _booked()
    sitting = booking.sitting

    move_sitting(actor=w.coordinator, sitting=sitting,
                 starts_at=sitting.starts_at + timedelta(hours=1),
                 ends_at=sitting.ends_at + timedelta(hours=1))

    moved = [m for m in _messages() if m.ics and "\r\nSEQUENCE:1\r\n" in m.ics]
    assert [(m.to_address, m.ics_method) for m in moved] == [
        (expert.user.email, "REQUEST"), ("casustafel@example.org", "REQUEST")]
    for message in moved:
        seen = read_all(message.ics)["vobject"][booking.calendar_uid]
        assert seen.sequence == booking.sequence == 1
        assert seen.start.astimezone(timezone.utc) == sitting.starts_at


def test_cancelling_the_booking_queues_a_cancel(app):
    w, expert, booking = _booked()

    bookings.cancel_booking(actor=w.coordinator, booking=booking, reason="Dubbel geboekt")

    cancels = [m for m in _messages() if m.ics_method == "CANCEL"]
    assert [m.to_address for m in cancels] == [expert.user.email, "casustafel@example.org"]
    for message in cancels:
        assert "METHOD:CANCEL" in message.ics.split("\r\n")
        for parser, events in read_all(message.ics).items():
            seen = events[booking.calendar_uid]
            assert (seen.sequence, seen.status) == (1, "CANCELLED"), parser


def test_cancelling_the_request_or_the_session_queues_cancels(app):
    w, expert, booking = _booked()
    w2, expert2, booking2 = _booked()

    cancel_referral(actor=w.requester, referral=booking.referral, reason="Niet meer nodig")
    cancel_sitting(actor=w2.coordinator, sitting=booking2.sitting, reason="Vervalt")

    cancels = {(m.booking_id, m.to_address) for m in _messages() if m.ics_method == "CANCEL"}
    assert cancels == {(booking.id, expert.user.email), (booking.id, "casustafel@example.org"),
                       (booking2.id, expert2.user.email),
                       (booking2.id, "casustafel@example.org")}


def test_messages_never_contain_question_text_or_case_code(app):
    w, expert, booking = _booked()
    bookings.cancel_booking(actor=w.coordinator, booking=booking, reason="Dubbel geboekt")

    for message in _messages():
        raw = " ".join([message.subject, message.body_text,
                        (message.ics or "").replace("\r\n ", "")])
        assert "ZAAK-4711" not in raw and "Geheime" not in raw
        assert booking.referral.reference in raw


def test_queueing_the_same_invitation_twice_keeps_one(app):
    _, _, booking = _booked()

    mail.queue_invitations(booking=booking)

    assert len(_messages()) == 2


def test_without_smtp_host_messages_stay_in_the_outbox(app):
    _booked()

    assert mail.send_due(now=NOW) == (0, 0)
    assert {m.status for m in _messages()} == {MailStatus.QUEUED}


class FakeSMTP:
    """smtplib.SMTP's surface, failing while `broken` is set; keeps what it sent."""

    sent: list = []
    broken = False
    connect_fails = False

    def __init__(self, host, port, timeout=None):
        if FakeSMTP.connect_fails:
            raise ConnectionRefusedError("connection refused")
        self.host, self.port = host, port

    def starttls(self, context=None):
        pass

    def login(self, user, password):
        pass

    def send_message(self, msg):
        if FakeSMTP.broken:
            raise smtplib.SMTPDataError(451, b"try again later")
        FakeSMTP.sent.append(msg)
        return {}

    def quit(self):
        pass


@pytest.fixture
def fake_smtp(app):
    FakeSMTP.sent, FakeSMTP.broken, FakeSMTP.connect_fails = [], False, False
    app.config.update(SMTP_HOST="smtp.example.org", SMTP_PORT=587)
    return FakeSMTP


def test_smtp_failure_keeps_the_message_queued_and_a_retry_sends_it(app, fake_smtp):
    _booked()
    fake_smtp.broken = True

    assert mail.send_due(now=NOW, smtp_factory=fake_smtp) == (0, 2)
    assert [(m.status, m.attempts, m.next_attempt_at) for m in _messages()] == [
        (MailStatus.QUEUED, 1, NOW + timedelta(minutes=1))] * 2
    assert "try again later" in _messages()[0].last_error

    fake_smtp.broken = False
    assert mail.send_due(now=NOW + timedelta(seconds=30), smtp_factory=fake_smtp) == (0, 0)
    assert mail.send_due(now=NOW + timedelta(minutes=2), smtp_factory=fake_smtp) == (2, 0)
    assert [(m.status, m.attempts, m.sent_at) for m in _messages()] == [
        (MailStatus.SENT, 2, NOW + timedelta(minutes=2))] * 2
    assert len(fake_smtp.sent) == 2


def test_unreachable_server_backs_off_then_gives_up(app, fake_smtp):
    _booked()
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    fake_smtp.connect_fails = True
    delays = []
    at = NOW
    for _ in range(3):
        mail.send_due(now=at, smtp_factory=fake_smtp)
        message = _messages()[0]
        if message.next_attempt_at:
            delays.append(message.next_attempt_at - at)
            at = message.next_attempt_at

    assert delays == [timedelta(minutes=1), timedelta(minutes=5)]
    assert [(m.status, m.attempts) for m in _messages()] == [(MailStatus.FAILED, 3)] * 2


def test_sent_email_carries_the_itip_calendar(app, fake_smtp):
    _, expert, booking = _booked()

    mail.send_due(now=NOW, smtp_factory=fake_smtp)

    msg = fake_smtp.sent[0]
    assert msg["To"] == expert.user.email
    calendar_parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert [p.get_param("method") for p in calendar_parts] == ["REQUEST"]
    text = calendar_parts[0].get_content()
    assert booking.calendar_uid in text
    assert read_all(text)["ics"][booking.calendar_uid].sequence == 0


class _SinkHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept messages (RFC 5321 happy path)."""

    def handle(self):
        self.wfile.write(b"220 sink ESMTP\r\n")
        data_mode, lines = False, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data_mode:
                if line == b".\r\n":
                    self.server.received.append(b"".join(lines))
                    data_mode, lines = False, []
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                data_mode = True
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_real_smtp_sink_on_localhost_receives_the_invitation(app):
    _, expert, booking = _booked()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SinkHandler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.server_address[1],
                      SMTP_STARTTLS=False, SMTP_TIMEOUT_SECONDS=5)
    try:
        result = mail.send_due(now=NOW)
    finally:
        server.shutdown()
        server.server_close()

    assert result == (2, 0)
    received = [email.message_from_bytes(raw) for raw in server.received]
    assert [m["To"] for m in received] == [expert.user.email, "casustafel@example.org"]
    assert booking.calendar_uid.encode() in server.received[0]


def test_a_message_that_cannot_be_built_fails_and_the_next_is_still_sent(app, fake_smtp):
    # A subject with a line break, as a case-table name stored before names refused them
    # made it: written straight to the table, as the queue functions no longer let it in.
    db.session.add_all([
        OutboxMessage(to_address="a@example.org", subject="Geboekt: Casustafel\nTwente",
                      body_text="x", status=MailStatus.QUEUED, attempts=0, created_at=NOW,
                      next_attempt_at=NOW),
        OutboxMessage(to_address="b@example.org", subject="Geboekt: Casustafel Twente",
                      body_text="y", status=MailStatus.QUEUED, attempts=0, created_at=NOW,
                      next_attempt_at=NOW)])
    db.session.flush()

    assert mail.send_due(now=NOW, smtp_factory=fake_smtp) == (1, 1)
    broken, good = _messages()
    assert (broken.status, broken.next_attempt_at, broken.last_error) == (
        MailStatus.FAILED, None, "cannot be built: ValueError")
    assert good.status == MailStatus.SENT
    assert [m["To"] for m in fake_smtp.sent] == ["b@example.org"]
    assert mail.send_due(now=NOW + timedelta(hours=1), smtp_factory=fake_smtp) == (0, 0)


def test_queued_subjects_are_one_line(app):
    message = mail.queue(to_address="a@example.org", subject="Geboekt:\r\nCasustafel\tTwente",
                         body_text="x")

    assert message.subject == "Geboekt: Casustafel Twente"
