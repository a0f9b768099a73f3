"""Budget figures on a hand-computed year, threshold warnings once, the offer override."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from duidingspool.accounts.models import Role
from duidingspool.audit.models import AuditEvent
from duidingspool.bookings.services import book_directly, make_offers
from duidingspool.budget import services
from duidingspool.budget.models import Budget, BudgetAllocation, BudgetWarning
from duidingspool.errors import BudgetExceeded
from duidingspool.extensions import db
from duidingspool.reports.queries import year_report
from duidingspool.timeutil import to_local
from tests import factories as f
from tests.bookings.helpers import World, next_weekday_at
from tests.hours.helpers import Priced

MID_YEAR = datetime(2026, 7, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def year(app):
    world = Priced(amount="1000.00")
    db.session.add(BudgetAllocation(budget_id=world.budget.id,
                                    safety_region_id=world.town.safety_region_id,
                                    amount=Decimal("500.00")))
    march = world.booking("2026-03-10T13:00")
    world.line(march, minutes=60, amount="80.00")
    world.line(march, minutes=30, status="submitted", amount="40.00")
    world.line(march, minutes=30, status="draft")
    world.booking("2026-07-01T00:30", minutes=180)  # committed at the July rate: 286.50
    world.booking("2026-08-01T13:00", minutes=120, status="cancelled")  # not committed
    world.booking("2027-01-01T00:30", minutes=60)  # next year locally (31 Dec in UTC)
    world.line(world.booking("2025-12-31T23:30"), minutes=60, amount="100.00")  # last year
    elsewhere = f.municipality()
    world.line(world.booking("2026-05-05T13:00", town=elsewhere), minutes=15, amount="10.00")
    db.session.flush()
    return world


def test_year_figures_hand_computed(year):
    figures = services.year_figures(year=2026, now=MID_YEAR)
    total = figures.total

    assert (total.budget, total.spent, total.pending, total.committed) == (
        Decimal("1000.00"), Decimal("90.00"), Decimal("40.00"), Decimal("286.50"))
    assert total.remaining == Decimal("623.50")
    # spent + max(committed 286.50, run rate 90 x (1-f)/f = 89.96) = 376.50
    assert total.forecast == Decimal("376.50")
    assert total.used_percent == Decimal("37.7")  # 376.50 / 1000, half up
    assert total.months[2] == Decimal("80.00") and total.months[4] == Decimal("10.00")
    assert figures.cumulative[-1] == Decimal("90.00")


def test_allocation_figures_count_only_its_region(year):
    (region,) = services.year_figures(year=2026, now=MID_YEAR).allocations

    assert (region.budget, region.spent, region.pending, region.committed, region.remaining) == (
        Decimal("500.00"), Decimal("80.00"), Decimal("40.00"), Decimal("286.50"),
        Decimal("133.50"))
    assert region.used_percent == Decimal("73.3")


def test_remaining_for_a_request_is_its_regions_allocation_when_less(year):
    here = f.referral(requester=year.requester, table=year.table, areas=[year.area])
    elsewhere_town = f.municipality()
    elsewhere = f.referral(requester=f.user(Role.REQUESTER, municipality_obj=elsewhere_town),
                           areas=[year.area])
    on = MID_YEAR.date()

    assert services.remaining_for(referral=here, on=on, now=MID_YEAR) == Decimal("133.50")
    assert services.remaining_for(referral=elsewhere, on=on, now=MID_YEAR) == Decimal("623.50")
    assert services.remaining_for(referral=here, on=on.replace(year=2030)) is None


def test_forecast_after_year_end_is_spent_plus_committed(year):
    total = services.year_figures(year=2026, now=datetime(2027, 3, 1, tzinfo=timezone.utc)).total
    assert total.forecast == Decimal("376.50")


def test_forecast_extrapolates_spending_rate_when_higher(app):
    world = Priced(amount="1000.00")
    world.line(world.booking("2026-01-10T13:00"), minutes=60, amount="100.00")
    # A quarter of the year gone: 100 + 100 x 0.75 / 0.25 = 400.00 (no committed work).
    quarter = services.elapsed_fraction(2026, datetime(2026, 4, 2, 10, 0, tzinfo=timezone.utc))
    total = services.year_figures(year=2026,
                                  now=datetime(2026, 4, 2, 10, 0, tzinfo=timezone.utc)).total
    expected = Decimal("100.00") + Decimal("100.00") * (1 - quarter) / quarter
    assert total.forecast == expected.quantize(Decimal("0.01"))
    assert Decimal("390") < total.forecast < Decimal("410")


def test_forecast_counts_what_the_docstring_says(app):
    """Spent + max(committed, run rate): a completed booking without approved hours and
    pending hours are in neither; before the year starts it is spent + committed."""
    world = Priced(amount="1000.00")
    world.line(world.booking("2026-01-10T13:00", minutes=60), minutes=60, amount="100.00")
    done = world.booking("2026-02-10T13:00", minutes=60, status="completed")
    world.line(done, minutes=60, status="submitted", amount="80.00")
    world.booking("2026-12-10T13:00", minutes=60)  # committed: 60 min x 95.50 = 95.50
    before = services.year_figures(year=2026,
                                   now=datetime(2025, 12, 1, tzinfo=timezone.utc)).total
    quarter_now = datetime(2026, 4, 2, 10, 0, tzinfo=timezone.utc)
    quarter = services.elapsed_fraction(2026, quarter_now)
    during = services.year_figures(year=2026, now=quarter_now).total

    assert (before.spent, before.pending, before.committed, before.forecast) == (
        Decimal("100.00"), Decimal("80.00"), Decimal("95.50"), Decimal("195.50"))
    run_rate = Decimal("100.00") * (1 - quarter) / quarter
    assert during.forecast == (Decimal("100.00") + max(Decimal("95.50"), run_rate)).quantize(
        Decimal("0.01"))


def test_threshold_warnings_fire_once(app):
    world = Priced(amount="100.00")
    booking = world.booking("2026-03-10T13:00")
    world.line(booking, minutes=60, amount="80.00")

    first = services.raise_threshold_warnings(year=2026, now=MID_YEAR)
    second = services.raise_threshold_warnings(year=2026, now=MID_YEAR)
    assert [(w.allocation_key, w.threshold) for w in first] == [(0, 75)]
    assert second == []
    assert db.session.scalar(select(func.count()).select_from(BudgetWarning)) == 1

    world.line(booking, minutes=15, amount="15.00")
    third = services.raise_threshold_warnings(year=2026, now=MID_YEAR)
    assert [w.threshold for w in third] == [90]
    assert db.session.scalar(select(func.count()).select_from(BudgetWarning)) == 2


def test_no_warnings_without_budget(app):
    assert services.raise_threshold_warnings(year=2031) == []


def _offer_world(amount: str):
    world = World()
    expert = world.expert(rate="100.00")
    referral = world.request(estimated_minutes=180)
    db.session.add(Budget(year=to_local(referral.sitting.starts_at).year,
                          amount=Decimal(amount)))
    db.session.flush()
    return world, expert, referral


def test_offer_over_budget_refused_without_reason(app):
    world, expert, referral = _offer_world("100.00")
    with pytest.raises(BudgetExceeded) as refused:
        make_offers(actor=world.coordinator, referral=referral, expert_ids=[expert.id])
    assert refused.value.status == 409
    assert "budget_override_reason" in refused.value.fields


def test_offer_over_budget_with_reason_is_recorded(app):
    world, expert, referral = _offer_world("100.00")
    (offer,) = make_offers(actor=world.coordinator, referral=referral, expert_ids=[expert.id],
                           budget_override_reason="Spoed: dreiging")
    assert offer.budget_override_reason == "Spoed: dreiging"
    event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "budget.override"))
    assert event_.details == {"expert_id": expert.id, "estimated_cost": "300.00",
                              "year": to_local(referral.sitting.starts_at).year, "over": [0]}


def test_offer_within_budget_needs_no_reason(app):
    world, expert, referral = _offer_world("100000.00")
    (offer,) = make_offers(actor=world.coordinator, referral=referral, expert_ids=[expert.id])
    assert offer.budget_override_reason is None


def _count_statements(fn) -> int:
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def _world_with(n: int) -> Priced:
    world = Priced()
    experts = [world.expert, world.new_expert()]
    for i in range(n):
        booking = world.booking(f"2026-{1 + i % 12:02d}-{1 + i // 12:02d}T13:00",
                                expert=experts[i % 2])
        world.line(booking, minutes=60, amount="80.00")
        world.line(booking, minutes=30, status="submitted", amount="40.00", category="travel")
    db.session.flush()
    return world


def _every_part(report):
    """Read every part of a (lazy) year report."""
    return [report.totals, report.regions, report.municipalities, report.areas,
            report.median_hours_to_booking, report.categories, report.experts, report.budget,
            report.results, report.urgent, report.cost_per_session]


@pytest.mark.parametrize("n", [5, 50])
def test_statement_count_does_not_grow_with_bookings(app, n):
    _world_with(n)
    db.session.commit()
    figures = _count_statements(lambda: services.year_figures(year=2026, now=MID_YEAR))
    report = _count_statements(lambda: _every_part(year_report(year=2026, now=MID_YEAR)))
    # The report: 8, 2 for its urgent requests (counts, median) and 4 for its results
    # (totals, per area, per region, complaints).
    assert (figures, report) == (4, 14)


def test_booking_that_takes_next_years_budget_past_a_threshold_warns(app):
    world = World()
    expert = world.expert(rate="100.00")
    starts_at = next_weekday_at(12) + timedelta(weeks=52)  # next year, same weekday
    next_year = to_local(starts_at).year
    referral = world.request(starts_at=starts_at, estimated_minutes=180)  # 300.00 committed
    db.session.add(Budget(year=next_year, amount=Decimal("400.00"), thresholds=[75, 90]))
    db.session.flush()

    book_directly(actor=world.coordinator, referral=referral, expert_id=expert.id)

    warnings = services.warnings_of(year=next_year)
    assert [(w.allocation_key, w.threshold) for w, _region in warnings] == [(0, 75)]
