"""Admin pages for expertise areas."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.experts.models import ExpertiseArea
from duidingspool.extensions import db
from tests import factories as f

FORM = {"code": "returnees", "name_nl": "Terugkeerders en uitreizigers",
        "name_en": "Returnees and travellers", "description": "Rückkehrer"}


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.EXPERT, Role.COORDINATOR])
@pytest.mark.parametrize("path", ["/beheer/expertisegebieden", "/beheer/expertisegebieden/nieuw"])
def test_area_pages_forbidden_for_non_admins(app, as_user, role, path):
    assert as_user(f.user(role)).get(path).status_code == 403


def test_area_list(app, as_user, admin):
    area = f.expertise_area(name_nl="Jihadisme", name_en="Jihadism", code="jihadism")

    page = as_user(admin).get("/beheer/expertisegebieden").get_data(as_text=True)

    # By its name in the interface language (English here), not by its code.
    assert f'<a href="/beheer/expertisegebieden/{area.id}">Jihadism</a>' in page
    assert ">jihadism</td>" in page


def test_create_area(app, as_user, admin):
    response = as_user(admin).post("/beheer/expertisegebieden/nieuw", data=FORM)

    assert response.status_code == 302
    area = db.session.scalars(select(ExpertiseArea)).one()
    assert (area.code, area.name_en, area.description) == (
        "returnees", "Returnees and travellers", "Rückkehrer")


def test_create_area_invalid_rerenders_with_values(app, as_user, admin):
    existing = f.expertise_area()

    response = as_user(admin).post("/beheer/expertisegebieden/nieuw", data={
        **FORM, "code": existing.code, "name_en": ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="name_en-errors"' in page
    assert 'value="Terugkeerders en uitreizigers"' in page
    assert db.session.scalars(select(ExpertiseArea)).all() == [existing]


def test_create_area_duplicate_code_rerenders(app, as_user, admin):
    existing = f.expertise_area()

    response = as_user(admin).post("/beheer/expertisegebieden/nieuw",
                                   data={**FORM, "code": existing.code})

    assert response.status_code == 422
    assert 'id="code-errors"' in response.get_data(as_text=True)


def test_create_area_bad_code_rerenders(app, as_user, admin):
    response = as_user(admin).post("/beheer/expertisegebieden/nieuw",
                                   data={**FORM, "code": "two words"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="two words"' in page


def test_edit_area(app, as_user, admin):
    area = f.expertise_area()
    client = as_user(admin)
    assert client.get(f"/beheer/expertisegebieden/{area.id}").status_code == 200

    response = client.post(f"/beheer/expertisegebieden/{area.id}", data=FORM)

    assert response.status_code == 302
    db.session.refresh(area)
    assert (area.code, area.name_nl) == ("returnees", "Terugkeerders en uitreizigers")


def test_edit_area_invalid_keeps_values(app, as_user, admin):
    area = f.expertise_area()

    response = as_user(admin).post(f"/beheer/expertisegebieden/{area.id}",
                                   data={**FORM, "name_nl": ""})

    assert response.status_code == 422
    assert 'value="Returnees and travellers"' in response.get_data(as_text=True)
    db.session.refresh(area)
    assert area.code.startswith("area-")


def test_deactivate_area(app, as_user, admin):
    area = f.expertise_area()

    response = as_user(admin).post(f"/beheer/expertisegebieden/{area.id}/actief",
                                   data={"active": "0", "confirm": "yes"})

    assert response.status_code == 302
    db.session.refresh(area)
    assert area.is_active is False


def test_unknown_area_is_404(app, as_user, admin):
    assert as_user(admin).get("/beheer/expertisegebieden/99999").status_code == 404


# --- Expert profiles (coordinator) and availability (the expert) -----------------------------

from datetime import date, datetime, timedelta, timezone  # noqa: E402
from decimal import Decimal  # noqa: E402

from duidingspool.accounts.models import User  # noqa: E402
from duidingspool.experts.models import (  # noqa: E402
    Absence,
    AvailabilityWindow,
    Expert,
    ExpertRate,
)


def expert_form(home, **kw):
    return {"account": "new", "email": "sanne.dekker@example.org", "name": "Sanne Dekker",
            "password": "initial-password-1", "home_municipality_id": str(home.id),
            "max_travel_km": "90", "max_hours_per_month": "20", "languages": "nl, en",
            "is_active": "1", "vog_issued_on": "2026-01-01", "vog_expires_on": "2029-01-01",
            **kw}


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.ADMIN, Role.EXPERT])
@pytest.mark.parametrize("path", ["/deskundigen", "/deskundigen/nieuw"])
def test_expert_pages_forbidden_for_non_coordinators(app, as_user, role, path):
    assert as_user(f.user(role)).get(path).status_code == 403


def test_expert_list_shows_vetting_notice(app, as_user, coordinator):
    soon = f.expert(vog_expires_on=date.today() + timedelta(days=10),
                    user=f.user(Role.EXPERT, name="Ilse Bakker"))
    f.expert(user=f.user(Role.EXPERT, name="Ruben Smit"))

    page = as_user(coordinator).get("/deskundigen").get_data(as_text=True)

    notice = page.split('class="notice-box"')[1].split("</section>")[0]
    assert "Ilse Bakker" in notice and "Ruben Smit" not in notice
    assert f"/deskundigen/{soon.id}" in page and "Ruben Smit" in page


def test_coordinator_creates_expert(app, as_user, coordinator):
    home = f.municipality()
    area, other_area = f.expertise_area(), f.expertise_area()

    response = as_user(coordinator).post("/deskundigen/nieuw", data=expert_form(
        home, areas=[f"{area.id}:2", "", f"{other_area.id}:3"]))

    expert = db.session.scalars(select(Expert)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/deskundigen/{expert.id}"
    assert (expert.user.name, expert.max_travel_km, expert.vog_expires_on) == (
        "Sanne Dekker", 90, date(2029, 1, 1))
    assert sorted((e.expertise_area_id, e.level) for e in expert.expertise) == [
        (area.id, 2), (other_area.id, 3)]


def test_create_expert_invalid_rerendered_keeping_values(app, as_user, coordinator):
    home = f.municipality()
    users_before = db.session.scalars(select(User)).all()

    response = as_user(coordinator).post("/deskundigen/nieuw", data=expert_form(
        home, languages="nl, xx", password="short", max_travel_km="far"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="languages-errors"' in page and 'id="password-errors"' in page
    assert 'id="max_travel_km-errors"' in page
    assert 'value="nl, xx"' in page and 'value="Sanne Dekker"' in page and 'value="far"' in page
    assert "short" not in page.split('id="password"')[1].split(">")[0]
    assert db.session.scalars(select(Expert)).all() == []
    assert db.session.scalars(select(User)).all() == users_before


def test_coordinator_edits_expert_invalid_then_valid(app, as_user, coordinator):
    expert = f.expert()
    area = f.expertise_area()
    client = as_user(coordinator)
    form = {"areas": f"{area.id}:2",
            "home_municipality_id": str(expert.home_municipality_id), "max_travel_km": "40",
            "max_hours_per_month": "10", "languages": "nl, so, ti", "is_active": "1",
            "vog_issued_on": "2027-01-01", "vog_expires_on": "2026-01-01"}

    bad = client.post(f"/deskundigen/{expert.id}/bewerken", data=form)
    good = client.post(f"/deskundigen/{expert.id}/bewerken",
                       data={**form, "vog_expires_on": "2030-01-01"})

    assert bad.status_code == 422
    assert 'id="vog_expires_on-errors"' in bad.get_data(as_text=True)
    assert 'value="nl, so, ti"' in bad.get_data(as_text=True)
    assert f'value="{area.id}:2" selected' in bad.get_data(as_text=True)
    assert good.status_code == 302
    db.session.expire_all()
    assert (expert.max_travel_km, sorted(lang.language for lang in expert.languages),
            expert.vog_expires_on) == (40, ["nl", "so", "ti"], date(2030, 1, 1))
    assert [(e.expertise_area_id, e.level) for e in expert.expertise] == [(area.id, 2)]


def test_coordinator_adds_rate_and_past_rate_removal_refused(app, as_user, coordinator):
    expert = f.expert()
    old = ExpertRate(expert_id=expert.id, valid_from=date(2020, 1, 1),
                     hourly_rate=Decimal("90.00"))
    db.session.add(old)
    client = as_user(coordinator)
    future = (date.today() + timedelta(days=30)).isoformat()

    added = client.post(f"/deskundigen/{expert.id}/tarieven",
                        data={"valid_from": future, "hourly_rate": "112.50"})
    invalid = client.post(f"/deskundigen/{expert.id}/tarieven",
                          data={"valid_from": future, "hourly_rate": "lots"})
    refused = client.post(f"/deskundigen/{expert.id}/tarieven/{old.id}/verwijderen",
                          data={"confirm": "yes"})

    assert added.status_code == 302
    assert invalid.status_code == 422 and 'value="lots"' in invalid.get_data(as_text=True)
    assert refused.status_code == 409
    assert db.session.execute(select(ExpertRate.valid_from, ExpertRate.hourly_rate)
                              .order_by(ExpertRate.valid_from)).all() == [
        (date(2020, 1, 1), Decimal("90.00")),
        (date.today() + timedelta(days=30), Decimal("112.50"))]


def test_coordinator_sees_availability_read_only(app, as_user, coordinator):
    expert = f.expert()
    db.session.add(AvailabilityWindow(expert_id=expert.id, weekday=1, start_minute=540,
                                      end_minute=1020))

    page = as_user(coordinator).get(f"/deskundigen/{expert.id}").get_data(as_text=True)

    assert "Tuesday 09:00–17:00" in page
    assert "/beschikbaarheid/vensters" not in page


def test_expert_edits_own_availability(app, as_user):
    expert = f.expert(user=f.user(Role.EXPERT, locale="en"))
    client = as_user(expert.user)

    added = client.post("/beschikbaarheid/vensters",
                        data={"weekday": "1", "start": "09:00", "end": "12:30"})
    overlapping = client.post("/beschikbaarheid/vensters",
                              data={"weekday": "1", "start": "12:00", "end": "14:00"})
    absence = client.post("/beschikbaarheid/afwezigheden",
                          data={"starts_at": "2027-07-01T00:00", "ends_at": "2027-07-15T00:00",
                                "reason": "Holiday"})
    page = client.get("/beschikbaarheid").get_data(as_text=True)

    assert (added.status_code, absence.status_code) == (302, 302)
    assert overlapping.status_code == 422
    assert "overlaps" in overlapping.get_data(as_text=True)
    assert 'value="12:00"' in overlapping.get_data(as_text=True)
    assert db.session.execute(select(AvailabilityWindow.weekday, AvailabilityWindow.start_minute,
                                     AvailabilityWindow.end_minute)).all() == [(1, 540, 750)]
    assert db.session.execute(select(Absence.starts_at, Absence.ends_at)).all() == [
        (datetime(2027, 6, 30, 22, tzinfo=timezone.utc),
         datetime(2027, 7, 14, 22, tzinfo=timezone.utc))]
    assert "Tuesday 09:00–12:30" in page


def test_expert_absence_end_before_start_rerendered(app, as_user):
    expert = f.expert(user=f.user(Role.EXPERT, locale="en"))

    response = as_user(expert.user).post("/beschikbaarheid/afwezigheden", data={
        "starts_at": "2027-07-15T00:00", "ends_at": "2027-07-01T00:00"})

    assert response.status_code == 422
    assert 'id="ends_at-errors"' in response.get_data(as_text=True)
    assert 'value="2027-07-15T00:00"' in response.get_data(as_text=True)


def test_expert_cannot_remove_another_experts_window(app, as_user):
    mine, theirs = f.expert(), f.expert()
    window = AvailabilityWindow(expert_id=theirs.id, weekday=0, start_minute=0, end_minute=60)
    db.session.add(window)

    response = as_user(mine.user).post(f"/beschikbaarheid/vensters/{window.id}/verwijderen")

    assert response.status_code == 404
    assert db.session.scalars(select(AvailabilityWindow.id)).all() == [window.id]


def test_expert_without_profile_gets_404(app, as_user):
    assert as_user(f.user(Role.EXPERT)).get("/beschikbaarheid").status_code == 404


def test_expert_busy_calendar_bad_url_rerendered(app, as_user):
    expert = f.expert(user=f.user(Role.EXPERT, locale="en"))

    response = as_user(expert.user).post("/beschikbaarheid/agenda",
                                         data={"busy_ics_url": "ftp://example.org/cal.ics"})

    assert response.status_code == 422
    assert 'id="busy_ics_url-errors"' in response.get_data(as_text=True)
    assert 'value="ftp://example.org/cal.ics"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert expert.busy_ics_url is None


def test_expert_saves_busy_calendar_and_refreshes(app, as_user):
    from duidingspool.experts.models import BusyInterval
    from tests.casetables.helpers import calendar, serving

    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(minute=0, second=0,
                                                                     microsecond=0)
    feed = calendar(f"""UID:x@example.org
