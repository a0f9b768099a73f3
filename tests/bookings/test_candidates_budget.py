"""The ranking the coordinator sees weighs each candidate's cost against the budget left."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from duidingspool.budget.models import Budget
from duidingspool.extensions import db
from duidingspool.timeutil import to_local
from tests import factories as f
from tests.bookings.helpers import World, available_expert, direct_booking


@pytest.fixture
def two_experts(app):
    """A request of 2 hours and two experts equal but for cost (EUR 100 and EUR 200) and a
    little travel: the cheaper one lives 20 km away (12 of 15 travel points), the dearer
    next door. Another booking that year commits EUR 750 of the budget."""
    w = World()
    referral = w.request(estimated_minutes=120)
    near_town = f.municipality(latitude=Decimal("52.40"), longitude=Decimal("6.89"))
    cheap = available_expert(areas=[w.area], home=near_town, rate="50.00", max_travel_km=100)
    dear = available_expert(areas=[w.area], home=w.town, rate="100.00", max_travel_km=100)
    busy = w.expert(rate="100.00")
    other = w.request(starts_at=referral.sitting.starts_at + timedelta(hours=4),
                      estimated_minutes=450)
    direct_booking(other, busy, created_by=w.coordinator)
    busy.is_active = False  # committed money, but not a candidate
    db.session.flush()

    def budget(amount: str):
        db.session.add(Budget(year=to_local(referral.sitting.starts_at).year,
                              amount=Decimal(amount)))

    def candidates(login_as):
        db.session.commit()
        response = login_as(w.coordinator).get(f"/api/v1/requests/{referral.id}/candidates")
        assert response.status_code == 200
        body = response.json
        return body["remaining_budget"], {
            c["expert_id"]: (index, c["parts"]["cost"], c["budget_share"])
            for index, c in enumerate(body["candidates"])}

    return cheap, dear, budget, candidates


def test_candidates_without_a_budget_compare_rates_only(two_experts, login_as):
    cheap, dear, _budget, candidates = two_experts

    remaining, ranked = candidates(login_as)

    assert remaining is None
    assert ranked == {cheap.id: (0, 5.0, None), dear.id: (1, 0.0, None)}


def test_candidates_with_plenty_of_budget_left_hardly_differ_in_cost(two_experts, login_as):
    cheap, dear, budget, candidates = two_experts
    budget("1000750.00")

    remaining, ranked = candidates(login_as)

    assert remaining == "1000000.00"
    # 2.5 cost points apart, less than the 3 travel points: the dearer, nearer one first.
    assert ranked == {dear.id: (0, 5.0, 0.0), cheap.id: (1, 7.5, 0.0)}


def test_candidates_with_little_budget_left_put_the_cheaper_first(two_experts, login_as):
    cheap, dear, budget, candidates = two_experts
    budget("1000.00")  # 750 committed: 250 left

    remaining, ranked = candidates(login_as)

    assert remaining == "250.00"
    # Cheaper: (0.5 relative + 0.6 of the budget unused) / 2; dearer: (0 + 0.2) / 2.
    assert ranked == {cheap.id: (0, 5.5, 40.0), dear.id: (1, 1.0, 80.0)}


def test_candidate_costing_more_than_is_left_gets_no_cost_points(two_experts, login_as):
    cheap, dear, budget, candidates = two_experts
    budget("900.00")  # 150 left

    remaining, ranked = candidates(login_as)

    assert remaining == "150.00"
    assert ranked == {cheap.id: (0, 4.17, 66.7), dear.id: (1, 0.0, 133.3)}
