"""The coordinator's rota page, the dashboard's gaps and GET /api/v1/rota."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.oncall import services
from duidingspool.oncall.models import OnCallOverride
from duidingspool.timeutil import local_date
from tests import factories as f


def _this_monday() -> date:
    return services.week_of(local_date(utcnow()))


def test_coordinator_sets_the_pattern_and_sees_the_weeks(app, coordinator, as_user):
    a, b = f.expert(), f.expert()
    client = as_user(coordinator)

    response = client.post("/rooster/patroon", data={
        "starts_on": _this_monday().isoformat(), "expert_ids": [str(b.id), "", str(a.id)]})

    assert response.status_code == 302
    assert [m.expert_id for m in services.members()] == [b.id, a.id]
    page = client.get("/rooster").get_data(as_text=True)
    assert b.user.name in page and a.user.name in page


def test_bad_override_is_shown_at_its_field_and_in_the_summary(app, coordinator, as_user):
    client = as_user(coordinator)

    response = client.post("/rooster/wijzigingen", data={"week_start": "gisteren",
                                                         "kind": "holiday"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="week_start-errors"' in page and "error-summary" in page
    assert db.session.scalar(select(OnCallOverride.id)) is None


def test_removing_an_override_needs_a_confirmation(app, coordinator, as_user):
    week = _this_monday() + timedelta(days=14)
    override = services.set_override(actor=coordinator, week_start=week, expert_id=None,
                                     kind="holiday")
    client = as_user(coordinator)
    url = f"/rooster/wijzigingen/{override.id}/verwijderen"

    asked = client.get(url)
    unconfirmed = client.post(url, data={})
    db.session.expire_all()
    assert asked.status_code == unconfirmed.status_code == 200
    assert 'name="confirm" value="yes"' in asked.get_data(as_text=True)
    assert db.session.get(OnCallOverride, override.id) is not None

    confirmed = client.post(url, data={"confirm": "yes"})

    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(OnCallOverride, override.id) is None


def test_dashboard_shows_the_gaps_of_the_coming_weeks(app, coordinator, as_user):
    a = f.expert()
    services.set_pattern(actor=coordinator, starts_on=_this_monday(), expert_ids=[a.id])
    gap = _this_monday() + timedelta(days=21)
    services.set_override(actor=coordinator, week_start=gap, expert_id=None, kind="holiday")
    client = as_user(coordinator)

    page = client.get("/dashboard").get_data(as_text=True)

    assert 'id="rota-gaps"' in page
    assert f"Week {gap.isocalendar().week}," in page


def test_dashboard_without_gaps_shows_no_gap_panel(app, coordinator, as_user):
    a = f.expert()
    services.set_pattern(actor=coordinator, starts_on=_this_monday(), expert_ids=[a.id])

    page = as_user(coordinator).get("/dashboard").get_data(as_text=True)

    assert 'id="rota-gaps"' not in page


def test_api_rota_for_an_expert(app, coordinator, as_user):
    a, b = f.expert(), f.expert()
    services.set_pattern(actor=coordinator, starts_on=_this_monday(), expert_ids=[a.id, b.id])
    services.set_override(actor=coordinator, week_start=_this_monday() + timedelta(days=7),
                          expert_id=None, kind="holiday")
    a.user.locale = "en"

    body = as_user(a.user).get("/api/v1/rota?weeks=3").get_json()

    assert [w["expert_id"] for w in body["weeks"]] == [a.id, None, a.id]
    assert [w["source"] for w in body["weeks"]] == ["pattern", "override", "pattern"]
    assert body["gaps"] == 1 and body["expert_ids"] == [a.id, b.id]


def test_api_rota_refuses_a_bad_number_of_weeks_naming_the_field(app, coordinator, as_user):
    response = as_user(coordinator).get("/api/v1/rota?weeks=500")

    assert response.status_code == 422
    assert "weeks" in response.get_json()["error"]["fields"]


def test_requester_may_not_read_the_rota(app, as_user):
    requester = f.user(Role.REQUESTER, municipality_obj=f.municipality())

    assert as_user(requester).get("/api/v1/rota").status_code == 403
