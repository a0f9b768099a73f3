"""The matcher's hard rules and soft scores, on plain facts (no database)."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from duidingspool.matching.engine import ExpertFacts, Interval, RequestFacts, distance_km, rank

ENSCHEDE = (52.2215, 6.8937)
ARNHEM = (51.9851, 5.8987)
# Tuesday 8 December 2026, 13:00-15:00 in Amsterdam (12:00-14:00 UTC).
SESSION = Interval(datetime(2026, 12, 8, 12, 0, tzinfo=timezone.utc),
                   datetime(2026, 12, 8, 14, 0, tzinfo=timezone.utc))
AREA, OTHER_AREA = 1, 2


def request_(**kw) -> RequestFacts:
    values = dict(referral_id=1, municipality_id=10, case_table_id=5,
                  required_levels={AREA: 2}, language=None, in_person=True,
                  estimated_minutes=180, session=SESSION, window=None, place=ENSCHEDE)
    values.update(kw)
    return RequestFacts(**values)


def expert_(expert_id=1, **kw) -> ExpertFacts:
    values = dict(expert_id=expert_id, name=f"Expert {expert_id}", is_active=True,
                  vetting_valid_until=date(2027, 6, 1), levels={AREA: 2},
                  languages=frozenset({"nl"}), home=ENSCHEDE, max_travel_km=50,
                  max_minutes_per_month=20 * 60, hourly_rate=Decimal("100.00"),
                  windows={1: [(9 * 60, 17 * 60)]})
    values.update(kw)
    return ExpertFacts(**values)


def only_rule(request, expert) -> str | None:
    ranking = rank(request, [expert])
    return ranking.excluded[0].rule if ranking.excluded else None


@pytest.mark.parametrize("change, rule", [
    ({"is_active": False}, "inactive"),
    ({"vetting_valid_until": date(2026, 12, 7)}, "vetting_lapsed"),
    ({"vetting_valid_until": None}, "vetting_lapsed"),
    ({"conflicts": frozenset({10})}, "conflict_of_interest"),
    ({"levels": {AREA: 1}}, "expertise_missing"),
    ({"levels": {OTHER_AREA: 3}}, "expertise_missing"),
    ({"home": ARNHEM}, "too_far"),
    ({"windows": {1: [(14 * 60, 17 * 60)]}}, "not_available"),
    ({"windows": {2: [(9 * 60, 17 * 60)]}}, "not_available"),
    ({"absences": [Interval(SESSION.starts_at - timedelta(days=1),
                            SESSION.starts_at + timedelta(minutes=1))]}, "absent"),
    ({"bookings": [Interval(SESSION.ends_at + timedelta(minutes=30),
                            SESSION.ends_at + timedelta(hours=2))]}, "busy_with_booking"),
    ({"busy": [Interval(SESSION.starts_at, SESSION.starts_at + timedelta(minutes=30))]}, "busy_elsewhere"),
    ({"booked_minutes_month": 18 * 60}, "over_monthly_hours"),
])
def test_hard_rule_excludes(change, rule):
    assert only_rule(request_(), expert_(**change)) == rule


def test_eligible_expert_is_a_candidate():
    assert only_rule(request_(), expert_()) is None


def test_language_required_and_not_spoken_excludes():
    assert only_rule(request_(language="ar"), expert_()) == "language_missing"
    assert only_rule(request_(language="ar"), expert_(languages=frozenset({"nl", "ar"}))) is None


def test_online_request_ignores_travel_distance():
    assert only_rule(request_(in_person=False), expert_(home=ARNHEM)) is None


def test_booking_just_outside_the_travel_buffer_does_not_exclude():
    later = Interval(SESSION.ends_at + timedelta(minutes=60), SESSION.ends_at + timedelta(hours=3))
    assert only_rule(request_(), expert_(bookings=[later])) is None


def test_first_failing_rule_is_reported():
    ranking = rank(request_(), [expert_(is_active=False, levels={})])
    assert ranking.excluded[0].rule == "inactive"


def test_vetting_lapsing_before_window_end_excludes():
    window_request = request_(session=None, window=(date(2026, 12, 7), date(2026, 12, 18)))
    assert only_rule(window_request, expert_(vetting_valid_until=date(2026, 12, 10))) == "vetting_lapsed"


def test_window_request_needs_some_available_day():
    window_request = request_(session=None, window=(date(2026, 12, 9), date(2026, 12, 14)))
    # 9-14 December is Wednesday to Monday: no Tuesday in it.
    assert only_rule(window_request, expert_()) == "not_available"
    assert only_rule(window_request, expert_(windows={4: [(540, 1020)]})) is None


def test_higher_level_ranks_first():
    ranking = rank(request_(), [expert_(1, levels={AREA: 2}), expert_(2, levels={AREA: 3})])
    assert [c.expert_id for c in ranking.candidates] == [2, 1]


def test_continuity_with_previous_expert_ranks_first():
    ranking = rank(request_(previous_expert_id=2), [expert_(1), expert_(2)])
    assert [c.expert_id for c in ranking.candidates] == [2, 1]
    assert ranking.candidates[0].parts["continuity"] == 25.0


def test_less_busy_expert_ranks_first():
    ranking = rank(request_(), [expert_(1, booked_minutes_month=600, booked_minutes_year=6000),
                                expert_(2)])
    assert [c.expert_id for c in ranking.candidates] == [2, 1]


def test_cheaper_expert_ranks_first_all_else_equal():
    ranking = rank(request_(), [expert_(1, hourly_rate=Decimal("140.00")),
                                expert_(2, hourly_rate=Decimal("90.00"))])
    assert [c.expert_id for c in ranking.candidates] == [2, 1]
    assert ranking.candidates[0].estimated_cost == Decimal("270.00")


def test_cost_is_weighed_against_the_remaining_budget():
    experts = [expert_(1, hourly_rate=Decimal("100.00")), expert_(2, hourly_rate=Decimal("50.00"))]

    def cost_parts(remaining):
        ranking = rank(request_(), experts, remaining_budget=remaining)
        return {c.expert_id: (c.parts["cost"], c.budget_share) for c in ranking.candidates}

    # 3 hours: EUR 300 and EUR 150. Without a budget only the rates count; with one, half
    # the score is the share of what is left that the booking would leave unused.
    assert cost_parts(None) == {1: (0.0, None), 2: (5.0, None)}
    assert cost_parts(Decimal("600.00")) == {1: (2.5, 50.0), 2: (6.25, 25.0)}
    assert cost_parts(Decimal("200.00")) == {1: (0.0, 150.0), 2: (3.75, 75.0)}
    assert cost_parts(Decimal("0.00")) == {1: (0.0, None), 2: (0.0, None)}


def test_ties_are_broken_by_expert_id():
    ranking = rank(request_(), [expert_(7), expert_(3), expert_(5)])
    assert [c.expert_id for c in ranking.candidates] == [3, 5, 7]


def test_every_expert_is_ranked_or_excluded():
    experts = [expert_(i, is_active=i % 3 != 0) for i in range(1, 31)]
    ranking = rank(request_(), experts)
    assert sorted([c.expert_id for c in ranking.candidates]
                  + [e.expert_id for e in ranking.excluded]) == list(range(1, 31))


def test_distance_between_enschede_and_arnhem():
    assert distance_km(ENSCHEDE, ARNHEM) == pytest.approx(73, abs=1)
