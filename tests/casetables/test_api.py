"""JSON API of case tables and sessions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from duidingspool.timeutil import LOCAL_TZ as AMSTERDAM
from tests import factories as f
from duidingspool.bookings.services import book_directly
from tests.bookings.helpers import World
from tests.casetables.helpers import (SINGLE, calendar, ics_table, serving, sitting_count,
                                      sittings_of)

UTC = timezone.utc


def future_event(days=30) -> bytes:
    start = datetime.now(UTC) + timedelta(days=days)
    return calendar(SINGLE.replace("20270316T090000Z", start.strftime("%Y%m%dT090000Z"))
                    .replace("20270316T110000Z", start.strftime("%Y%m%dT110000Z")))


@pytest.fixture
def two_tables(app):
    """Two case tables of different municipalities, and a requester of the first."""
    own_municipality, other_municipality = f.municipality(), f.municipality()
    own = f.case_table(municipalities=[own_municipality], name="Casustafel Oost")
    other = f.case_table(municipalities=[other_municipality], name="Casustafel West")
    requester = f.user(Role.REQUESTER, municipality_obj=own_municipality, locale="en")
    return own, other, requester


def test_list_case_tables_requester_sees_only_own(app, as_user, two_tables):
    own, _other, requester = two_tables

    response = as_user(requester).get("/api/v1/case-tables")

    assert response.status_code == 200
    assert [t["id"] for t in response.json] == [own.id]
    assert response.json[0]["municipalities"] == [
        {"id": own.municipalities[0].id, "name": own.municipalities[0].name,
         "cbs_code": own.municipalities[0].cbs_code}]


def test_list_case_tables_coordinator_sees_all(app, as_user, coordinator, two_tables):
    own, other, _requester = two_tables

    response = as_user(coordinator).get("/api/v1/case-tables")

    assert [t["name"] for t in response.json] == ["Casustafel Oost", "Casustafel West"]


def test_list_case_tables_expert_is_forbidden(app, as_user):
    response = as_user(f.user(Role.EXPERT)).get("/api/v1/case-tables")

    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_list_sessions_of_another_municipality_is_404(app, as_user, two_tables):
    _own, other, requester = two_tables
    f.sitting(other)

    response = as_user(requester).get(f"/api/v1/case-tables/{other.id}/sessions")

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_list_sessions_upcoming_with_local_offsets(app, as_user, two_tables):
    own, _other, requester = two_tables
    f.sitting(own, starts_at=datetime(2020, 1, 7, 12, tzinfo=UTC))  # past: left out
    winter = f.sitting(own, starts_at=datetime(2099, 1, 6, 12, tzinfo=UTC))
    summer = f.sitting(own, starts_at=datetime(2099, 7, 7, 11, tzinfo=UTC))

    response = as_user(requester).get(f"/api/v1/case-tables/{own.id}/sessions")

    assert response.status_code == 200
    assert response.json == [
        {"id": winter.id, "case_table_id": own.id, "starts_at": "2099-01-06T13:00:00+01:00",
         "ends_at": "2099-01-06T15:00:00+01:00", "location": own.address, "is_online": False,
         "status": "scheduled", "sequence": 0},
        {"id": summer.id, "case_table_id": own.id, "starts_at": "2099-07-07T13:00:00+02:00",
         "ends_at": "2099-07-07T15:00:00+02:00", "location": own.address, "is_online": False,
         "status": "scheduled", "sequence": 0},
    ]


def test_list_sessions_between_dates(app, as_user, coordinator, two_tables):
    own, _other, _requester = two_tables
    f.sitting(own, starts_at=datetime(2027, 3, 1, 23, 30, tzinfo=UTC))  # 2 March 00:30 local
    f.sitting(own, starts_at=datetime(2027, 3, 9, 12, tzinfo=UTC))
    f.sitting(own, starts_at=datetime(2027, 3, 10, 12, tzinfo=UTC))

    response = as_user(coordinator).get(
        f"/api/v1/case-tables/{own.id}/sessions?from=2027-03-02&to=2027-03-09")

    assert [s["starts_at"] for s in response.json] == [
        "2027-03-02T00:30:00+01:00", "2027-03-09T13:00:00+01:00"]


@pytest.mark.parametrize("query", ["from=yesterday", "from=2027-03-09&to=2027-03-01", "colour=blue"])
def test_list_sessions_bad_query_is_422(app, as_user, coordinator, two_tables, query):
    own = two_tables[0]

    response = as_user(coordinator).get(f"/api/v1/case-tables/{own.id}/sessions?{query}")

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_import_calendar_body(app, as_user, coordinator):
    table = ics_table()

    response = as_user(coordinator).post(f"/api/v1/case-tables/{table.id}/sessions/import",
                                         data=future_event(), content_type="text/calendar")

    assert response.status_code == 200
    assert response.json == {"created": 1, "updated": 0, "cancelled": 0, "unchanged": 0,
                             "skipped_past": 0}
    assert [s.origin_uid for s in sittings_of(table)] == ["extra-session@example.org"]


def test_import_of_past_events_answers_how_many_were_skipped(app, as_user, coordinator):
    table = ics_table()
    past = calendar("""UID:last-year@example.org