DTSTAMP:20270101T000000Z
DTSTART:{start:%Y%m%dT%H%M%SZ}
DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}
SUMMARY:Private""")
    expert = f.expert(user=f.user(Role.EXPERT, locale="en"))
    client = as_user(expert.user)
    with serving({"/me.ics": (200, feed)}) as base:
        saved = client.post("/beschikbaarheid/agenda", data={"busy_ics_url": f"{base}/me.ics"})
        refreshed = client.post("/beschikbaarheid/agenda/vernieuwen")

    assert (saved.status_code, refreshed.status_code) == (302, 302)
    assert db.session.execute(select(BusyInterval.starts_at, BusyInterval.ends_at)).all() == [
        (start, start + timedelta(hours=1))]
    assert "Private" not in client.get("/beschikbaarheid").get_data(as_text=True)


def test_link_styled_buttons_are_not_white_on_the_white_page(app, as_user, admin):
    from tests.web.helpers import css_rule

    expert = f.expert(user=f.user(Role.EXPERT, locale="en"))
    window = AvailabilityWindow(expert_id=expert.id, weekday=1, start_minute=540,
                                end_minute=1020)
    db.session.add(window)
    area = f.expertise_area(name_nl="Jihadisme", is_active=False)
    db.session.commit()

    availability = as_user(expert.user).get("/beschikbaarheid").get_data(as_text=True)
    areas = as_user(admin).get("/beheer/expertisegebieden").get_data(as_text=True)

    # Removing goes through a confirmation page, reached by an ordinary (visible) link; a
    # button that reads like a link (activating an area) gets the accent colour, not the
    # white of the filled buttons (it was white on white).
    assert f'href="/beschikbaarheid/vensters/{window.id}/verwijderen">Remove…</a>' in availability
    assert "pool-link-button" in areas and ">Activate</button>" in areas
    assert area.name_en in areas
    rule = css_rule(".pool-link-button.utrecht-link-button")
    assert rule["background"] == "none"
    assert rule["color"].startswith("var(--basis-color-accent-1-color")
