"""Budget API, dashboard and budget page; the offer override through API and form."""

from __future__ import annotations

import re
from decimal import Decimal

from duidingspool.bookings.models import Offer
from duidingspool.budget.models import Budget
from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.timeutil import to_local
from tests.bookings.helpers import World
from tests.hours.helpers import Priced


def test_budget_api_money_as_strings(app, login_as):
    world = Priced(amount="1000.00")
    world.line(world.booking("2026-03-10T13:00"), minutes=60, amount="80.00")
    db.session.commit()
    body = login_as(world.coordinator).get("/api/v1/budgets/2026").json

    assert (body["total"]["budget"], body["total"]["spent"]) == ("1000.00", "80.00")
    assert body["thresholds"] == [75, 90, 100]
    assert body["total"]["spent_per_month"][2] == "80.00"


def test_dashboard_is_coordinator_start_page_with_svg_chart(app, login_as):
    world = Priced(amount="1000.00")
    this_year = to_local(utcnow()).year
    if this_year != 2026:
        db.session.add(Budget(year=this_year, amount=Decimal("5000.00")))
    db.session.commit()
    client = login_as(world.coordinator)

    assert client.get("/").headers["Location"] == "/dashboard"
    page = client.get("/dashboard")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg" in html and "<polyline" in html and "style=" not in html
    # The only script is the shared external one (CSP: no inline script).
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/pool.js" defer>']


def test_dashboard_and_budget_refused_for_expert(app, login_as):
    world = Priced()
    db.session.commit()
    client = login_as(world.expert.user)
    assert client.get("/dashboard").status_code == 403
    assert client.get("/budget/2026").status_code == 403


def test_budget_form_saves_and_reports_errors(app, login_as):
    world = Priced()
    db.session.commit()
    client = login_as(world.coordinator)

    bad = client.post("/budget/2027", data={"amount": "abc", "thresholds": "75,90"})
    assert bad.status_code == 422
    ok = client.post("/budget/2027", data={"amount": "125000", "km_rate": "0.21",
                                           "thresholds": "80, 100",
                                           f"allocation_{world.town.safety_region_id}": "25000"})
    assert ok.status_code == 302
    budget = db.session.scalar(db.select(Budget).where(Budget.year == 2027))
    assert (budget.amount, budget.km_rate, budget.thresholds) == (
        Decimal("125000.00"), Decimal("0.21"), [80, 100])
    assert [a.amount for a in budget.allocations] == [Decimal("25000.00")]


def _over_budget_request():
    world = World()
    expert = world.expert(rate="100.00")
    referral = world.request(estimated_minutes=180)
    db.session.add(Budget(year=to_local(referral.sitting.starts_at).year, amount=Decimal("10")))
    db.session.commit()
    return world, expert, referral


def test_offer_api_409_without_reason_201_with(app, login_as):
    world, expert, referral = _over_budget_request()
    client = login_as(world.coordinator)

    refused = client.post(f"/api/v1/requests/{referral.id}/offers",
                          json={"expert_ids": [expert.id]})
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "budget_exceeded")
    accepted = client.post(f"/api/v1/requests/{referral.id}/offers",
                           json={"expert_ids": [expert.id], "budget_override_reason": "Spoed"})
    assert accepted.status_code == 201
    assert db.session.get(Offer, accepted.json[0]["id"]).budget_override_reason == "Spoed"


def test_offer_form_shows_reason_field_when_over_budget(app, login_as):
    world, expert, referral = _over_budget_request()
    client = login_as(world.coordinator)
    url = f"/verzoeken/{referral.id}/aanbiedingen"

    refused = client.post(url, data={"expert_ids": str(expert.id)})
    assert refused.status_code == 409
    assert 'name="budget_override_reason"' in refused.get_data(as_text=True)
    accepted = client.post(url, data={"expert_ids": str(expert.id),
                                      "budget_override_reason": "Spoed"})
    assert accepted.status_code == 302
    offer = db.session.scalar(db.select(Offer).where(Offer.referral_id == referral.id))
    assert offer.budget_override_reason == "Spoed"


def test_dashboard_draws_the_budget_gauge(app, login_as):
    world = Priced(amount="1000.00")
    this_year = to_local(utcnow()).year
    if this_year != 2026:
        db.session.add(Budget(year=this_year, amount=Decimal("1000.00")))
    db.session.commit()

    html = login_as(world.coordinator).get("/dashboard").get_data(as_text=True)

    # The gauge macro used to be shadowed by a template variable of the same name, which
    # left the bar without a width: <svg width="" viewBox="0 0  24">.
    assert '<svg width="300" height="24" viewBox="0 0 300 24"' in html
    assert 'width=""' not in html