DTSTAMP:20201201T000000Z
DTSTART:20200316T090000Z
DTEND:20200316T110000Z
""")

    response = as_user(coordinator).post(f"/api/v1/case-tables/{table.id}/sessions/import",
                                         data=past, content_type="text/calendar")

    assert response.status_code == 200
    assert response.json == {"created": 0, "updated": 0, "cancelled": 0, "unchanged": 0,
                             "skipped_past": 1}


def test_import_malformed_calendar_is_422_and_changes_nothing(app, as_user, coordinator):
    table = ics_table()
    f.sitting(table, origin_uid="kept@example.org")

    response = as_user(coordinator).post(
        f"/api/v1/case-tables/{table.id}/sessions/import",
        data=calendar("UID:a@example.org\nDTSTART:20990706T110000Z\nRRULE:FREQ=SOMETIMES"),
        content_type="text/calendar")

    assert response.status_code == 422
    assert response.json == {"error": {
        "code": "validation_error",
        "message": "The calendar file is not valid: event a@example.org has an unreadable RRULE",
        "fields": {"file": ["event a@example.org has an unreadable RRULE"]},
    }}
    assert [s.status for s in sittings_of(table)] == ["scheduled"]
    db.session.refresh(table)
    assert table.ics_imported_at is None


def test_import_from_url(app, as_user, coordinator):
    table = ics_table()
    with serving({"/feed.ics": (200, future_event())}) as base:
        response = as_user(coordinator).post(f"/api/v1/case-tables/{table.id}/sessions/import",
                                             json={"url": f"{base}/feed.ics"})

    assert response.status_code == 200
    assert response.json["created"] == 1


def test_import_from_failing_url_is_422(app, as_user, coordinator):
    table = ics_table()
    with serving({}) as base:
        response = as_user(coordinator).post(f"/api/v1/case-tables/{table.id}/sessions/import",
                                             json={"url": f"{base}/missing.ics"})

    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"url": ["the server answered 404"]}
    assert sitting_count() == 0


@pytest.mark.parametrize("body", [{}, {"url": "file:///etc/passwd"}, {"url": "x", "extra": 1}])
def test_import_with_bad_json_is_422(app, as_user, coordinator, body):
    table = ics_table()

    response = as_user(coordinator).post(f"/api/v1/case-tables/{table.id}/sessions/import",
                                         json=body)

    assert response.status_code == 422
    assert set(response.json["error"]) == {"code", "message", "fields"}


def test_import_by_requester_is_forbidden(app, as_user, two_tables):
    own, _other, requester = two_tables

    response = as_user(requester).post(f"/api/v1/case-tables/{own.id}/sessions/import",
                                       data=future_event(), content_type="text/calendar")

    assert response.status_code == 404
    assert sitting_count() == 0


def test_case_table_operations_in_openapi(app, client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    assert set(paths["/api/v1/case-tables/{case_table_id}/sessions"]) == {"get"}
    assert set(paths["/api/v1/case-tables/{case_table_id}/sessions/import"]) == {"post"}
    assert paths["/api/v1/case-tables"]["get"]["x-roles"] == ["requester", "coordinator", "admin"]


def test_list_sessions_until_a_date_starts_now(app, as_user, coordinator, two_tables):
    own = two_tables[0]
    f.sitting(own, starts_at=datetime(2020, 3, 9, 12, tzinfo=UTC))
    f.sitting(own, starts_at=datetime(2099, 3, 10, 12, tzinfo=UTC))
    f.sitting(own, starts_at=datetime(2099, 3, 12, 12, tzinfo=UTC))

    response = as_user(coordinator).get(f"/api/v1/case-tables/{own.id}/sessions?to=2099-03-11")

    assert [s["starts_at"] for s in response.json] == ["2099-03-10T13:00:00+01:00"]


def test_api_moves_a_session_and_its_booking_follows(app, as_user, coordinator):
    w = World()
    referral = w.request()
    expert = w.expert()
    booking = book_directly(actor=w.coordinator, referral=referral, expert_id=expert.id)
    sitting = referral.sitting
    new_day = (sitting.starts_at + timedelta(days=7)).astimezone(AMSTERDAM).date()

    response = as_user(coordinator).post(
        f"/api/v1/case-tables/{w.table.id}/sessions/{sitting.id}/move",
        json={"date": new_day.isoformat(), "start_time": "14:00", "end_time": "16:00",
              "location": "Stadhuis, zaal 2"})

    assert response.status_code == 200
    assert (response.json["status"], response.json["location"]) == ("moved", "Stadhuis, zaal 2")
    assert response.json["starts_at"].startswith(f"{new_day.isoformat()}T14:00:00+")
    db.session.expire_all()
    assert (booking.starts_at, booking.sequence) == (sitting.starts_at, 1)
    assert sitting.starts_at.astimezone(AMSTERDAM).hour == 14


def test_api_cancels_a_session_with_a_reason_and_its_request(app, as_user, coordinator):
    w = World()
    referral = w.request()
    url = f"/api/v1/case-tables/{w.table.id}/sessions/{referral.sitting_id}/cancel"
    client = as_user(coordinator)

    without = client.post(url, json={})
    cancelled = client.post(url, json={"reason": "Zitting vervalt"})
    again = client.post(url, json={"reason": "Zitting vervalt"})

    assert without.status_code == 422
    assert (cancelled.status_code, cancelled.json["status"]) == (200, "cancelled")
    assert again.status_code == 409
    db.session.expire_all()
    assert referral.status == "cancelled"


def test_api_session_move_is_not_for_requesters(app, as_user, two_tables):
    own, _other, requester = two_tables
    sitting = f.sitting(own)

    response = as_user(requester).post(
        f"/api/v1/case-tables/{own.id}/sessions/{sitting.id}/move",
        json={"date": "2030-01-08", "start_time": "14:00", "end_time": "16:00"})

    assert response.status_code == 404
    db.session.refresh(sitting)
    assert sitting.status == "scheduled"
