"""Admin pages for municipalities, case tables and sessions."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from io import BytesIO

import pytest
from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.casetables.models import CaseTable, Municipality, ScheduleSource, Sitting
from duidingspool.extensions import db
from duidingspool.timeutil import LOCAL_TZ
from tests import factories as f
from tests.casetables.helpers import SINGLE, calendar, serving, sitting_count, sittings_of


def future_single() -> bytes:
    """A one-off ICS session a month from today (import only looks ahead)."""
    start = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y%m%dT090000Z")
    end = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y%m%dT110000Z")
    return calendar(SINGLE.replace("20270316T090000Z", start).replace("20270316T110000Z", end))


# --- access ----------------------------------------------------------------------------------

ADMIN_ONLY = ["/beheer/gemeenten", "/beheer/gemeenten/nieuw", "/beheer/casustafels/nieuw",
              "/beheer/expertisegebieden"]
MANAGED = ["/beheer/", "/beheer/casustafels"]


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.EXPERT])
@pytest.mark.parametrize("path", ADMIN_ONLY + MANAGED)
def test_admin_pages_forbidden_for_requester_and_expert(app, as_user, role, path):
    client = as_user(f.user(role, locale="en"))

    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_admin_only_pages_forbidden_for_coordinator(app, as_user, coordinator, path):
    assert as_user(coordinator).get(path).status_code == 403


@pytest.mark.parametrize("path", MANAGED)
def test_case_table_pages_open_to_coordinator(app, as_user, coordinator, path):
    assert as_user(coordinator).get(path).status_code == 200


def test_admin_pages_redirect_anonymous_to_login(app, client):
    response = client.get("/beheer/gemeenten")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admin_index_lists_the_admin_sections(app, as_user, admin):
    page = as_user(admin).get("/beheer/").get_data(as_text=True)

    assert "/beheer/gemeenten" in page
    assert "/beheer/casustafels" in page
    assert "/beheer/expertisegebieden" in page


# --- municipalities --------------------------------------------------------------------------

def municipality_form(region, **kw):
    return {"name": "Hof van Twente", "cbs_code": "gm1735", "safety_region_id": str(region.id),
            "latitude": "52.25", "longitude": "6.60", **kw}


def test_create_municipality(app, as_user, admin):
    region = f.region()

    response = as_user(admin).post("/beheer/gemeenten/nieuw", data=municipality_form(region))

    assert response.status_code == 302
    found = db.session.scalars(select(Municipality).where(Municipality.name == "Hof van Twente")).one()
    assert (found.cbs_code, found.safety_region_id, found.latitude) == (
        "GM1735", region.id, Decimal("52.25000"))


def test_create_municipality_invalid_rerenders_with_values(app, as_user, admin):
    region = f.region()

    response = as_user(admin).post("/beheer/gemeenten/nieuw", data=municipality_form(
        region, cbs_code="XX12", latitude="200"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="XX12"' in page
    assert 'value="200"' in page
    assert 'value="Hof van Twente"' in page
    assert "Write GM followed by four digits" in page
    assert db.session.scalar(select(Municipality).where(Municipality.name == "Hof van Twente")) is None


def test_a_municipality_name_with_a_line_break_is_refused_at_the_field(app, as_user, admin):
    region = f.region()

    response = as_user(admin).post("/beheer/gemeenten/nieuw", data=municipality_form(
        region, name="Hof van\r\nTwente"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Use a single line without control characters." in page
    assert db.session.scalar(select(Municipality).where(Municipality.cbs_code == "GM1735")) is None


def test_create_municipality_duplicate_code_rerenders(app, as_user, admin):
    existing = f.municipality()

    response = as_user(admin).post("/beheer/gemeenten/nieuw", data=municipality_form(
        existing.safety_region, cbs_code=existing.cbs_code))

    assert response.status_code == 422
    assert "id=\"cbs_code-errors\"" in response.get_data(as_text=True)


def test_edit_municipality(app, as_user, admin):
    found = f.municipality()
    client = as_user(admin)

    assert client.get(f"/beheer/gemeenten/{found.id}").status_code == 200
    response = client.post(f"/beheer/gemeenten/{found.id}", data=municipality_form(
        found.safety_region, name="Nieuwe naam", cbs_code=found.cbs_code))

    assert response.status_code == 302
    db.session.refresh(found)
    assert found.name == "Nieuwe naam"


def test_edit_municipality_invalid_keeps_typed_values(app, as_user, admin):
    found = f.municipality()

    response = as_user(admin).post(f"/beheer/gemeenten/{found.id}", data=municipality_form(
        found.safety_region, name="", longitude="east"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="east"' in page
    db.session.refresh(found)
    assert found.name.startswith("Gemeente ")


def test_edit_unknown_municipality_is_404(app, as_user, admin):
    assert as_user(admin).get("/beheer/gemeenten/999999").status_code == 404


# --- case tables -----------------------------------------------------------------------------

def case_table_form(host, members, **kw):
    first = date.today() + timedelta(days=7)
    return {"name": "Casustafel Achterhoek", "host_organisation": "Veiligheidshuis Achterhoek",
            "host_municipality_id": str(host.id), "address": "Markt 1, Doetinchem",
            "contact_email": "casustafel@example.org",
            "municipality_ids": [str(m.id) for m in members], "schedule_source": "recurrence",
            "rrule": "FREQ=MONTHLY;BYDAY=2TU", "first_session_date": first.isoformat(),
            "first_session_time": "13:00", "duration_minutes": "120", "is_active": "y", **kw}


def test_create_case_table_generates_sessions(app, as_user, admin):
    host, other = f.municipality(), f.municipality()

    response = as_user(admin).post("/beheer/casustafels/nieuw",
                                    data=case_table_form(host, [host, other]))

    assert response.status_code == 302
    table = db.session.scalars(select(CaseTable)).one()
    assert (table.name, table.rrule, table.contact_email) == (
        "Casustafel Achterhoek", "FREQ=MONTHLY;BYDAY=2TU", "casustafel@example.org")
    assert {m.id for m in table.municipalities} == {host.id, other.id}
    assert response.headers["Location"].endswith(f"/beheer/casustafels/{table.id}")
    assert 11 <= sitting_count() <= 13
    assert {s.starts_at.astimezone(LOCAL_TZ).hour for s in sittings_of(table)} == {13}


def test_create_case_table_hourly_rule_rerenders_with_values(app, as_user, admin):
    host = f.municipality()

    response = as_user(admin).post("/beheer/casustafels/nieuw", data=case_table_form(
        host, [host], rrule="FREQ=HOURLY", name="Casustafel Fout"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "sessions are at most daily" in page
    assert 'value="FREQ=HOURLY"' in page
    assert 'value="Casustafel Fout"' in page
    assert f'<option value="{host.id}" selected>' in page
    assert db.session.scalar(select(CaseTable)) is None
    assert sitting_count() == 0


def test_create_case_table_missing_fields_rerenders(app, as_user, admin):
    host = f.municipality()

    response = as_user(admin).post("/beheer/casustafels/nieuw", data=case_table_form(
        host, [host], name="", first_session_time="", duration_minutes="5"))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give both the date and the start time." in page
    assert db.session.scalar(select(CaseTable)) is None


def test_edit_case_table(app, as_user, admin):
    table = f.case_table()
    client = as_user(admin)
    assert client.get(f"/beheer/casustafels/{table.id}/bewerken").status_code == 200

    response = client.post(f"/beheer/casustafels/{table.id}/bewerken", data=case_table_form(
        table.host_municipality, table.municipalities, name="Casustafel Hernoemd",
        schedule_source="ics", rrule="", first_session_date="", first_session_time="",
        ics_url="https://agenda.example.org/casustafel.ics"))

    assert response.status_code == 302
    db.session.refresh(table)
    assert (table.name, table.schedule_source, table.rrule, table.ics_url) == (
        "Casustafel Hernoemd", "ics", None, "https://agenda.example.org/casustafel.ics")


def test_edit_case_table_invalid_keeps_typed_values(app, as_user, admin):
    table = f.case_table()

    response = as_user(admin).post(f"/beheer/casustafels/{table.id}/bewerken", data=case_table_form(
        table.host_municipality, table.municipalities, rrule="FREQ=WEEKLY;BYDAY=XX",
        contact_email="not-an-address"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="not-an-address"' in page
    db.session.refresh(table)
    assert table.rrule == "FREQ=MONTHLY;BYDAY=2TU"


def test_case_table_page_lists_upcoming_sessions(app, as_user, coordinator):
    table = f.case_table(address="Stationsplein 1")
    upcoming = f.sitting(table)
    f.sitting(table, starts_at=datetime(2020, 1, 1, 12, tzinfo=timezone.utc))

    page = as_user(coordinator).get(f"/beheer/casustafels/{table.id}").get_data(as_text=True)

    assert page.count(f"/zittingen/{upcoming.id}\"") == 1
    assert "2020" not in page.split("Upcoming sessions")[1]


def test_upload_ics_imports(app, as_user, coordinator):
    table = f.case_table(schedule_source=ScheduleSource.ICS, rrule=None, first_session_start=None)

    response = as_user(coordinator).post(
        f"/beheer/casustafels/{table.id}/ics",
        data={"file": (BytesIO(future_single()), "agenda.ics")},
        content_type="multipart/form-data")

    assert response.status_code == 302
    assert [s.origin_uid for s in sittings_of(table)] == ["extra-session@example.org"]
    db.session.refresh(table)
    assert table.ics_imported_at is not None


def test_upload_of_past_events_says_they_were_skipped(app, as_user, coordinator):
    table = f.case_table(schedule_source=ScheduleSource.ICS, rrule=None, first_session_start=None)
    past = calendar("""UID:last-year@example.org
