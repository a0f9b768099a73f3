"""Object-level access: a requester of another municipality and an expert who was not offered
a request get 404 on everything of that request (its page, API resource, hours and feed),
exactly as for an object that does not exist (tests/security/test_need_to_know.py: how long
an expert who was offered it may read it)."""

from __future__ import annotations

import pytest

from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from duidingspool.ical import services as ical
from tests import factories as f
from tests.bookings.helpers import available_expert
from tests.security.helpers import AccessWorld


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def world(app):
    return AccessWorld()


@pytest.fixture
def outsider_requester(world):
    other_town = f.municipality()
    f.case_table(municipalities=[other_town])
    user = f.user(Role.REQUESTER, municipality_obj=other_town, locale="en")
    db.session.commit()
    return user


@pytest.fixture
def outsider_expert(world):
    expert = available_expert(areas=[world.area], home=world.town)
    expert.user.locale = "en"
    db.session.commit()
    return expert


def requester_urls(world) -> list[str]:
    return [f"/verzoeken/{world.referral.id}", f"/verzoeken/{world.referral.id}/annuleren",
            f"/api/v1/requests/{world.referral.id}",
            f"/api/v1/bookings/{world.booking.id}", f"/boekingen/{world.booking.id}/annuleren",
            f"/api/v1/case-tables/{world.table.id}/sessions"]


def expert_urls(world) -> list[str]:
    return [f"/verzoeken/{world.referral.id}", f"/api/v1/requests/{world.referral.id}",
            f"/api/v1/offers/{world.offer.id}", f"/api/v1/bookings/{world.booking.id}",
            f"/boekingen/{world.booking.id}/uren", f"/api/v1/bookings/{world.booking.id}/hours",
            f"/api/v1/hours/{world.line.id}"]


def test_insiders_reach_what_outsiders_may_not(world, login_as):
    requester = login_as(world.users["requester"])
    assert {url: requester.get(url).status_code for url in requester_urls(world)} == {
        url: 200 for url in requester_urls(world)}
    expert = login_as(world.users["expert"])
    assert {url: expert.get(url).status_code for url in expert_urls(world)} == {
        url: 200 for url in expert_urls(world)}


def test_requester_of_another_municipality_gets_404_on_page_api_and_booking(
        world, outsider_requester, login_as):
    client = login_as(outsider_requester)

    answers = {url: client.get(url).status_code for url in requester_urls(world)}

    assert answers == {url: 404 for url in requester_urls(world)}
    assert client.post(f"/api/v1/requests/{world.referral.id}/cancel",
                       json={"reason": "x"}).status_code == 404


def test_requester_of_another_municipality_gets_404_on_the_hours(
        world, outsider_requester, login_as):
    # Hours are an expert's and coordinator's business: a URL naming them answers 404 to
    # a requester, exactly as for hours that do not exist.
    client = login_as(outsider_requester)

    assert client.get(f"/boekingen/{world.booking.id}/uren").status_code == 404
    assert client.get(f"/api/v1/bookings/{world.booking.id}/hours").status_code == 404
    assert client.get("/api/v1/bookings/999999/hours").status_code == 404


def test_requester_of_another_municipality_gets_no_feed_of_the_case_table(
        world, outsider_requester, login_as):
    client = login_as(outsider_requester)

    theirs = client.post("/profiel/kalenders",
                         data={"scope": "case_table", "case_table_id": world.table.id})
    nonexistent = client.post("/profiel/kalenders",
                              data={"scope": "case_table", "case_table_id": 999999})

    # Refused exactly as for a case table that does not exist: nothing is revealed.
    assert theirs.status_code == nonexistent.status_code == 422
    assert "This calendar is not available to you." in theirs.get_data(as_text=True)
    assert "This calendar is not available to you." in nonexistent.get_data(as_text=True)


def test_feed_of_a_requester_who_left_the_municipality_answers_404(world, client):
    requester = world.users["requester"]
    feed, token = ical.create_feed(actor=requester, scope="case_table",
                                   case_table_id=world.table.id)
    db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 200

    requester.municipality = f.municipality()
    db.session.commit()

    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_expert_not_offered_gets_404_on_offer_booking_and_hours(
        world, outsider_expert, login_as):
    client = login_as(outsider_expert.user)

    answers = {url: client.get(url).status_code for url in expert_urls(world)}

    assert answers == {url: 404 for url in expert_urls(world)}
    assert client.post(f"/aanbiedingen/{world.offer.id}/accepteren").status_code == 404
    assert client.post(f"/api/v1/offers/{world.offer.id}/accept").status_code == 404
    assert client.post(f"/api/v1/bookings/{world.booking.id}/hours",
                       json={"category": "attendance", "minutes": 60}).status_code == 404
    assert client.put(f"/api/v1/hours/{world.line.id}",
                      json={"category": "attendance", "minutes": 60}).status_code == 404


def test_expert_not_offered_sees_the_request_in_no_list_and_no_feed(
        world, outsider_expert, login_as, client):
    expert = login_as(outsider_expert.user)

    offers = expert.get("/aanbiedingen").get_data(as_text=True)
    api_offers = expert.get("/api/v1/offers").get_json()
    api_bookings = expert.get("/api/v1/bookings").get_json()
    revoke = expert.post(f"/profiel/kalenders/{world.feed.id}/intrekken")
    _, token = ical.create_feed(actor=outsider_expert.user, scope="expert")
    db.session.commit()
    login_as(None)
    feed = client.get(f"/calendar/{token}.ics")

    assert world.referral.reference not in offers
    assert api_offers == [] and api_bookings == []
    assert revoke.status_code == 404
    assert feed.status_code == 200
    assert world.booking.calendar_uid not in feed.get_data(as_text=True)
