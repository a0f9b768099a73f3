"""Budget figures per year and allocation, threshold warnings, and the offer budget check.

Definitions (all amounts in euros, exact to the cent; a booking belongs to the year of its
session's local date, and to the safety region of its request's municipality):

- spent: the amounts of approved hour lines;
- pending: the amounts of submitted hour lines (awaiting approval);
- committed: for bookings still confirmed (their session not yet over: a booking becomes
  completed after its session) without any approved hour line, the estimated minutes x the
  expert's rate valid on the session date (SPEC: the estimated hours of confirmed future
  bookings). A completed booking is no longer committed, whether or not its hours are
  approved yet: its money counts once its hours are approved (spent); submitted hours are
  shown apart as pending and never added to committed;
- remaining: budget - spent - committed;
- forecast (year end): spent + max(committed, spent x (1 - f) / f), where f is the fraction
  of the year elapsed: the rest of the year costs at least the work still booked, or the
  spending rate so far when that is higher. Pending hours and completed sessions whose
  hours are not yet approved are not in it. Before the year starts (f = 0) and after it
  ends (f = 1) it is spent + committed.
- used (for the thresholds and the gauge): (spent + committed) / budget, in percent. A
  threshold warns once it is reached on spent + committed, so the coordinator hears before
  the money is actually gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import exists, func, select, type_coerce
from sqlalchemy.orm import selectinload

from duidingspool import signals
from duidingspool.accounts.models import User
from duidingspool.audit.services import record
from duidingspool.bookings.models import (
    Booking,
    BookingStatus,
    Offer,
    OfferStatus,
    StandingDate,
    StandingSeries,
)
from duidingspool.budget import queries as q
from duidingspool.budget.models import (
    DEFAULT_THRESHOLDS,
    FIRST_YEAR,
    LAST_YEAR,
    THRESHOLD_RANGE,
    Budget,
    BudgetAllocation,
    BudgetWarning,
)
from duidingspool.casetables.models import Municipality, SafetyRegion, Sitting, SittingStatus
from duidingspool.db import insert_once, local_date, utcnow
from duidingspool.errors import BudgetExceeded, NotFound, ValidationFailed
from duidingspool.experts.models import Expert
from duidingspool.experts.services import hourly_rate_on
from duidingspool.extensions import db
from duidingspool.hours.models import HourLine, HourStatus, MoneyTally
from duidingspool.referrals.models import OPEN_STATUSES, Referral
from duidingspool.timeutil import local_day_bounds, to_local

ZERO = Decimal("0.00")


@dataclass
class Figures:
    """The money figures of the year's budget (key 0) or of one allocation (key = its id)."""

    key: int
    label: str | None
    region_id: int | None
    budget: Decimal
    spent: Decimal = ZERO
    pending: Decimal = ZERO
    committed: Decimal = ZERO
    remaining: Decimal = ZERO
    forecast: Decimal = ZERO
    used_percent: Decimal | None = None
    months: list[Decimal] = field(default_factory=lambda: [ZERO] * 12)


@dataclass
class YearFigures:
    year: int
    budget: Budget | None
    total: Figures
    allocations: list[Figures]
    elapsed: Decimal  # fraction of the year elapsed, 0..1

    @property
    def cumulative(self) -> list[Decimal]:
        """Spent by the end of each month (approved hours by session month)."""
        running, out = ZERO, []
        for amount in self.total.months:
            running += amount
            out.append(running)
        return out


def thresholds_of(budget: Budget | None) -> list[int]:
    """The budget's warning thresholds in percent, ascending (DEFAULT_THRESHOLDS without)."""
    if budget is None or not budget.thresholds:
        return list(DEFAULT_THRESHOLDS)
    return list(budget.thresholds)


