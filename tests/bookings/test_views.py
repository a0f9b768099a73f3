"""Pages for candidates, offers and bookings: coordinator, expert and requester."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from duidingspool.accounts.models import Role
from duidingspool.bookings import services
from duidingspool.bookings.models import Booking, BookingStatus, Offer, OfferStatus
from duidingspool.casetables.services import move_sitting
from duidingspool.db import utcnow
from duidingspool.experts.models import Absence
from duidingspool.extensions import db
from duidingspool.matching.engine import distance_km
from duidingspool.bookings.candidates import rank_request
from duidingspool.referrals.models import ReferralStatus
from duidingspool.timeutil import to_local
from tests import factories as f
from tests.bookings.helpers import World, available_expert


def english_world() -> World:
    w = World()
    w.coordinator.locale = w.requester.locale = "en"
    return w


def english_expert(w: World, **kw):
    expert = w.expert(**kw)
    expert.user.locale = "en"
    return expert


def row(page: str, element_id: str) -> str:
    """The HTML of the table row or list item with this id."""
    match = re.search(rf'<(tr|li)[^>]*id="{element_id}".*?</\1>', page, re.S)
    assert match, f"no element {element_id}"
    return match.group(0)


def local_input(value) -> str:
    return to_local(value).strftime("%Y-%m-%dT%H:%M")


def offer_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Offer))


def booking_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


def statuses(referral):
    return [(o.expert_id, o.status, o.queue_position) for o in db.session.scalars(
        select(Offer).where(Offer.referral_id == referral.id).order_by(Offer.queue_position))]


# --- coordinator: candidates and offers on the request page ----------------------------------

def test_request_page_shows_candidates_with_score_parts_and_excluded_with_reasons(as_user, app):
    w = english_world()
    referral = w.request()
    good = english_expert(w)
    far_town = f.municipality(latitude=Decimal("53.21"), longitude=Decimal("5.79"))
    far = available_expert(areas=[w.area], home=far_town, max_travel_km=10)
    inactive = english_expert(w, is_active=False)
    [candidate] = rank_request(referral=referral).candidates
    distance = round(distance_km((52.22, 6.89), (53.21, 5.79)), 1)
    money = app.jinja_env.filters["money"]

    response = as_user(w.coordinator).get(f"/verzoeken/{referral.id}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row(page, f"candidate-{good.id}"), re.S)
    assert good.user.name in cells[2]
    assert [c.strip() for c in cells[3:-1]] == [
        f"<strong>{candidate.score:.1f}</strong>",
        *[f"{candidate.parts[p]:.1f}" for p in
          ("expertise", "continuity", "fairness", "travel", "cost")],
        "0 km", money(Decimal("100.00")), money(Decimal("300.00")), "—",
    ]
    assert f'href="/verzoeken/{referral.id}/boeken/{good.id}"' in cells[-1]
    # The excluded are counted per reason; their names and details are one link away.
    assert f'id="excluded-{far.id}"' not in page
    counts = re.findall(r"<td[^>]*>(.*?)</td>\s*<td[^>]*>(\d+)</td>",
                        page.split('class="excluded"', 1)[1], re.S)
    assert sorted(counts) == [("the expert is not active", "1"),
                              ("the place is beyond the expert's travel distance", "1")]
    assert f'href="/verzoeken/{referral.id}?uitgesloten=alle#excluded"' in page

    page = as_user(w.coordinator).get(
        f"/verzoeken/{referral.id}?uitgesloten=alle").get_data(as_text=True)
    far_row = row(page, f"excluded-{far.id}")
    assert "the place is beyond the expert's travel distance" in far_row
    assert f"{distance} km away, travels at most 10 km" in far_row
    assert "the expert is not active" in row(page, f"excluded-{inactive.id}")
    assert f'id="candidate-{far.id}"' not in page


def test_request_page_lists_the_best_candidates_and_links_to_all(as_user, app):
    app.config["CANDIDATES_SHOWN"] = 2
    w = english_world()
    referral = w.request()
    experts = [english_expert(w) for _ in range(4)]
    ranked = [c.expert_id for c in rank_request(referral=referral).candidates]
    assert sorted(ranked) == sorted(e.id for e in experts)
    client = as_user(w.coordinator)

    page = client.get(f"/verzoeken/{referral.id}").get_data(as_text=True)
    assert re.findall(r'<tr[^>]* id="candidate-(\d+)"', page) == [str(i) for i in ranked[:2]]
    assert "The best 2 of 4 candidates are shown." in page
    assert f'href="/verzoeken/{referral.id}?kandidaten=alle#offer"' in page
    # Queue positions follow the whole ranking.
    assert f'id="order-{ranked[1]}" name="order_{ranked[1]}" value="2"' in page

    page = client.get(f"/verzoeken/{referral.id}?kandidaten=alle").get_data(as_text=True)
    assert re.findall(r'<tr[^>]* id="candidate-(\d+)"', page) == [str(i) for i in ranked]
    assert "candidates are shown" not in page

    # A candidate ticked from the full list stays listed when the form comes back with an
    # error, with the choice kept.
    response = client.post(f"/verzoeken/{referral.id}/aanbiedingen", data={
        "expert_ids": [str(ranked[3])], "expires_at": "morgen"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.findall(r'<tr[^>]* id="candidate-(\d+)"', page) == [str(i) for i in
                                                               (*ranked[:2], ranked[3])]
    assert re.search(rf'id="choose-{ranked[3]}"[^>]* checked', page)
    # Its queue position is its place in the whole ranking, not in the list shown.
    assert f'id="order-{ranked[3]}" name="order_{ranked[3]}" value="4"' in page


def test_offer_form_creates_pending_and_queued_offers_in_chosen_order(as_user):
    w = english_world()
    referral = w.request()
    first, second = english_expert(w), english_expert(w)
    deadline = (utcnow() + timedelta(hours=5)).replace(second=0, microsecond=0)

    response = as_user(w.coordinator).post(f"/verzoeken/{referral.id}/aanbiedingen", data={
        "expert_ids": [str(first.id), str(second.id)],
        f"order_{first.id}": "2", f"order_{second.id}": "1",
        "expires_at": local_input(deadline),
    })

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verzoeken/{referral.id}#offers")
    assert statuses(referral) == [(second.id, OfferStatus.PENDING, 1),
                                  (first.id, OfferStatus.QUEUED, 2)]
    pending = db.session.scalar(select(Offer).where(Offer.expert_id == second.id))
    assert pending.expires_at == deadline
    assert referral.status == ReferralStatus.OFFERED


def test_offer_form_without_expert_rerenders_422_and_writes_nothing(as_user):
    w = english_world()
    referral = w.request()
    english_expert(w)

    response = as_user(w.coordinator).post(f"/verzoeken/{referral.id}/aanbiedingen",
                                           data={"expires_at": ""})

    assert response.status_code == 422
    assert "Choose one or more candidates." in response.get_data(as_text=True)
    assert offer_count() == 0


def test_offer_form_with_excluded_expert_rerenders_422_naming_them_and_writes_nothing(as_user):
    w = english_world()
    referral = w.request()
    good = english_expert(w)
    inactive = english_expert(w, is_active=False)

    response = as_user(w.coordinator).post(f"/verzoeken/{referral.id}/aanbiedingen", data={
        "expert_ids": [str(good.id), str(inactive.id)]})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not every chosen expert can take this request." in page
    assert f'href="#offer">{inactive.user.name}: the expert is not active</a>' in page
    assert f'name="expert_ids" value="{good.id}" aria-label="Offer to {good.user.name}" checked' in page
    assert offer_count() == 0
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.SUBMITTED


def test_offer_form_for_a_window_request_without_times_rerenders_422(as_user):
    w = english_world()
    today = date.today()
    referral = f.referral(requester=w.requester, table=w.table, areas=[w.area],
                          window_start=today + timedelta(days=7),
                          window_end=today + timedelta(days=14))
    expert = english_expert(w)

    response = as_user(w.coordinator).post(f"/verzoeken/{referral.id}/aanbiedingen", data={
        "expert_ids": [str(expert.id)], "starts_at": "", "ends_at": ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This request has a date window: propose a start and end time." in page
    assert "Give a start and an end time within the window." in page
    assert 'id="starts_at" name="starts_at" type="datetime-local"' in page
    assert offer_count() == 0


def test_offer_form_for_a_window_request_with_times_offers_that_time(as_user):
    w = english_world()
    today = date.today()
    referral = f.referral(requester=w.requester, table=w.table, areas=[w.area],
                          window_start=today + timedelta(days=7),
                          window_end=today + timedelta(days=14))
    expert = english_expert(w)
    day = (today + timedelta(days=8)).isoformat()

    response = as_user(w.coordinator).post(f"/verzoeken/{referral.id}/aanbiedingen", data={
        "expert_ids": [str(expert.id)], "starts_at": f"{day}T13:00", "ends_at": f"{day}T15:00"})

    offer = db.session.scalar(select(Offer))
    assert response.status_code == 302
    assert (local_input(offer.starts_at), local_input(offer.ends_at)) == (
        f"{day}T13:00", f"{day}T15:00")


def test_candidate_with_an_offer_shows_its_status_instead_of_a_checkbox(as_user):
    w = english_world()
    referral = w.request()
    offered, free = english_expert(w), english_expert(w)
    services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[offered.id])

    response = as_user(w.coordinator).get(f"/verzoeken/{referral.id}")

    page = response.get_data(as_text=True)
    assert "Waiting for an answer" in row(page, f"candidate-{offered.id}")
    assert f'name="expert_ids" value="{offered.id}"' not in page
    assert f'name="expert_ids" value="{free.id}"' in page


def test_withdraw_button_withdraws_a_queued_offer(as_user):
    w = english_world()
    referral = w.request()
    first, second = english_expert(w), english_expert(w)
    offers = services.make_offers(actor=w.coordinator, referral=referral,
                                  expert_ids=[first.id, second.id])

    response = as_user(w.coordinator).post(f"/aanbiedingen/{offers[1].id}/intrekken",
                                                 data={"confirm": "yes"})

    assert response.status_code == 302
    assert statuses(referral) == [(first.id, OfferStatus.PENDING, 1),
                                  (second.id, OfferStatus.WITHDRAWN, 2)]


# --- expert: offers and bookings -------------------------------------------------------------

def test_expert_offers_page_shows_what_and_where_but_never_question_or_case_code(as_user, app):
    w = english_world()
    referral = w.request()
    expert = english_expert(w)
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    when = app.jinja_env.filters["localtime"](referral.sitting.starts_at)
    deadline = app.jinja_env.filters["localtime"](offer.expires_at)

    response = as_user(expert.user).get("/aanbiedingen")

    page = response.get_data(as_text=True)
    card = row(page, f"offer-{offer.id}")
    assert response.status_code == 200
    assert f"<h2>{w.table.name}</h2>" in card
    assert when in card
    assert "Stationsplein 1" in card
    assert f"{w.area.name_en} (level 1)" in card
    assert "--html-dd\">3:00</dd>" in card
    assert deadline in card
    assert referral.question not in page
    assert referral.case_code not in page


def test_expert_does_not_see_queued_offers(as_user):
    w = english_world()
    referral = w.request()
    first, second = english_expert(w), english_expert(w)
    offers = services.make_offers(actor=w.coordinator, referral=referral,
                                  expert_ids=[first.id, second.id])

    response = as_user(second.user).get("/aanbiedingen")
    accept = as_user(second.user).post(f"/aanbiedingen/{offers[1].id}/accepteren")

    assert "No offers waiting for your answer." in response.get_data(as_text=True)
    assert f'id="offer-{offers[1].id}"' not in response.get_data(as_text=True)
    assert accept.status_code == 404


def test_accept_on_the_page_books_the_expert(as_user):
    w = english_world()
    referral = w.request()
    expert = english_expert(w)
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    response = as_user(expert.user).post(f"/aanbiedingen/{offer.id}/accepteren")
    bookings_page = as_user(expert.user).get("/boekingen/mijn")

    booking = db.session.scalar(select(Booking))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/boekingen/mijn")
    assert (booking.expert_id, booking.referral_id, booking.status) == (
        expert.id, referral.id, BookingStatus.CONFIRMED)
    assert w.table.name in row(bookings_page.get_data(as_text=True), f"booking-{booking.id}")


def test_accept_after_the_deadline_shows_the_message_and_writes_nothing(as_user):
    w = english_world()
    referral = w.request()
    expert = english_expert(w)
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    offer.expires_at = utcnow() - timedelta(minutes=1)

    response = as_user(expert.user).post(f"/aanbiedingen/{offer.id}/accepteren")

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert '<li class="utrecht-unordered-list__item">This offer has expired.</li>' in page
    assert "Nothing has been changed." in page
    assert booking_count() == 0
    db.session.refresh(offer)
    assert offer.status == OfferStatus.PENDING


def test_accept_when_no_longer_available_shows_the_reason_and_writes_nothing(as_user):
    w = english_world()
    referral = w.request()
    expert = english_expert(w)
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    db.session.add(Absence(expert_id=expert.id, starts_at=referral.sitting.starts_at,
                           ends_at=referral.sitting.ends_at))

    response = as_user(expert.user).post(f"/aanbiedingen/{offer.id}/accepteren")

    assert response.status_code == 409
    assert (f'href="#offer-{offer.id}">{w.table.name}: You can no longer accept this offer: '
            'the expert is absent then.</a>' in response.get_data(as_text=True))
    assert booking_count() == 0
    db.session.refresh(offer)
    assert offer.status == OfferStatus.PENDING


def test_decline_with_too_long_reason_rerenders_422_with_the_typed_text(as_user):
    w = english_world()
    referral = w.request()
    expert = english_expert(w)
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    reason = "x" * 501

    response = as_user(expert.user).post(f"/aanbiedingen/{offer.id}/afwijzen",
                                         data={"reason": reason})

    assert response.status_code == 422
    assert f">{reason}</textarea>" in response.get_data(as_text=True)
    db.session.refresh(offer)
    assert offer.status == OfferStatus.PENDING


def test_decline_with_personal_data_in_the_reason_shows_it_at_the_field(as_user):
    w = english_world()
    referral = w.request()
    expert = english_expert(w)
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    response = as_user(expert.user).post(f"/aanbiedingen/{offer.id}/afwijzen",
                                         data={"reason": "Ik ken hem: 06-12345678"})

    assert response.status_code == 422
    assert "Contains a phone number (06******78)." in response.get_data(as_text=True)
    db.session.refresh(offer)
    assert offer.status == OfferStatus.PENDING


def test_decline_with_reason_passes_the_request_to_the_next_expert(as_user):
    w = english_world()
    referral = w.request()
    first, second = english_expert(w), english_expert(w)
    services.make_offers(actor=w.coordinator, referral=referral,
                         expert_ids=[first.id, second.id])
    offer = db.session.scalar(select(Offer).where(Offer.expert_id == first.id))

    response = as_user(first.user).post(f"/aanbiedingen/{offer.id}/afwijzen",
                                        data={"reason": "Die week op reis"})
    coordinator_page = as_user(w.coordinator).get(f"/verzoeken/{referral.id}")

    assert response.status_code == 302
    assert statuses(referral) == [(first.id, OfferStatus.DECLINED, 1),
                                  (second.id, OfferStatus.PENDING, 2)]
    assert offer.decline_reason == "Die week op reis"
    assert "Die week op reis" in row(coordinator_page.get_data(as_text=True), f"offer-{offer.id}")


def test_expert_gets_404_on_another_experts_offer(as_user):
    w = english_world()
    referral = w.request()
    owner, other = english_expert(w), english_expert(w)
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[owner.id])

    accept = as_user(other.user).post(f"/aanbiedingen/{offer.id}/accepteren")
    decline = as_user(other.user).post(f"/aanbiedingen/{offer.id}/afwijzen")

    assert (accept.status_code, decline.status_code) == (404, 404)
    db.session.refresh(offer)
    assert offer.status == OfferStatus.PENDING


def test_offer_pages_are_for_experts_only(as_user):
    w = english_world()

    response = as_user(w.requester).get("/aanbiedingen")

    assert response.status_code == 403


# --- requester and coordinator: the booking ---------------------------------------------------

def _booked(w: World):
    referral = w.request()
    expert = english_expert(w)
    [offer] = services.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    return referral, expert, services.accept(actor=expert.user, offer=offer)


def test_requester_sees_the_booked_expert_and_time_but_no_candidates(as_user, app):
    w = english_world()
    referral, expert, booking = _booked(w)
    when = app.jinja_env.filters["localtime"](booking.starts_at)

    response = as_user(w.requester).get(f"/verzoeken/{referral.id}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"--html-dd\">{expert.user.name}</dd>" in page
    assert when in page
    assert f'href="/boekingen/{booking.id}/annuleren"' in page
    assert "Candidates" not in page
    assert 'id="offers"' not in page


def test_requester_cancels_the_booking_with_a_reason(as_user):
    w = english_world()
    referral, _expert, booking = _booked(w)

    response = as_user(w.requester).post(f"/boekingen/{booking.id}/annuleren",
                                         data={"reason": "Casus vervalt"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verzoeken/{referral.id}#booking")
    assert (booking.status, booking.cancel_reason) == (BookingStatus.CANCELLED, "Casus vervalt")
    assert referral.status == ReferralStatus.SUBMITTED


def test_expert_sees_a_cancelled_booking_marked_among_past_ones(as_user):
    w = english_world()
    _referral, expert, booking = _booked(w)
    services.cancel_booking(actor=w.requester, booking=booking, reason="Casus vervalt")

    response = as_user(expert.user).get("/boekingen/mijn")

    page = response.get_data(as_text=True)
    assert "No upcoming bookings." in page
    assert "Cancelled" in row(page, f"booking-{booking.id}")
    assert 'class="cancelled"' in row(page, f"booking-{booking.id}")


def test_cancel_booking_without_reason_rerenders_422_and_keeps_it(as_user):
    w = english_world()
    _referral, _expert, booking = _booked(w)

    response = as_user(w.requester).post(f"/boekingen/{booking.id}/annuleren",
                                         data={"reason": "  "})

    assert response.status_code == 422
    assert "Give a reason" in response.get_data(as_text=True)
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CONFIRMED


def test_requester_of_another_municipality_gets_404_on_the_booking(as_user):
    w = english_world()
    _referral, _expert, booking = _booked(w)
    stranger = f.user(Role.REQUESTER, locale="en")

    page = as_user(stranger).get(f"/boekingen/{booking.id}/annuleren")
    post = as_user(stranger).post(f"/boekingen/{booking.id}/annuleren", data={"reason": "x"})

    assert (page.status_code, post.status_code) == (404, 404)
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CONFIRMED


def test_coordinator_sees_the_booking_on_the_request_page(as_user):
    w = english_world()
    referral, expert, booking = _booked(w)

    response = as_user(w.coordinator).get(f"/verzoeken/{referral.id}")

    page = response.get_data(as_text=True)
    assert f"--html-dd\">{expert.user.name}</dd>" in page
    assert re.search(r">Sequence</dt>\s*<dd[^>]*>0</dd>", page)
    assert f'href="/boekingen/{booking.id}/annuleren"' in page


def test_coordinator_conflicts_list_shows_a_booking_moved_into_an_absence(as_user):
    w = english_world()
    referral, expert, booking = _booked(w)
    calm_referral, _calm_expert, calm = _booked(w)
    new_start = referral.sitting.starts_at + timedelta(days=7)
    db.session.add(Absence(expert_id=expert.id, starts_at=new_start - timedelta(hours=1),
                           ends_at=new_start + timedelta(hours=5)))
    move_sitting(actor=w.coordinator, sitting=referral.sitting, starts_at=new_start,
                 ends_at=new_start + timedelta(hours=2))

    response = as_user(w.coordinator).get("/boekingen")

    page = response.get_data(as_text=True)
    conflict = row(page, f"conflict-{booking.id}")
    assert response.status_code == 200
    assert "the expert is absent then" in conflict
    assert expert.user.name in conflict
    assert f'href="/boekingen/{booking.id}/annuleren"' in conflict
    assert f'href="/boekingen/{booking.id}/annuleren?reoffer=1"' in conflict
    assert f'id="conflict-{calm.id}"' not in page
    assert f'id="booking-{calm.id}"' in page


def test_reoffer_from_a_conflict_cancels_and_returns_to_the_candidates(as_user):
    w = english_world()
    referral, _expert, booking = _booked(w)

    response = as_user(w.coordinator).post(f"/boekingen/{booking.id}/annuleren",
                                           data={"reason": "Expert afwezig", "reoffer": "1"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verzoeken/{referral.id}#offer")
    assert (booking.status, referral.status) == (BookingStatus.CANCELLED,
                                                 ReferralStatus.SUBMITTED)
