"""Direct booking by the coordinator: the rules of an accepted offer, without the offer."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from duidingspool.audit.models import AuditEvent
from duidingspool.bookings import services
from duidingspool.bookings.models import Booking, BookingStatus, Offer, OfferStatus
from duidingspool.budget.models import Budget
from duidingspool.errors import BudgetExceeded, Conflict, ValidationFailed
from duidingspool.experts.models import Absence
from duidingspool.extensions import db
from duidingspool.mail.models import OutboxMessage
from duidingspool.referrals.models import ReferralStatus
from duidingspool.timeutil import to_local
from tests import factories as f
from tests.bookings.helpers import World, next_weekday_at


def _offers(referral) -> list[tuple[int, str]]:
    db.session.expire_all()
    return [(o.expert_id, o.status) for o in db.session.scalars(
        select(Offer).where(Offer.referral_id == referral.id).order_by(Offer.queue_position))]


def _bookings() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


def _absent(expert, referral):
    db.session.add(Absence(expert_id=expert.id,
                           starts_at=referral.sitting.starts_at - timedelta(hours=1),
                           ends_at=referral.sitting.ends_at + timedelta(hours=1)))
    db.session.flush()


def row_of(page: str, element_id: str) -> str:
    match = re.search(rf'<tr[^>]*id="{element_id}".*?</tr>', page, re.S)
    assert match, f"no row {element_id}"
    return match.group(0)


def _budget(referral, amount: str) -> None:
    db.session.add(Budget(year=to_local(referral.sitting.starts_at).year,
                          amount=Decimal(amount)))
    db.session.flush()


# --- the service -----------------------------------------------------------------------------

def test_direct_booking_books_withdraws_open_offers_invites_and_is_audited(app):
    w = World()
    referral = w.request()
    first, second, chosen = w.expert(), w.expert(), w.expert()
    services.make_offers(actor=w.coordinator, referral=referral,
                         expert_ids=[first.id, second.id])

    booking = services.book_directly(actor=w.coordinator, referral=referral,
                                     expert_id=chosen.id)

    assert (booking.status, booking.expert_id) == (BookingStatus.CONFIRMED, chosen.id)
    assert (booking.starts_at, booking.ends_at) == (referral.sitting.starts_at,
                                                    referral.sitting.ends_at)
    assert referral.status == ReferralStatus.BOOKED
    assert _offers(referral) == [(first.id, OfferStatus.WITHDRAWN),
                                 (second.id, OfferStatus.WITHDRAWN),
                                 (chosen.id, OfferStatus.ACCEPTED)]
    offer = db.session.get(Offer, booking.offer_id)
    assert (offer.created_by_id, offer.queue_position) == (w.coordinator.id, 3)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.direct"))
    assert (event.actor_id, event.object_id) == (w.coordinator.id, booking.id)
    assert event.details == {"request_id": referral.id, "expert_id": chosen.id,
                             "offer_id": offer.id, "offer_was": None, "offers_withdrawn": 2}
    assert db.session.scalars(select(OutboxMessage.to_address).where(
        OutboxMessage.booking_id == booking.id, OutboxMessage.ics_method == "REQUEST")
    ).all().count(chosen.user.email) == 1


def test_direct_booking_of_an_expert_with_a_pending_offer_takes_that_offer(app):
    w = World()
    referral = w.request()
    expert, other = w.expert(), w.expert()
    [offer, _queued] = services.make_offers(actor=w.coordinator, referral=referral,
                                            expert_ids=[expert.id, other.id])

    booking = services.book_directly(actor=w.coordinator, referral=referral,
                                     expert_id=expert.id)

    assert booking.offer_id == offer.id
    assert _offers(referral) == [(expert.id, OfferStatus.ACCEPTED),
                                 (other.id, OfferStatus.WITHDRAWN)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.direct"))
    assert (event.details["offer_was"], event.details["offers_withdrawn"]) == ("pending", 1)


def test_direct_booking_of_an_absent_expert_is_refused_naming_the_rule(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    _absent(expert, referral)

    with pytest.raises(ValidationFailed) as refused:
        services.book_directly(actor=w.coordinator, referral=referral, expert_id=expert.id)

    assert refused.value.status == 422
    assert refused.value.fields == {"expert_id": ["the expert is absent then"]}
    assert refused.value.message == (f"{expert.user.name} cannot be booked for this request: "
                                     "the expert is absent then.")


def test_direct_booking_of_an_expert_booked_at_that_time_is_refused(app):
    w = World()
    referral = w.request()
    other = w.request(starts_at=referral.sitting.starts_at + timedelta(minutes=30))
    expert = w.expert()
    services.book_directly(actor=w.coordinator, referral=other, expert_id=expert.id)

    with pytest.raises(ValidationFailed) as refused:
        services.book_directly(actor=w.coordinator, referral=referral, expert_id=expert.id)

    assert refused.value.fields == {
        "expert_id": ["the expert has another booking then (including travel time)"]}


def test_direct_booking_of_a_booked_request_conflicts(app):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()
    services.book_directly(actor=w.coordinator, referral=referral, expert_id=first.id)

    with pytest.raises(Conflict, match="already booked"):
        services.book_directly(actor=w.coordinator, referral=referral, expert_id=second.id)

    assert _bookings() == 1


def test_direct_booking_of_an_unknown_expert_is_refused(app):
    w = World()
    referral = w.request()

    with pytest.raises(ValidationFailed) as refused:
        services.book_directly(actor=w.coordinator, referral=referral, expert_id=999999)

    assert refused.value.fields == {"expert_id": ["There is no such expert."]}


def test_direct_booking_over_budget_needs_a_reason_which_is_kept(app):
    w = World()
    referral = w.request(estimated_minutes=180)
    expert = w.expert(rate="100.00")
    _budget(referral, "100.00")
    db.session.commit()

    with pytest.raises(BudgetExceeded):
        services.book_directly(actor=w.coordinator, referral=referral, expert_id=expert.id)
    db.session.rollback()  # as the edge does: the refused attempt leaves nothing
    booking = services.book_directly(actor=w.coordinator, referral=referral,
                                     expert_id=expert.id, budget_override_reason="Spoed")

    assert db.session.get(Offer, booking.offer_id).budget_override_reason == "Spoed"
    assert db.session.scalar(select(AuditEvent.details).where(
        AuditEvent.action == "budget.override"))["expert_id"] == expert.id


def test_direct_booking_of_a_window_request_needs_a_time_within_the_window(app):
    w = World()
    start = next_weekday_at(9, days_ahead=12)
    referral = f.referral(requester=w.requester, table=w.table, areas=[w.area],
                          window_start=to_local(start).date(),
                          window_end=to_local(start).date() + timedelta(days=2))
    expert = w.expert()

    with pytest.raises(ValidationFailed) as refused:
        services.book_directly(actor=w.coordinator, referral=referral, expert_id=expert.id)
    assert "starts_at" in refused.value.fields
    booking = services.book_directly(actor=w.coordinator, referral=referral,
                                     expert_id=expert.id, starts_at=start,
                                     ends_at=start + timedelta(hours=2))

    assert (booking.starts_at, booking.sitting_id) == (start, None)
    assert db.session.get(Offer, booking.offer_id).starts_at == start


# --- the API ---------------------------------------------------------------------------------

def test_direct_booking_api_books_then_answers_409(app, login_as):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()
    db.session.commit()
    client = login_as(w.coordinator)
    url = f"/api/v1/requests/{referral.id}/booking"

    booked = client.post(url, json={"expert_id": first.id})
    again = client.post(url, json={"expert_id": second.id})

    assert booked.status_code == 201
    assert (booked.json["expert_id"], booked.json["status"]) == (first.id, "confirmed")
    assert (again.status_code, again.json["error"]["code"]) == (409, "conflict")
    assert _bookings() == 1


def test_direct_booking_api_422_names_the_rule_and_writes_nothing(app, login_as):
    w = World()
    referral = w.request()
    expert = w.expert()
    _absent(expert, referral)
    db.session.commit()

    response = login_as(w.coordinator).post(f"/api/v1/requests/{referral.id}/booking",
                                            json={"expert_id": expert.id},
                                            headers={"Accept-Language": "en"})

    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"expert_id": ["the expert is absent then"]}
    db.session.expire_all()
    assert (_bookings(), referral.status) == (0, ReferralStatus.SUBMITTED)


def test_direct_booking_api_is_for_coordinators(app, login_as):
    w = World()
    referral = w.request()
    expert = w.expert()
    db.session.commit()

    response = login_as(expert.user).post(f"/api/v1/requests/{referral.id}/booking",
                                          json={"expert_id": expert.id})

    assert response.status_code == 404
    assert _bookings() == 0


def test_offer_withdraw_api_passes_the_request_to_the_next_expert(app, login_as):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()
    [offer, _] = services.make_offers(actor=w.coordinator, referral=referral,
                                      expert_ids=[first.id, second.id])
    db.session.commit()
    client = login_as(w.coordinator)

    withdrawn = client.post(f"/api/v1/offers/{offer.id}/withdraw", json={})
    again = client.post(f"/api/v1/offers/{offer.id}/withdraw", json={})

    assert (withdrawn.status_code, withdrawn.json["status"]) == (200, "withdrawn")
    assert again.status_code == 409
    assert _offers(referral) == [(first.id, OfferStatus.WITHDRAWN),
                                 (second.id, OfferStatus.PENDING)]


# --- the pages -------------------------------------------------------------------------------

def test_direct_booking_page_confirms_then_books(app, login_as):
    w = World()
    w.coordinator.locale = "en"
    referral = w.request()
    pending, chosen = w.expert(), w.expert()
    services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[pending.id])
    db.session.commit()
    client = login_as(w.coordinator)
    url = f"/verzoeken/{referral.id}/boeken/{chosen.id}"

    page = client.get(url)
    done = client.post(url, data={})

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Yes, book {chosen.user.name}" in text
    assert pending.user.name in text.split('id="withdrawn-offers"')[1].split("</ul>")[0]
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/verzoeken/{referral.id}#booking")
    assert _offers(referral) == [(pending.id, OfferStatus.WITHDRAWN),
                                 (chosen.id, OfferStatus.ACCEPTED)]


def test_direct_booking_page_of_an_excluded_expert_says_why_without_a_button(app, login_as):
    w = World()
    w.coordinator.locale = "en"
    referral = w.request()
    expert = w.expert()
    _absent(expert, referral)
    db.session.commit()
    client = login_as(w.coordinator)
    url = f"/verzoeken/{referral.id}/boeken/{expert.id}"

    page = client.get(url)
    refused = client.post(url, data={})

    assert "the expert is absent then" in page.get_data(as_text=True)
    assert "Yes, book" not in page.get_data(as_text=True)
    assert refused.status_code == 422
    assert "the expert is absent then" in refused.get_data(as_text=True)
    assert _bookings() == 0


def test_direct_booking_form_over_budget_asks_for_a_reason(app, login_as):
    w = World()
    w.coordinator.locale = "en"
    referral = w.request(estimated_minutes=180)
    expert = w.expert(rate="100.00")
    _budget(referral, "100.00")
    db.session.commit()
    client = login_as(w.coordinator)
    url = f"/verzoeken/{referral.id}/boeken/{expert.id}"

    refused = client.post(url, data={})
    booked = client.post(url, data={"budget_override_reason": "Spoed"})

    assert refused.status_code == 409
    assert 'name="budget_override_reason"' in refused.get_data(as_text=True)
    assert booked.status_code == 302
    assert _bookings() == 1


def test_request_page_offers_a_direct_booking_per_candidate_and_the_remaining_budget(
        app, login_as):
    w = World()
    referral = w.request(estimated_minutes=120)
    expert = w.expert(rate="100.00")
    _budget(referral, "1000.00")
    db.session.commit()

    with force_locale("nl"):  # the interface's default language
        page = login_as(w.coordinator).get(f"/verzoeken/{referral.id}").get_data(as_text=True)

    assert f'href="/verzoeken/{referral.id}/boeken/{expert.id}"' in page
    assert "Direct boeken" in page  # Dutch by default
    assert "Restbudget: €\xa01.000,00" in page
    assert "Kosten t.o.v. budget" in page and "Deel van restbudget" in page
    assert ">20%<" in row_of(page, f"candidate-{expert.id}")  # EUR 200 of 1,000, in Dutch