DTSTAMP:20201201T000000Z
DTSTART:20200316T090000Z
DTEND:20200316T110000Z
""")
    client = as_user(coordinator)

    response = client.post(f"/beheer/casustafels/{table.id}/ics",
                           data={"file": (BytesIO(past), "agenda.ics")},
                           content_type="multipart/form-data", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert sitting_count() == 0
    assert "0 new" in page
    assert "1 event of the calendar lies in the past and was skipped" in page


def test_upload_malformed_ics_shows_error_and_changes_nothing(app, as_user, coordinator):
    table = f.case_table(schedule_source=ScheduleSource.ICS, rrule=None, first_session_start=None)

    response = as_user(coordinator).post(
        f"/beheer/casustafels/{table.id}/ics",
        data={"file": (BytesIO(b"BEGIN:VCALENDAR\r\nnonsense"), "agenda.ics")},
        content_type="multipart/form-data")

    assert response.status_code == 422
    assert "The calendar file is not valid" in response.get_data(as_text=True)
    assert sitting_count() == 0


def test_upload_without_file_shows_error(app, as_user, coordinator):
    table = f.case_table()

    response = as_user(coordinator).post(f"/beheer/casustafels/{table.id}/ics", data={},
                                          content_type="multipart/form-data")

    assert response.status_code == 422
    assert "Choose a calendar file (.ics)." in response.get_data(as_text=True)


def test_fetch_ics_from_case_table_address(app, as_user, coordinator):
    table = f.case_table(schedule_source=ScheduleSource.ICS, rrule=None, first_session_start=None)
    with serving({"/feed.ics": (200, future_single())}) as base:
        table.ics_url = f"{base}/feed.ics"
        db.session.commit()
        response = as_user(coordinator).post(f"/beheer/casustafels/{table.id}/ics/ophalen")

    assert response.status_code == 302
    assert sitting_count() == 1


def test_fetch_ics_failure_shows_error(app, as_user, coordinator):
    table = f.case_table(schedule_source=ScheduleSource.ICS, rrule=None, first_session_start=None)
    with serving({}) as base:
        table.ics_url = f"{base}/gone.ics"
        db.session.commit()
        response = as_user(coordinator).post(f"/beheer/casustafels/{table.id}/ics/ophalen")

    assert response.status_code == 422
    assert "the server answered 404" in response.get_data(as_text=True)
    assert sitting_count() == 0


def test_generate_button_creates_sessions(app, as_user, coordinator):
    first = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    table = f.case_table(rrule="FREQ=WEEKLY;COUNT=3", first_session_start=first)

    response = as_user(coordinator).post(f"/beheer/casustafels/{table.id}/zittingen/genereren")

    assert response.status_code == 302
    assert sitting_count() == 3


# --- sessions --------------------------------------------------------------------------------

def test_move_sitting_page(app, as_user, coordinator):
    table = f.case_table()
    found = f.sitting(table)
    client = as_user(coordinator)
    assert client.get(f"/beheer/casustafels/{table.id}/zittingen/{found.id}").status_code == 200

    response = client.post(f"/beheer/casustafels/{table.id}/zittingen/{found.id}/verplaatsen",
                           data={"date": "2027-07-06", "start_time": "10:00",
                                 "end_time": "12:30", "location": "Raadzaal"})

    assert response.status_code == 302
    db.session.refresh(found)
    assert (found.starts_at, found.ends_at, found.location, found.status, found.sequence) == (
        datetime(2027, 7, 6, 8, tzinfo=timezone.utc), datetime(2027, 7, 6, 10, 30, tzinfo=timezone.utc),
        "Raadzaal", "moved", 1)


def test_move_sitting_end_before_start_rerenders(app, as_user, coordinator):
    table = f.case_table()
    found = f.sitting(table)

    response = as_user(coordinator).post(
        f"/beheer/casustafels/{table.id}/zittingen/{found.id}/verplaatsen",
        data={"date": "2027-07-06", "start_time": "10:00", "end_time": "09:00", "location": "Zaal 3"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Must be after the start time." in page
    assert 'value="Zaal 3"' in page
    db.session.refresh(found)
    assert found.status == "scheduled"


def test_cancel_sitting_page(app, as_user, admin):
    table = f.case_table()
    found = f.sitting(table)
    client = as_user(admin)
    url = f"/beheer/casustafels/{table.id}/zittingen/{found.id}/annuleren"

    asked = client.post(url, data={"reason": "Zaal niet beschikbaar"})
    db.session.refresh(found)
    status_after_asking = found.status
    response = client.post(url, data={"reason": "Zaal niet beschikbaar", "confirm": "yes"})

    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and status_after_asking == "scheduled"
    assert 'name="reason" value="Zaal niet beschikbaar"' in page
    assert 'name="confirm" value="yes"' in page
    assert response.status_code == 302
    db.session.refresh(found)
    assert (found.status, found.sequence) == ("cancelled", 1)


def test_cancel_sitting_without_reason_rerenders(app, as_user, admin):
    table = f.case_table()
    found = f.sitting(table)

    response = as_user(admin).post(f"/beheer/casustafels/{table.id}/zittingen/{found.id}/annuleren",
                                    data={"reason": ""})

    assert response.status_code == 422
    db.session.refresh(found)
    assert found.status == "scheduled"


def test_move_cancelled_sitting_shows_the_form_again_with_the_conflict(app, as_user, admin):
    table = f.case_table()
    found = f.sitting(table, status="cancelled")

    response = as_user(admin).post(
        f"/beheer/casustafels/{table.id}/zittingen/{found.id}/verplaatsen",
        data={"date": "2027-07-06", "start_time": "10:00", "end_time": "12:00",
              "location": "Zaal 7"})

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "A cancelled session cannot be moved." in page
    assert "Back to the case table" in page  # the session's page, not the error page
    location = found.location
    db.session.refresh(found)
    assert (found.status, found.location) == ("cancelled", location)


def test_sitting_of_another_case_table_is_404(app, as_user, admin):
    table, other = f.case_table(), f.case_table()
    found = f.sitting(other)

    response = as_user(admin).get(f"/beheer/casustafels/{table.id}/zittingen/{found.id}")

    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.EXPERT])
def test_sitting_actions_forbidden_for_requester_and_expert(app, as_user, role):
    table = f.case_table()
    found = f.sitting(table)

    response = as_user(f.user(role, locale="en")).post(
        f"/beheer/casustafels/{table.id}/zittingen/{found.id}/annuleren", data={"reason": "x"})

    assert response.status_code == 404
    assert db.session.get(Sitting, found.id).status == "scheduled"


def test_sessions_generate_command(app, runner):
    first = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    table = f.case_table(rrule="FREQ=WEEKLY;COUNT=2", first_session_start=first)
    f.case_table(schedule_source=ScheduleSource.ICS, rrule=None, first_session_start=None)
    db.session.commit()

    result = runner.invoke(args=["sessions", "generate"])
    again = runner.invoke(args=["sessions", "generate", "--case-table", str(table.id)])

    assert result.exit_code == 0, result.output
    assert result.output == f"case table {table.id}: 2 sessions created\n"
    assert again.output == f"case table {table.id}: 0 sessions created\n"
    assert sitting_count() == 2
