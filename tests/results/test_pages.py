"""The results pages: evaluate, complain, answer, decide; the year report's results section."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from duidingspool.results import services
from duidingspool.results.models import Complaint, Evaluation
from tests import factories as f
from tests.bookings.helpers import World, direct_booking, next_weekday_at


@pytest.fixture
def held(app):
    w = World()
    expert = w.expert()
    referral = w.request(starts_at=next_weekday_at(9, days_ahead=-3))
    booking = direct_booking(referral, expert, created_by=w.coordinator)
    db.session.commit()
    return w, expert, booking


def test_requester_evaluates_from_the_request_page(client, login_as, held):
    w, expert, booking = held
    login_as(w.requester)
    page = client.get(f"/verzoeken/{booking.referral_id}").get_data(as_text=True)
    assert f"/boekingen/{booking.id}/evaluatie" in page
    form = client.get(f"/boekingen/{booking.id}/evaluatie")
    assert form.status_code == 200
    response = client.post(f"/boekingen/{booking.id}/evaluatie",
                           data={"usefulness": "5", "on_time": "true", "prepared": "true"})
    assert response.status_code == 302
    assert db.session.scalar(select(Evaluation.usefulness)) == 5


def test_evaluation_form_shows_every_error_at_its_field_and_keeps_input(client, login_as, held):
    w, expert, booking = held
    login_as(w.requester)
    response = client.post(f"/boekingen/{booking.id}/evaluatie",
                           data={"remark": "Mail mij op iemand@example.org"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for name in ("usefulness-errors", "on_time-errors", "prepared-errors"):
        assert f'id="{name}"' in page
    # The summary names each question and links to it (not "This field is required." thrice).
    assert 'href="#usefulness-group">Was the interpretation useful' in page
    assert 'href="#on_time-group">Was the specialist on time?' in page
    assert "iemand@example.org" in page  # what was typed stays
    assert f.count(Evaluation) == 0


def test_other_municipality_gets_404(client, login_as, held):
    w, expert, booking = held
    stranger = f.user(Role.REQUESTER, municipality_obj=f.municipality())
    db.session.commit()
    login_as(stranger)
    assert client.get(f"/boekingen/{booking.id}/evaluatie").status_code == 404
    assert client.get(f"/boekingen/{booking.id}/klacht").status_code == 404


def test_complaint_filed_answered_and_decided_through_the_pages(client, login_as, held):
    w, expert, booking = held
    login_as(w.requester)
    response = client.post(f"/boekingen/{booking.id}/klacht", data={"kind": "late"})
    assert response.status_code == 302
    complaint = db.session.scalar(select(Complaint))
    login_as(expert.user)
    assert client.post(f"/klachten/{complaint.id}/antwoord",
                       data={"answer": "Vertraging op het spoor."}).status_code == 302
    login_as(w.coordinator)
    assert client.post(f"/klachten/{complaint.id}/besluit",
                       data={"decision": "upheld"}).status_code == 302
    db.session.refresh(complaint)
    assert complaint.status == "upheld"
    assert "Upheld" in client.get("/klachten").get_data(as_text=True)


def test_decision_without_choice_is_shown_at_the_field(client, login_as, held):
    w, expert, booking = held
    complaint = services.file_complaint(actor=w.requester, booking=booking, kind="quality",
                                        description=None)
    db.session.commit()
    login_as(w.coordinator)
    response = client.post(f"/klachten/{complaint.id}/besluit", data={})
    assert response.status_code == 422
    assert 'id="decision-errors"' in response.get_data(as_text=True)


def test_year_report_shows_results_per_area_and_region_never_per_expert(client, login_as, held):
    w, expert, booking = held
    services.submit_evaluation(actor=w.requester, booking=booking, usefulness=4, on_time=True,
                               prepared=True)
    services.file_complaint(actor=w.requester, booking=booking, kind="late", description=None)
    db.session.commit()
    login_as(w.coordinator)
    year = booking.starts_at.year
    page = client.get(f"/rapportage/{year}").get_data(as_text=True)
    section = page[page.index('id="results"'):page.index("Downloads (CSV)")]
    assert 'id="sessions-held">1<' in section
    assert "4.0" in section and w.area.name_en in section
    assert expert.user.name not in section
    csv = client.get(f"/rapportage/{year}/results_areas.csv").get_data(as_text=True)
    assert w.area.name_en in csv and expert.user.name not in csv
    complaints = client.get(f"/rapportage/{year}/complaints.csv").get_data(as_text=True)
    assert "The specialist came late;1;0;0;0;1" in complaints
    api = client.get(f"/api/v1/reports/{year}").get_json()
    assert api["results"]["totals"]["evaluations"] == 1
    per_expert = client.get(f"/resultaten?jaar={year}").get_data(as_text=True)
    assert expert.user.name in per_expert


def test_requests_page_lists_sessions_waiting_for_evaluation(client, login_as, held):
    w, expert, booking = held
    login_as(w.requester)
    page = client.get("/verzoeken/").get_data(as_text=True)
    assert 'id="awaiting-evaluation"' in page
    assert f"/boekingen/{booking.id}/evaluatie" in page
    client.post(f"/boekingen/{booking.id}/evaluatie",
                data={"usefulness": "3", "on_time": "true", "prepared": "true"})
    assert 'id="awaiting-evaluation"' not in client.get("/verzoeken/").get_data(as_text=True)