def check_year(year: int) -> None:
    """NotFound for a year no budget can be set for."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound(_("No such year."))


def elapsed_fraction(year: int, now: datetime) -> Decimal:
    """How much of the local calendar year has passed at `now`, between 0 and 1."""
    start, end = q.year_bounds(year)
    if now <= start:
        return Decimal(0)
    if now >= end:
        return Decimal(1)
    return Decimal((now - start).total_seconds()) / Decimal((end - start).total_seconds())


def _finish(fig: Figures, elapsed: Decimal) -> Figures:
    fig.remaining = fig.budget - fig.spent - fig.committed
    run_rate_rest = fig.spent * (1 - elapsed) / elapsed if elapsed > 0 else ZERO
    fig.forecast = q.cents(fig.spent + max(fig.committed, run_rate_rest))
    fig.used_percent = (((fig.spent + fig.committed) * 100 / fig.budget)
                        .quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
                        if fig.budget > 0 else None)
    return fig


def year_figures(*, year: int, now: datetime | None = None) -> YearFigures:
    """Budget, spent, pending, committed, remaining and forecast for the year and each
    allocation, with spending per session month; four SQL statements whatever the data."""
    now = now or utcnow()
    start, end = q.year_bounds(year)
    budget = db.session.scalar(select(Budget).where(Budget.year == year))
    allocations = []
    if budget is not None:
        allocations = db.session.execute(
            select(BudgetAllocation.id, BudgetAllocation.safety_region_id,
                   BudgetAllocation.amount, SafetyRegion.name)
            .join(SafetyRegion, SafetyRegion.id == BudgetAllocation.safety_region_id)
            .where(BudgetAllocation.budget_id == budget.id)
            .order_by(SafetyRegion.name)).all()
    total = Figures(key=0, label=None, region_id=None, budget=budget.amount if budget else ZERO)
    by_region = {region_id: Figures(key=alloc_id, label=name, region_id=region_id,
                                    budget=amount)
                 for alloc_id, region_id, amount, name in allocations}

    # Approved and submitted amounts per region and session month, from the tally the
    # database keeps per (year, month, municipality of the request) (migration 0011).
    money = HourLine.amount.type
    rows = db.session.execute(
        select(Municipality.safety_region_id, MoneyTally.month,
               type_coerce(func.sum(MoneyTally.spent), money),
               type_coerce(func.sum(MoneyTally.pending), money))
        .join(Municipality, Municipality.id == MoneyTally.municipality_id)
        .where(MoneyTally.year == year)
        .group_by(Municipality.safety_region_id, MoneyTally.month)
    ).all()
    for region_id, month_no, spent, pending in rows:
        spent, pending = spent or ZERO, pending or ZERO
        for fig in (total, by_region.get(region_id)):
            if fig is not None:
                fig.spent += spent
                fig.pending += pending
                fig.months[int(month_no) - 1] += spent

    # Committed: confirmed bookings without approved hours, estimated minutes x rate.
    region = Municipality.safety_region_id
    no_approved = ~exists().where(HourLine.booking_id == Booking.id,
                                  HourLine.status == HourStatus.APPROVED)
    rate = q.rate_on(Booking.expert_id, local_date(Booking.starts_at))
    rows = db.session.execute(
        select(region, func.sum(Booking.estimated_minutes * rate, type_=q.RAW))
        .select_from(Booking)
        .join(Referral, Referral.id == Booking.referral_id)
        .join(Municipality, Municipality.id == Referral.municipality_id)
        .where(Booking.status == BookingStatus.CONFIRMED, Booking.starts_at >= start,
               Booking.starts_at < end, no_approved)
        .group_by(region)
    ).all()
    for region_id, raw in rows:
        committed = q.raw_money(raw, per=60)
        total.committed += committed
        if region_id in by_region:
            by_region[region_id].committed = q.cents(committed)
    total.committed = q.cents(total.committed)

    elapsed = elapsed_fraction(year, now)
    _finish(total, elapsed)
    for fig in by_region.values():
        _finish(fig, elapsed)
    return YearFigures(year=year, budget=budget, total=total,
                       allocations=sorted(by_region.values(), key=lambda f: f.label or ""),
                       elapsed=elapsed)


@dataclass
class SeriesCommitment:
    """What a standing series commits in a year: its confirmed dates without approved hours
    (the standing specialist's and substitutes'), counted as `year_figures` counts them."""
    series: StandingSeries
    dates: int
    committed: Decimal


def standing_commitments(*, year: int) -> list[SeriesCommitment]:
    """Per standing series, the committed cost of its booked dates in `year` (part of the
    year's committed figure, shown apart); one statement, by case table name."""
    start, end = q.year_bounds(year)
    no_approved = ~exists().where(HourLine.booking_id == Booking.id,
                                  HourLine.status == HourStatus.APPROVED)
    rate = q.rate_on(Booking.expert_id, local_date(Booking.starts_at))
    rows = db.session.execute(
        select(StandingDate.series_id, func.count(Booking.id),
               func.sum(Booking.estimated_minutes * rate, type_=q.RAW))
        .select_from(Booking)
        .join(StandingDate, StandingDate.referral_id == Booking.referral_id)
        .where(Booking.status == BookingStatus.CONFIRMED, Booking.starts_at >= start,
               Booking.starts_at < end, no_approved)
        .group_by(StandingDate.series_id)).all()
    series = {s.id: s for s in db.session.scalars(
        select(StandingSeries).where(StandingSeries.id.in_([row[0] for row in rows])))}
    found = [SeriesCommitment(series[series_id], int(count), q.cents(q.raw_money(raw, per=60)))
             for series_id, count, raw in rows]
    return sorted(found, key=lambda c: (c.series.case_table.name, c.series.starts_on))


def raise_threshold_warnings(*, year: int, now: datetime | None = None) -> list[BudgetWarning]:
    """Raise each threshold reached on spent + committed once per budget and allocation.

    Idempotent: the unique constraint (budget, allocation, threshold) is the guard, so two
    runs at the same moment still leave one row. Returns the warnings raised by this call.
    """
    now = now or utcnow()
    figures = year_figures(year=year, now=now)
    if figures.budget is None:
        return []
    thresholds = thresholds_of(figures.budget)
    existing = set(db.session.execute(
        select(BudgetWarning.allocation_key, BudgetWarning.threshold)
        .where(BudgetWarning.budget_id == figures.budget.id)).all())
    raised = []
    for fig in [figures.total, *figures.allocations]:
        if fig.used_percent is None:
            continue
        for threshold in thresholds:
            if fig.used_percent < threshold or (fig.key, threshold) in existing:
                continue
            warning_id = insert_once(
                db.session, BudgetWarning, unique=["budget_id", "allocation_key", "threshold"],
                values=dict(budget_id=figures.budget.id, allocation_key=fig.key,
                            threshold=threshold, raised_at=now))
            if warning_id is None:
                continue  # raised by a concurrent run
            warning = db.session.get(BudgetWarning, warning_id)
            record(actor=None, action="budget.warning", obj=warning,
                   details={"year": year, "allocation": fig.key, "threshold": threshold,
                            "used_percent": str(fig.used_percent)})
            raised.append(warning)
    return raised


def warnings_of(*, year: int) -> list[tuple[BudgetWarning, str | None]]:
    """The year's raised warnings, newest first, with the allocation's region name."""
    return db.session.execute(
        select(BudgetWarning, SafetyRegion.name)
        .join(Budget, Budget.id == BudgetWarning.budget_id)
        .outerjoin(BudgetAllocation, BudgetAllocation.id == BudgetWarning.allocation_key)
        .outerjoin(SafetyRegion, SafetyRegion.id == BudgetAllocation.safety_region_id)
        .where(Budget.year == year)
        .order_by(BudgetWarning.raised_at.desc(), BudgetWarning.threshold.desc())).all()


def estimated_cost(*, referral: Referral, expert_id: int,
                   starts_at: datetime | None = None) -> Decimal | None:
    """Estimated hours x the expert's rate valid on the session date (None without a rate)."""
    when = referral.sitting.starts_at if referral.sitting is not None else starts_at
    if when is None:
        return None
    rate = hourly_rate_on(expert_id, to_local(when).date())
    if rate is None:
        return None
    return q.cents(Decimal(referral.estimated_minutes) * rate / 60)


def remaining_for(*, referral: Referral, on: date, now: datetime | None = None
                  ) -> Decimal | None:
    """What is left for `referral` in the year of `on`: the year's remaining, or the
    allocation of the request's safety region when that has less (as `check_offer`
    counts both); None when that year has no budget."""
    figures = year_figures(year=on.year, now=now)
    if figures.budget is None:
        return None
    region_id = referral.municipality.safety_region_id
    return min(fig.remaining for fig in [figures.total, *figures.allocations]
               if fig.key == 0 or fig.region_id == region_id)


def check_offer(*, actor, referral: Referral, expert_id: int,
                override_reason: str | None = None, starts_at: datetime | None = None,
                now: datetime | None = None) -> str | None:
    """Refuse an offer whose estimated cost pushes spent + committed over the budget.

    The year's total counts, and also the allocation of the request's safety region where
    there is one. Without a budget for the session's year, or without a rate to estimate
    with, there is nothing to check. With an override reason the offer may go ahead: the
    reason is returned (for Offer.budget_override_reason) and the override is audited.
    Returns None when the offer is within budget.
    """
    cost = estimated_cost(referral=referral, expert_id=expert_id, starts_at=starts_at)
    when = referral.sitting.starts_at if referral.sitting is not None else starts_at
    if cost is None or when is None:
        return None
    year = to_local(when).year
    figures = year_figures(year=year, now=now)
    if figures.budget is None:
        return None
    region_id = referral.municipality.safety_region_id
    over = []
    for fig in [figures.total, *[f for f in figures.allocations if f.region_id == region_id]]:
        if fig.spent + fig.committed + cost > fig.budget:
            over.append(fig)
    if not over:
        return None
    reason = (override_reason or "").strip()
    if not reason:
        message = _("The estimated cost of %(cost)s would take spent plus committed over "
                         "the %(year)s budget; give a reason to offer anyway.",
                         cost=f"EUR {cost}", year=year)
        raise BudgetExceeded(message, fields={"budget_override_reason": [
            _("Give a reason for exceeding the budget.")]})
    if len(reason) > 500:
        raise ValidationFailed(_("The reason can be at most 500 characters."),
                               fields={"budget_override_reason": [_("At most 500 characters.")]})
    record(actor=actor, action="budget.override", obj=referral,
           details={"expert_id": expert_id, "estimated_cost": str(cost), "year": year,
                    "over": [f.key for f in over]})
    return reason


def set_budget(*, actor, year: int, amount: Decimal, km_rate: Decimal, thresholds: list[int],
               allocations: dict[int, Decimal]) -> Budget:
    """Create or change the year's budget, its warning thresholds and its allocations per
    safety region."""
    check_year(year)
    low, high = THRESHOLD_RANGE
    if not thresholds or any(not low <= t <= high for t in thresholds):
        raise ValidationFailed(_("Give percentages between %(low)d and %(high)d.",
                                 low=low, high=high),
                               fields={"thresholds": [_("Give percentages between %(low)d and "
                                                        "%(high)d.", low=low, high=high)]})
    regions = set(db.session.scalars(select(SafetyRegion.id)))
    unknown = sorted(set(allocations) - regions)
    if unknown:
        raise ValidationFailed(_("There is no such safety region."),
                               fields={f"allocation_{r}": [_("There is no such safety region.")]
                                       for r in unknown})
    if sum(allocations.values(), ZERO) > amount:
        raise ValidationFailed(_("The allocations add up to more than the budget."),
                               fields={"allocations": [_("More than the budget.")]})
    budget = db.session.scalar(select(Budget).where(Budget.year == year))
    if budget is None:
        budget = Budget(year=year)
        db.session.add(budget)
    budget.amount, budget.km_rate = amount, km_rate
    wanted = set(thresholds)
    for row in [r for r in budget.threshold_rows if r.percent not in wanted]:
        budget.threshold_rows.remove(row)
    budget.thresholds.extend(sorted(wanted - set(budget.thresholds)))
    current = {a.safety_region_id: a for a in budget.allocations}
    for region_id, value in allocations.items():
        if region_id in current:
            current[region_id].amount = value
        else:
            budget.allocations.append(BudgetAllocation(safety_region_id=region_id, amount=value))
    for region_id, allocation in current.items():
        if region_id not in allocations:
            budget.allocations.remove(allocation)
    db.session.flush()
    record(actor=actor, action="budget.set", obj=budget,
           details={"year": year, "amount": str(amount), "km_rate": str(km_rate),
                    "thresholds": sorted(wanted),
                    "allocations": {str(k): str(v) for k, v in allocations.items()}})
    return budget


@dataclass
class Dashboard:
    open_requests: list
    open_count: int
    waiting_offers: list
    week_bookings: list
    week_sessions: list
    figures: YearFigures
    warnings: list


def dashboard(*, now: datetime | None = None, limit: int = 10) -> Dashboard:
    """What the coordinator's start page shows: open work, this week, and the budget."""
    now = now or utcnow()
    today = to_local(now).date()
    monday = today - timedelta(days=today.weekday())
    week_start = local_day_bounds(monday)[0]
    week_end = local_day_bounds(monday + timedelta(days=6))[1]
    open_filter = Referral.status.in_(OPEN_STATUSES)
    open_requests = list(db.session.scalars(
        select(Referral).where(open_filter)
        .options(selectinload(Referral.case_table), selectinload(Referral.municipality),
                 selectinload(Referral.sitting))
        .order_by(Referral.urgency_rank, Referral.created_at).limit(limit)))
    open_count = db.session.scalar(select(func.count()).select_from(Referral).where(open_filter))
    waiting = list(db.session.scalars(
        select(Offer).where(Offer.status == OfferStatus.PENDING)
        .options(selectinload(Offer.expert).selectinload(Expert.user),
                 selectinload(Offer.referral))
        .order_by(Offer.expires_at).limit(limit)))
    bookings = list(db.session.scalars(
        select(Booking).where(Booking.status == BookingStatus.CONFIRMED,
                              Booking.starts_at >= week_start, Booking.starts_at < week_end)
        .options(selectinload(Booking.expert).selectinload(Expert.user),
                 selectinload(Booking.referral).selectinload(Referral.case_table))
        .order_by(Booking.starts_at)))
    sessions = list(db.session.scalars(
        select(Sitting).where(Sitting.starts_at >= week_start, Sitting.starts_at < week_end,
                              Sitting.status != SittingStatus.CANCELLED)
        .options(selectinload(Sitting.case_table)).order_by(Sitting.starts_at)))
    return Dashboard(open_requests=open_requests, open_count=open_count or 0,
                     waiting_offers=waiting, week_bookings=bookings, week_sessions=sessions,
                     figures=year_figures(year=today.year, now=now),
                     warnings=warnings_of(year=today.year))


# --- reactions to lower packages (duidingspool.signals) -------------------------------------

@signals.offers_proposed.connect
def _check_proposed_offers(referral: Referral, *, actor: User, expert_ids: list[int],
                           starts_at: datetime | None, override_reason: str | None,
                           now: datetime | None = None, **_kwargs) -> dict[int, str | None]:
    return {expert_id: check_offer(actor=actor, referral=referral, expert_id=expert_id,
                                   override_reason=override_reason, starts_at=starts_at,
                                   now=now)
            for expert_id in expert_ids}


@signals.remaining_budget_wanted.connect
def _remaining_for_ranking(referral: Referral, *, on: date, now: datetime | None = None,
                           **_kwargs) -> Decimal | None:
    return remaining_for(referral=referral, on=on, now=now)


@signals.hour_lines_approved.connect
def _warn_on_approval(year: int, *, now: datetime | None = None, **_kwargs) -> None:
    raise_threshold_warnings(year=year, now=now)


@signals.booking_changed.connect
def _warn_on_booking(booking: Booking, *, now: datetime | None = None, **_kwargs) -> None:
    """A confirmed or moved booking commits its estimated cost to the year of its session
    (which may be next year): that year's thresholds may be reached by it."""
    if booking.status == BookingStatus.CONFIRMED:
        raise_threshold_warnings(year=to_local(booking.starts_at).year, now=now)


def warning_years(*, now: datetime) -> list[int]:
    """The years whose thresholds the warnings job checks: this year and every later year
    that has a budget (bookings commit money to the year of their session)."""
    this_year = to_local(now).year
    later = db.session.scalars(select(Budget.year).where(Budget.year > this_year)
                               .order_by(Budget.year)).all()
    return [this_year, *later]


@signals.km_rate_wanted.connect
def _km_rate_of(year: int, **_kwargs) -> Decimal | None:
    return db.session.scalar(select(Budget.km_rate).where(Budget.year == year))
