"""E-mails that keep people informed: the offer to the expert, its reminder, and the notices to
the requester and the case table when their request is booked, moved, cancelled by the pool or
left unfilled. Each is queued once, in its recipient's language, without case details."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.bookings import services as bookings
from duidingspool.bookings.models import OfferStatus
from duidingspool.casetables.services import cancel_sitting, move_sitting
from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.jobs.registry import JOBS
from duidingspool.jobs.runner import run_job
from duidingspool.mail import reminders
from duidingspool.mail import services as mail
from duidingspool.mail.models import OutboxMessage
from duidingspool.referrals.services import cancel as cancel_referral
from tests import factories as f
from tests.bookings.helpers import World, next_weekday_at

CONTACT = "casustafel@example.org"
SECRETS = ("ZAAK-4711", "Geheime duidingsvraag")


def _messages(prefix: str = "") -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(prefix))
        .order_by(OutboxMessage.id)))


def _sent_to(prefix: str) -> list[str]:
    return [m.to_address for m in _messages(prefix)]


def _world(**request_kw):
    w = World()
    w.requester.locale = "en"
    w.table.contact_email = CONTACT
    w.table.address = "Stationsplein 1, Hengelo"
    referral = w.request(case_code="ZAAK-4711", question="Geheime duidingsvraag over persoon X",
                         **request_kw)
    return w, referral


def _expert(w, name="Deskundige Een"):
    expert = w.expert()
    expert.user.locale, expert.user.name = "en", name
    return expert


def _booked():
    w, referral = _world()
    expert = _expert(w)
    [offer] = bookings.make_offers(actor=w.coordinator, referral=referral,
                                   expert_ids=[expert.id])
    booking = bookings.accept(actor=expert.user, offer=offer)
    return w, expert, booking


def _assert_no_case_details(messages):
    assert messages
    for message in messages:
        for secret in SECRETS:
            assert secret not in message.subject and secret not in message.body_text


# --- the offer to the expert ------------------------------------------------------------------

def test_offer_puts_an_email_for_the_expert_in_the_outbox(app):
    w, referral = _world(starts_at=datetime(2027, 3, 9, 12, 0, tzinfo=timezone.utc))
    expert = _expert(w)
    now = referral.sitting.starts_at - timedelta(days=5)

    [offer] = bookings.make_offers(actor=w.coordinator, referral=referral,
                                   expert_ids=[expert.id], now=now)

    [message] = _messages("offer:")
    assert (message.to_address, message.dedupe_key) == (expert.user.email, f"offer:{offer.id}")
    assert message.subject == f"Offer: {referral.reference}, {w.table.name}, 09-03-2027 13:00"
    area = w.area.name_en
    assert message.body_text.splitlines()[:10] == [
        "The pool asks whether you can take on this request:",
        "",
        f"Case table: {w.table.name}",
        "When: Tuesday 9 March 2027 13:00–15:00",
        "Where: Stationsplein 1, Hengelo",
        f"Expertise asked: {area} (level 1)",
        "Estimated hours: 3:00",
        "Answer before: Saturday 6 March 2027 13:00",
        "",
        f"Accept or decline: http://127.0.0.1:5000/aanbiedingen#offer-{offer.id}",
    ]
    assert f"http://127.0.0.1:5000/verzoeken/{referral.id}" in message.body_text
    _assert_no_case_details([message])


def test_offer_email_says_online_for_an_online_request(app):
    w, referral = _world(mode="online")
    expert = _expert(w)

    bookings.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    [message] = _messages("offer:")
    assert "Where: Online" in message.body_text.splitlines()


def test_offer_email_is_in_the_experts_language(app):
    w, referral = _world()
    expert = _expert(w)
    expert.user.locale = "nl"

    bookings.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    [message] = _messages("offer:")
    assert message.subject.startswith("Aanbod: ")
    assert "Antwoord vóór: " in message.body_text


def test_only_the_first_of_a_queue_is_mailed_and_the_cascade_mails_the_next(app):
    w, referral = _world()
    first, second, third = _expert(w), _expert(w), _expert(w)
    offers = bookings.make_offers(actor=w.coordinator, referral=referral,
                                  expert_ids=[first.id, second.id, third.id])
    assert _sent_to("offer:") == [first.user.email]

    bookings.decline(actor=first.user, offer=offers[0])
    assert _sent_to("offer:") == [first.user.email, second.user.email]

    bookings.expire_offer(offer_id=offers[1].id, now=offers[1].expires_at)
    assert _sent_to("offer:") == [first.user.email, second.user.email, third.user.email]
    assert [m.dedupe_key for m in _messages("offer:")] == [f"offer:{o.id}" for o in offers]


def test_offer_email_is_queued_once_however_often_it_is_asked(app):
    w, referral = _world()
    expert = _expert(w)
    [offer] = bookings.make_offers(actor=w.coordinator, referral=referral,
                                   expert_ids=[expert.id])

    assert mail.queue_offer_mail(offer=offer) is False

    assert len(_messages("offer:")) == 1


# --- the reminder before the answer deadline ---------------------------------------------------

def _offered(*, starts_at=None, now=None):
    w, referral = _world(starts_at=starts_at or next_weekday_at(12, days_ahead=10))
    expert = _expert(w)
    now = now or utcnow()
    [offer] = bookings.make_offers(actor=w.coordinator, referral=referral,
                                   expert_ids=[expert.id], now=now)
    return expert, offer


def test_offer_reminder_comes_once_when_the_deadline_is_near(app):
    expert, offer = _offered()
    due = offer.expires_at - timedelta(hours=11)

    assert reminders.queue_offer_reminders(now=offer.expires_at - timedelta(hours=13)) == 0
    assert reminders.queue_offer_reminders(now=due) == 1
    assert reminders.queue_offer_reminders(now=due + timedelta(minutes=15)) == 0

    [message] = _messages("offer-reminder:")
    assert (message.to_address, message.dedupe_key) == (
        expert.user.email, f"offer-reminder:offer:{offer.id}")
    assert message.subject.startswith("Please answer before ")
    assert message.body_text.startswith(
        "Reminder: the pool is still waiting for your answer to this offer.")
    _assert_no_case_details([message])


def test_offer_reminder_time_is_a_setting(app):
    app.config["OFFER_REMINDER_BEFORE_HOURS"] = 30
    _, offer = _offered()

    assert reminders.queue_offer_reminders(now=offer.expires_at - timedelta(hours=29)) == 1


def test_no_offer_reminder_once_the_offer_is_answered(app):
    expert, offer = _offered()
    bookings.decline(actor=expert.user, offer=offer)

    assert reminders.queue_offer_reminders(now=offer.expires_at - timedelta(hours=1)) == 0
    assert _messages("offer-reminder:") == []


def test_no_offer_reminder_for_an_offer_sent_inside_the_reminder_time(app):
    # The session is 6 hours away, so the deadline is too: the offer e-mail just went out.
    # Offered at 06:00 UTC of a weekday, so the session falls in the expert's availability
    # whatever time of day the suite runs.
    offered_at = next_weekday_at(6, days_ahead=3)
    expert, offer = _offered(starts_at=offered_at + timedelta(hours=6), now=offered_at)
    offer_is_short = offer.expires_at - offer.offered_at < timedelta(hours=12)

    assert offer_is_short
    assert reminders.offer_reminder_ids(now=offer.offered_at + timedelta(minutes=5)) == []


def test_offer_reminders_job_reminds_each_offer_once(app):
    _, offer = _offered()
    other_expert, other = _offered()
    db.session.commit()
    now = max(offer.expires_at, other.expires_at) - timedelta(hours=1)

    run = run_job(JOBS["offer_reminders"], slot="a", now=now)
    again = run_job(JOBS["offer_reminders"], slot="b", now=now + timedelta(minutes=15))

    assert (run.outcome, run.processed) == ("ok", 2)
    assert (again.outcome, again.processed) == ("ok", 0)
    assert sorted(m.dedupe_key for m in _messages("offer-reminder:")) == sorted(
        [f"offer-reminder:offer:{offer.id}", f"offer-reminder:offer:{other.id}"])


# --- the requester and the case table ----------------------------------------------------------

def test_booking_tells_the_requester_with_the_experts_name(app):
    w, expert, booking = _booked()
    referral = booking.referral

    [notice] = _messages("notice:")
    assert notice.to_address == w.requester.email
    assert notice.subject.startswith(f"Booked: {referral.reference}, {w.table.name}, ")
    lines = notice.body_text.splitlines()
    assert lines[0] == (f"Your request {referral.reference} has been booked: "
                        "Deskundige Een will interpret it.")
    assert "Expert: Deskundige Een" in lines
    assert f"Details: http://127.0.0.1:5000/verzoeken/{referral.id}" in lines
    # The case table's contact hears it from the invitation, which names the expert too.
    [invitation] = [m for m in _messages("itip:") if m.to_address == CONTACT]
    assert "Expert: Deskundige Een" in invitation.body_text.splitlines()
    assert _sent_to("notice:") == [w.requester.email]


def test_moving_the_session_tells_the_requester_of_the_new_time(app):
    w, expert, booking = _booked()
    sitting = booking.sitting

    move_sitting(actor=w.coordinator, sitting=sitting,
                 starts_at=sitting.starts_at + timedelta(hours=1),
                 ends_at=sitting.ends_at + timedelta(hours=1))

    moved = _messages("notice:moved:")
    assert [m.to_address for m in moved] == [w.requester.email]
    assert moved[0].subject.startswith(f"Changed: {booking.referral.reference}, ")
    assert moved[0].body_text.splitlines()[0] == (
        f"The session of request {booking.referral.reference} has changed; "
        "the booking follows it.")


def test_coordinator_cancelling_the_booking_tells_the_requester(app):
    w, expert, booking = _booked()

    bookings.cancel_booking(actor=w.coordinator, booking=booking, reason="Dubbel geboekt")

    [notice] = _messages("notice:booking_cancelled:")
    assert notice.to_address == w.requester.email
    assert notice.body_text.splitlines()[0] == (
        f"The pool has cancelled the booking of request {booking.referral.reference}. "
        "The request is open again and the pool looks for another expert.")
    assert "Dubbel geboekt" not in notice.body_text


def test_requester_cancelling_the_booking_is_not_told_back(app):
    w, expert, booking = _booked()

    bookings.cancel_booking(actor=w.requester, booking=booking, reason="Niet meer nodig")

    assert _messages("notice:booking_cancelled:") == []


def test_coordinator_cancelling_an_open_request_tells_requester_and_contact(app):
    w, referral = _world()

    cancel_referral(actor=w.coordinator, referral=referral, reason="Dubbel ingediend")

    assert _sent_to("notice:cancelled:") == [w.requester.email, CONTACT]
    assert _messages("notice:cancelled:")[0].body_text.splitlines()[0] == (
        f"The pool has cancelled request {referral.reference}.")


def test_coordinator_cancelling_a_booked_request_sends_one_email_per_person(app):
    w, expert, booking = _booked()

    cancel_referral(actor=w.coordinator, referral=booking.referral, reason="Vervalt")

    # The requester gets the request's notice (not a second one about the booking); the
    # contact gets the calendar cancellation of the booking.
    assert _sent_to("notice:") == [w.requester.email, w.requester.email]
    assert [m.dedupe_key.split(":")[1] for m in _messages("notice:")] == ["booked", "cancelled"]
    assert [m.to_address for m in _messages("itip:") if m.ics_method == "CANCEL"] == [
        expert.user.email, CONTACT]


def test_requester_cancelling_their_request_gets_no_notice(app):
    w, referral = _world()

    cancel_referral(actor=w.requester, referral=referral, reason="Niet meer nodig")

    assert _messages("notice:") == []


def test_cancelled_session_tells_requester_and_contact(app):
    w, referral = _world()

    cancel_sitting(actor=w.coordinator, sitting=referral.sitting, reason="Vervalt")

    assert _sent_to("notice:cancelled:") == [w.requester.email, CONTACT]
    assert _messages("notice:cancelled:")[0].body_text.splitlines()[0] == (
        f"Request {referral.reference} has been cancelled because its session was cancelled.")


def test_unfilled_request_tells_requester_and_contact_once(app):
    w, referral = _world()
    expert = _expert(w)
    bookings.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    at = referral.sitting.starts_at

    assert bookings.close_past(now=at) == 1
    assert bookings.close_past(now=at + timedelta(minutes=15)) == 0
    mail.queue_request_notice(referral=referral, kind=mail.UNFILLED)

    assert _sent_to("notice:unfilled:") == [w.requester.email, CONTACT]
    notice = _messages("notice:unfilled:")[0]
    assert notice.subject.startswith(f"Not filled: {referral.reference}, {w.table.name}, ")
    assert notice.body_text.splitlines()[0].startswith(
        f"No expert accepted request {referral.reference} in time")


def test_notice_is_in_the_requesters_language_and_the_contacts_in_dutch(app):
    w, referral = _world()
    w.requester.locale = "nl"

    cancel_referral(actor=w.coordinator, referral=referral, reason="Dubbel ingediend")

    subjects = [m.subject for m in _messages("notice:cancelled:")]
    assert [s.split(":")[0] for s in subjects] == ["Geannuleerd", "Geannuleerd"]


def test_disabled_requester_gets_no_notice_but_the_contact_does(app):
    w, referral = _world()
    w.requester.is_enabled = False

    cancel_referral(actor=w.coordinator, referral=referral, reason="Dubbel ingediend")

    assert _sent_to("notice:") == [CONTACT]


def test_requester_who_is_the_contact_gets_one_email_per_change(app):
    w, referral = _world()
    colleague = f.user(Role.REQUESTER, municipality_obj=w.town)
    w.table.contact_email = colleague.email
    referral.created_by = colleague
    expert = _expert(w)
    [offer] = bookings.make_offers(actor=w.coordinator, referral=referral,
                                   expert_ids=[expert.id])

    bookings.accept(actor=expert.user, offer=offer)

    assert [m.to_address for m in _messages() if m.to_address == colleague.email] == [
        colleague.email]


def test_no_message_carries_the_question_or_the_case_code(app):
    w, expert, booking = _booked()
    sitting = booking.sitting
    move_sitting(actor=w.coordinator, sitting=sitting,
                 starts_at=sitting.starts_at + timedelta(hours=1),
                 ends_at=sitting.ends_at + timedelta(hours=1))
    bookings.cancel_booking(actor=w.coordinator, booking=booking, reason="Dubbel geboekt")
    cancel_sitting(actor=w.coordinator, sitting=sitting, reason="Vervalt")

    assert {m.dedupe_key.split(":")[0] for m in _messages()} == {"offer", "itip", "notice"}
    _assert_no_case_details(_messages())


def test_offers_are_withdrawn_before_the_notice_of_a_cancelled_session(app):
    w, referral = _world()
    expert = _expert(w)
    [offer] = bookings.make_offers(actor=w.coordinator, referral=referral,
                                   expert_ids=[expert.id])

    cancel_sitting(actor=w.coordinator, sitting=referral.sitting, reason="Vervalt")
    db.session.refresh(offer)

    assert offer.status == OfferStatus.WITHDRAWN
    assert _sent_to("notice:cancelled:") == [w.requester.email, CONTACT]
