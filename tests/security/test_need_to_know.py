"""Need to know: an expert reads a request's question and case code (its page and
GET /api/v1/requests/{id}) only while it is offered to them or booked for them, and every read
is audited. Before the offer is sent (queued), and after they decline, the coordinator
withdraws it, it expires, or the request or booking is cancelled, the same URLs answer 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from duidingspool.audit.models import AuditEvent
from duidingspool.bookings import services as bookings
from duidingspool.casetables.services import cancel_sitting
from duidingspool.extensions import db
from duidingspool.referrals.services import cancel as cancel_referral
from tests.bookings.helpers import World


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


class Case:
    """A request offered to a queue of two experts; a third expert has nothing to do with it."""

    def __init__(self):
        self.w = World()
        self.referral = self.w.request(case_code="ZAAK-4711", language="nl",
                                       question="Duiding gevraagd van uitingen op een forum.")
        self.first, self.second, self.stranger = (self.w.expert(), self.w.expert(),
                                                  self.w.expert())
        for expert in (self.first, self.second, self.stranger):
            expert.user.locale = "en"
        self.offers = bookings.make_offers(actor=self.w.coordinator, referral=self.referral,
                                           expert_ids=[self.first.id, self.second.id])
        db.session.commit()

    def urls(self) -> list[str]:
        return [f"/verzoeken/{self.referral.id}", f"/api/v1/requests/{self.referral.id}"]


@pytest.fixture
def case(app):
    return Case()


def _answers(client, case) -> list[int]:
    return [client.get(url).status_code for url in case.urls()]


def _reads(user) -> list[str]:
    return list(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == user.id,
                                        AuditEvent.action == "referral.view_question")))


def test_expert_with_an_offer_reads_the_request_and_each_read_is_audited(case, login_as):
    client = login_as(case.first.user)

    page = client.get(f"/verzoeken/{case.referral.id}")
    api = client.get(f"/api/v1/requests/{case.referral.id}")

    assert (page.status_code, api.status_code) == (200, 200)
    html = page.get_data(as_text=True)
    for shown in ("Duiding gevraagd van uitingen op een forum.", "ZAAK-4711",
                  f"{case.w.area.name_en} (level 1)", "Stationsplein 1",
                  f'action="/aanbiedingen/{case.offers[0].id}/accepteren"',
                  f'action="/aanbiedingen/{case.offers[0].id}/afwijzen"'):
        assert shown in html
    body = api.get_json()
    assert (body["question"], body["case_code"], body["language"]) == (
        "Duiding gevraagd van uitingen op een forum.", "ZAAK-4711", "nl")
    assert [a["area_id"] for a in body["areas"]] == [case.w.area.id]
    assert _reads(case.first.user) == ["referral.view_question"] * 2


def test_expert_page_shows_no_coordinator_or_requester_actions(case, login_as):
    html = login_as(case.first.user).get(f"/verzoeken/{case.referral.id}").get_data(as_text=True)

    assert "Candidates" not in html
    assert f"/verzoeken/{case.referral.id}/annuleren" not in html
    assert f"/aanbiedingen/{case.offers[0].id}/intrekken" not in html


def test_queued_expert_gets_404_until_the_offer_reaches_them(case, login_as):
    client = login_as(case.second.user)
    assert _answers(client, case) == [404, 404]

    bookings.decline(actor=case.first.user, offer=case.offers[0])
    db.session.commit()

    assert _answers(client, case) == [200, 200]


def test_other_expert_gets_404_and_nothing_is_audited(case, login_as):
    client = login_as(case.stranger.user)

    assert _answers(client, case) == [404, 404]
    assert _reads(case.stranger.user) == []


def test_expert_who_declined_gets_404(case, login_as):
    bookings.decline(actor=case.first.user, offer=case.offers[0])
    db.session.commit()

    assert _answers(login_as(case.first.user), case) == [404, 404]


def test_expert_whose_offer_was_withdrawn_gets_404(case, login_as):
    bookings.withdraw(actor=case.w.coordinator, offer=case.offers[0])
    db.session.commit()

    assert _answers(login_as(case.first.user), case) == [404, 404]


def test_expert_whose_offer_expired_gets_404_even_before_the_expiry_job(case, login_as):
    offer = case.offers[0]
    offer.offered_at -= timedelta(days=2)
    offer.expires_at = offer.offered_at + timedelta(days=1)
    db.session.commit()

    assert _answers(login_as(case.first.user), case) == [404, 404]

    bookings.expire_offer(offer_id=offer.id, now=offer.expires_at)
    db.session.commit()
    assert _answers(login_as(case.first.user), case) == [404, 404]


def test_expert_of_a_cancelled_request_gets_404(case, login_as):
    cancel_referral(actor=case.w.coordinator, referral=case.referral, reason="Vervalt")
    db.session.commit()

    assert _answers(login_as(case.first.user), case) == [404, 404]


def test_booked_expert_reads_the_request_until_the_booking_is_cancelled(case, login_as):
    booking = bookings.accept(actor=case.first.user, offer=case.offers[0])
    db.session.commit()
    client = login_as(case.first.user)

    page = client.get(f"/verzoeken/{case.referral.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="booking"' in html and "Confirmed" in html
    assert "/accepteren" not in html
    assert _answers(login_as(case.second.user), case) == [404, 404]

    bookings.cancel_booking(actor=case.w.coordinator, booking=booking, reason="Dubbel")
    db.session.commit()

    assert _answers(login_as(case.first.user), case) == [404, 404]


def test_booked_expert_of_a_cancelled_session_gets_404(case, login_as):
    bookings.accept(actor=case.first.user, offer=case.offers[0])
    db.session.commit()

    cancel_sitting(actor=case.w.coordinator, sitting=case.referral.sitting, reason="Vervalt")
    db.session.commit()

    assert _answers(login_as(case.first.user), case) == [404, 404]


def test_offer_card_and_booking_link_to_the_request_page(case, login_as):
    client = login_as(case.first.user)
    link = f'href="/verzoeken/{case.referral.id}"'

    assert link in client.get("/aanbiedingen").get_data(as_text=True)
    bookings.accept(actor=case.first.user, offer=case.offers[0])
    db.session.commit()
    assert link in client.get("/boekingen/mijn").get_data(as_text=True)


def test_expert_home_lists_offers_by_deadline_then_upcoming_bookings(case, login_as):
    later = case.w.request(starts_at=case.referral.sitting.starts_at + timedelta(days=3))
    booked = case.w.request(starts_at=case.referral.sitting.starts_at + timedelta(days=1))
    [later_offer] = bookings.make_offers(actor=case.w.coordinator, referral=later,
                                         expert_ids=[case.first.id])
    later_offer.expires_at = case.offers[0].expires_at + timedelta(hours=1)
    [booked_offer] = bookings.make_offers(actor=case.w.coordinator, referral=booked,
                                          expert_ids=[case.first.id])
    booking = bookings.accept(actor=case.first.user, offer=booked_offer)
    db.session.commit()

    html = login_as(case.first.user).get("/").get_data(as_text=True)

    order = [html.index(marker) for marker in (
        f'id="offer-{case.offers[0].id}"', f'id="offer-{later_offer.id}"',
        f'id="booking-{booking.id}"')]
    assert order == sorted(order)
    assert "Your offers and bookings will appear here." not in html


def test_requester_sees_the_booked_expert_and_the_bookings_state(case, login_as):
    case.first.user.name = "Deskundige Een"
    booking = bookings.accept(actor=case.first.user, offer=case.offers[0])
    db.session.commit()
    client = login_as(case.w.requester)

    booked = client.get(f"/verzoeken/{case.referral.id}").get_data(as_text=True)
    bookings.cancel_booking(actor=case.w.coordinator, booking=booking, reason="Dubbel")
    db.session.commit()
    cancelled = client.get(f"/verzoeken/{case.referral.id}").get_data(as_text=True)

    assert "Deskundige Een" in booked and "booking-confirmed" in booked
    assert "Deskundige Een" in cancelled and "booking-cancelled" in cancelled
