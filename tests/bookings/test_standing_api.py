"""The standing specialist through the JSON API and the pages."""

from __future__ import annotations

from sqlalchemy import select

from duidingspool.bookings.models import Booking, BookingStatus, SeriesStatus, StandingSeries
from duidingspool.extensions import db
from tests import factories as f
from tests.bookings.standing_helpers import StandingWorld


def _propose_json(w, **kw):
    starts_on, ends_on = w.period
    return {"expert_id": w.specialist.id, "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(), "estimated_hours": "2.5", **kw}


def test_api_propose_accept_with_declined_date_and_read_the_series(app, as_user):
    w = StandingWorld(sessions=3)
    w.specialist.user.locale = "en"
    client = as_user(w.coordinator)

    created = client.post(f"/api/v1/case-tables/{w.table.id}/standing", json=_propose_json(w))

    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["status"], body["estimated_hours"], len(body["dates"])) == ("offered", 2.5, 3)
    series_id = body["id"]

    client = as_user(w.specialist.user)
    accepted = client.post(f"/api/v1/standing/{series_id}/accept",
                           json={"declined_session_ids": [w.sittings[2].id]})

    assert accepted.status_code == 200, accepted.get_json()
    assert [d["state"] for d in accepted.get_json()["dates"]] == ["booked", "booked", "declined"]
    assert accepted.get_json()["dates"][2]["needs_substitute"] is True

    client = as_user(w.requester)
    listed = client.get(f"/api/v1/case-tables/{w.table.id}/standing")
    assert listed.status_code == 200
    assert [(s["id"], s["expert_name"]) for s in listed.get_json()] == [
        (series_id, w.specialist.user.name)]


def test_api_propose_names_the_bad_fields(app, as_user):
    w = StandingWorld()
    client = as_user(w.coordinator)
    starts_on, ends_on = w.period

    answer = client.post(f"/api/v1/case-tables/{w.table.id}/standing",
                         json=_propose_json(w, starts_on=ends_on.isoformat(),
                                            ends_on=starts_on.isoformat()))

    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"ends_on"}
    assert f.count(StandingSeries) == 0


def test_api_requesters_do_not_see_an_offered_series(app, as_user):
    w = StandingWorld()
    w.propose()
    client = as_user(w.requester)
    assert client.get(f"/api/v1/case-tables/{w.table.id}/standing").get_json() == []


def test_api_substitute_books_one_date_and_cancel_keeps_the_past(app, as_user):
    from duidingspool.bookings import standing

    w = StandingWorld(sessions=2)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series)
    substitute = w.expert()
    item = series.dates[0]
    client = as_user(w.coordinator)

    answer = client.post(f"/api/v1/standing/{series.id}/dates/{item.id}/substitute",
                         json={"expert_id": substitute.id, "reason": "Ziek"})

    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["expert_id"] == substitute.id
    listed = client.get(f"/api/v1/standing/{series.id}").get_json()
    assert [d["state"] for d in listed["dates"]] == ["substitute", "booked"]

    refused = client.post(f"/api/v1/standing/{series.id}/cancel", json={})
    assert refused.status_code == 422
    cancelled = client.post(f"/api/v1/standing/{series.id}/cancel", json={"reason": "Stopt"})
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == SeriesStatus.CANCELLED
    db.session.expire_all()
    assert db.session.scalars(select(Booking).where(
        Booking.status == BookingStatus.CONFIRMED)).all() == []


def test_openapi_documents_the_standing_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/case-tables/{case_table_id}/standing"]) == {"get", "post"}
    for path in ("/api/v1/standing/{series_id}/accept", "/api/v1/standing/{series_id}/decline",
                 "/api/v1/standing/{series_id}/dates/{date_id}/substitute"):
        assert "post" in paths[path]


def test_page_coordinator_proposes_and_sees_the_dates(app, as_user):
    w = StandingWorld(sessions=2)
    client = as_user(w.coordinator)
    starts_on, ends_on = w.period

    answer = client.post(f"/casustafels/{w.table.id}/vaste-specialist", data={
        "expert_id": str(w.specialist.id), "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(), "estimated_hours": "2", "mode": "in_person"})

    assert answer.status_code == 302
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('class="status date-offered"') == 2


def test_page_propose_with_bad_input_shows_the_form_again_with_messages(app, as_user):
    w = StandingWorld()
    client = as_user(w.coordinator)

    answer = client.post(f"/casustafels/{w.table.id}/vaste-specialist", data={
        "expert_id": str(w.specialist.id), "starts_on": "", "ends_on": "2026-01-01",
        "estimated_hours": "2"})

    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="starts_on-errors"' in html and "error-summary" in html
    assert f.count(StandingSeries) == 0


def test_page_expert_accepts_with_a_declined_date(app, as_user):
    w = StandingWorld(sessions=2)
    series = w.propose()
    client = as_user(w.specialist.user)
    assert client.get("/aanbiedingen").get_data(as_text=True).count(
        f'id="series-{series.id}"') == 1
    assert client.get("/").get_data(as_text=True).count(f'id="series-{series.id}"') == 1

    answer = client.post(f"/vaste-specialist/{series.id}/accepteren",
                         data={"declined_session_ids": [str(w.sittings[0].id)]})

    assert answer.status_code == 302
    db.session.expire_all()
    assert series.status == SeriesStatus.ACCEPTED
    html = client.get(f"/vaste-specialist/{series.id}").get_data(as_text=True)
    assert 'class="status date-declined"' in html and 'class="status date-booked"' in html


def test_page_cancel_asks_for_confirmation_first(app, as_user):
    w = StandingWorld()
    series = w.propose()
    client = as_user(w.coordinator)

    confirm = client.get(f"/vaste-specialist/{series.id}/annuleren")
    empty = client.post(f"/vaste-specialist/{series.id}/annuleren", data={})

    assert confirm.status_code == 200
    assert empty.status_code == 422
    db.session.expire_all()
    assert series.status == SeriesStatus.OFFERED
    done = client.post(f"/vaste-specialist/{series.id}/annuleren", data={"reason": "Anders"})
    assert done.status_code == 302
    db.session.expire_all()
    assert series.status == SeriesStatus.CANCELLED


def test_request_page_shows_the_standing_specialist(app, as_user):
    from duidingspool.bookings import standing

    w = StandingWorld(sessions=1)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series)
    referral = series.dates[0].referral
    client = as_user(w.requester)

    html = client.get(f"/verzoeken/{referral.id}").get_data(as_text=True)

    assert 'id="standing"' in html and w.specialist.user.name in html


def test_the_experts_feed_has_one_event_per_booked_date(app, client):
    from duidingspool.bookings import standing
    from duidingspool.ical import services as ical

    w = StandingWorld(sessions=3)
    series = w.propose()
    standing.accept(actor=w.specialist.user, series=series,
                    declined_session_ids=[w.sittings[1].id])
    _feed, token = ical.create_feed(actor=w.specialist.user, scope="expert")
    db.session.commit()

    text = client.get(f"/calendar/{token}.ics").get_data(as_text=True)

    booked = db.session.scalars(select(Booking).where(
        Booking.expert_id == w.specialist.id)).all()
    assert text.count("BEGIN:VEVENT") == 2
    assert sorted(b.calendar_uid for b in booked) == sorted(
        line.split(":", 1)[1].split("@")[0].strip() for line in text.splitlines()
        if line.startswith("UID:"))
