"""The year report to the ministry: every figure an aggregate in SQL, nothing personal.

Which year a thing belongs to: a request to the year it was submitted (local date of
created_at); hours and money to the year of the booking's session (local date), as the
budget does. "Booked" means the request has (or had, when completed) a booking: status
booked or completed. Fill rate = booked / requested. Time to booking = from submitting the
request to its first booking being made; the median is taken over booked requests. Urgent
requests (`Referral.urgent_answer_hours` set when filed) are answered in time when their
first booking was made by their `answer_due_at`.

No question text and no case code is ever selected here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select, type_coerce

from duidingspool.accounts.models import User
from duidingspool.budget import queries as q
from duidingspool.budget.services import YearFigures, year_figures
from duidingspool.casetables.models import Municipality, SafetyRegion
from duidingspool.experts.models import Expert, ExpertiseArea
from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.hours.models import HourCategory, HourLine, HourTally
from duidingspool.referrals.models import Referral, ReferralExpertise, ReferralStatus
from duidingspool.results.queries import YearResults, year_results

BOOKED = (ReferralStatus.BOOKED, ReferralStatus.COMPLETED)


@dataclass
class RequestRow:
    name: str
    region: str | None
    requested: int
    booked: int
    cancelled: int
    unfilled: int

    @property
    def fill_rate(self) -> Decimal | None:
        """Booked / requested in percent, one decimal."""
        if not self.requested:
            return None
        return (Decimal(self.booked) * 100 / self.requested).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class CostRow:
    name: str
    lines: int
    minutes: int
    amount: Decimal
    pending_minutes: int
    pending_amount: Decimal


@dataclass
class UrgentFigures:
    """Urgent requests (filed less than URGENT_LEAD_HOURS before their session) of a year:
    how many, how many were booked, and how many by their answer deadline (`answer_due_at`,
    filed + the urgent answer hours); the median time to booking over the booked ones."""
    requested: int
    booked: int
    in_time: int
    median_hours_to_booking: Decimal | None

    @property
    def in_time_share(self) -> Decimal | None:
        """Booked by the answer deadline / urgent requests, in percent, one decimal."""
        if not self.requested:
            return None
        return (Decimal(self.in_time) * 100 / self.requested).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)


class YearReport:
    """The figures of a year's report. Each part is read from the database when it is first
    asked for, so one table's CSV download runs only its own statements."""

    def __init__(self, *, year: int, locale: str | None = None, now: datetime | None = None):
        self.year, self._locale, self._now = year, locale, now

    @cached_property
    def municipalities(self) -> list[RequestRow]:
        return _requests_per_municipality(self.year)

    @cached_property
    def regions(self) -> list[RequestRow]:
        return _per_region(self.municipalities)

    @cached_property
    def totals(self) -> RequestRow:
        regions = self.regions
        return RequestRow(name="", region=None,
                          requested=sum(r.requested for r in regions),
                          booked=sum(r.booked for r in regions),
                          cancelled=sum(r.cancelled for r in regions),
                          unfilled=sum(r.unfilled for r in regions))

    @cached_property
    def areas(self) -> list[RequestRow]:
        return _requests_per_area(self.year, self._locale)

    @cached_property
    def median_hours_to_booking(self) -> Decimal | None:
        return _median_hours_to_booking(self.year)

    @cached_property
    def _hours(self) -> tuple[list[CostRow], list[CostRow]]:
        return _hours(self.year)

    @property
    def categories(self) -> list[CostRow]:
        return self._hours[0]

    @property
    def experts(self) -> list[CostRow]:
        return self._hours[1]

    @cached_property
    def budget(self) -> YearFigures:
        return year_figures(year=self.year, now=self._now)

    @cached_property
    def results(self) -> YearResults:
        return year_results(year=self.year, now=self._now or utcnow(), locale=self._locale)

    @cached_property
    def urgent(self) -> UrgentFigures:
        return _urgent(self.year)

    @property
    def cost_per_session(self) -> Decimal | None:
        """Approved money of the year per session held (the sessions' own year)."""
        sessions = self.results.totals.sessions
        if not sessions:
            return None
        approved = sum((row.amount for row in self.categories), Decimal("0"))
        return (approved / sessions).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _request_counts():
    return (
        func.count(Referral.id).label("requested"),
        func.sum(case((Referral.status.in_(BOOKED), 1), else_=0)).label("booked"),
        func.sum(case((Referral.status == ReferralStatus.CANCELLED, 1), else_=0)),
        func.sum(case((Referral.status == ReferralStatus.UNFILLED, 1), else_=0)),
    )


def _in_year(year: int):
    start, end = q.year_bounds(year)
    return (Referral.created_at >= start, Referral.created_at < end)


def _row(name, region, requested, booked, cancelled, unfilled) -> RequestRow:
    return RequestRow(name=name, region=region, requested=int(requested or 0),
                      booked=int(booked or 0), cancelled=int(cancelled or 0),
                      unfilled=int(unfilled or 0))


def _requests_per_municipality(year: int) -> list[RequestRow]:
    """Counts per municipality (with its region), grouped from the covering index first."""
    counted = (
        select(Referral.municipality_id, *_request_counts())
        .where(*_in_year(year))
        .group_by(Referral.municipality_id).subquery())
    c = list(counted.c)
    rows = db.session.execute(
        select(Municipality.name, SafetyRegion.name, *c[1:])
        .join(Municipality, Municipality.id == c[0])
        .join(SafetyRegion, SafetyRegion.id == Municipality.safety_region_id)
        .order_by(SafetyRegion.name, Municipality.name))
    return [_row(name, region, *counts) for name, region, *counts in rows]


def _per_region(municipalities: list[RequestRow]) -> list[RequestRow]:
    """Region rows summed from the municipality rows (already ordered by region name)."""
    regions: dict[str, RequestRow] = {}
    for m in municipalities:
        r = regions.setdefault(m.region, RequestRow(name=m.region, region=None, requested=0,
                                                    booked=0, cancelled=0, unfilled=0))
        r.requested += m.requested
        r.booked += m.booked
        r.cancelled += m.cancelled
        r.unfilled += m.unfilled
    return list(regions.values())


def _requests_per_area(year: int, locale: str | None) -> list[RequestRow]:
    label = ExpertiseArea.name_en if locale == "en" else ExpertiseArea.name_nl
    rows = db.session.execute(
        select(label, *_request_counts())
        .select_from(ReferralExpertise)
        .join(Referral, Referral.id == ReferralExpertise.referral_id)
        .join(ExpertiseArea, ExpertiseArea.id == ReferralExpertise.expertise_area_id)
        .where(*_in_year(year))
        .group_by(ExpertiseArea.id, label).order_by(label))
    return [_row(name, None, *counts) for name, *counts in rows]


def _urgent(year: int) -> UrgentFigures:
    """The year's urgent requests (one statement, and the median)."""
    urgent = Referral.urgent_answer_hours.is_not(None)
    requested, booked, in_time = db.session.execute(
        select(func.count(Referral.id),
               func.sum(case((Referral.status.in_(BOOKED), 1), else_=0)),
               func.sum(case((Referral.status.in_(BOOKED)
                              & (Referral.first_booked_at <= Referral.answer_due_at), 1),
                             else_=0)))
        .where(*_in_year(year), urgent)).one()
    return UrgentFigures(requested=int(requested or 0), booked=int(booked or 0),
                         in_time=int(in_time or 0),
                         median_hours_to_booking=_median_hours_to_booking(year, urgent))


def _median_hours_to_booking(year: int, *only) -> Decimal | None:
    """The median over booked requests of the time to their first booking, one statement.

    The first booking's time is kept on the request (`first_booked_at`, set by a trigger),
    so the delays come from one index. PostgreSQL has percentile_cont. SQLite sorts the
    delays once and keeps the middle row (odd count) or the two middle rows (even count)
    with LIMIT/OFFSET. Both give the mean of the two middle values for an even count.
    """
    seconds = q.seconds_between(Referral.created_at, Referral.first_booked_at)
    booked = (*_in_year(year), Referral.status.in_(BOOKED),
              Referral.first_booked_at.is_not(None), *only)
    if db.session.get_bind().dialect.name == "postgresql":
        value = db.session.scalar(
            select(func.percentile_cont(0.5).within_group(seconds)).where(*booked))
    else:
        n = select(func.count()).select_from(Referral).where(*booked).scalar_subquery()
        delays = select(seconds.label("s")).where(*booked).subquery()
        middle = (select(delays.c.s).order_by(delays.c.s)
                  .limit(2 - n % 2).offset((n - 1) // 2).subquery())
        value = db.session.scalar(select(func.avg(middle.c.s)))
    if value is None:
        return None
    return (Decimal(str(value)) / 3600).quantize(Decimal("0.1"))


def _cost_row(name, lines, minutes, amount, pending_minutes, pending_amount) -> CostRow:
    zero = Decimal("0.00")
    return CostRow(name=name, lines=int(lines or 0), minutes=int(minutes or 0),
                   amount=amount or zero, pending_minutes=int(pending_minutes or 0),
                   pending_amount=pending_amount or zero)


def _add(row: CostRow, other: CostRow) -> None:
    row.lines += other.lines
    row.minutes += other.minutes
    row.amount += other.amount
    row.pending_minutes += other.pending_minutes
    row.pending_amount += other.pending_amount


def _hours(year: int) -> tuple[list[CostRow], list[CostRow]]:
    """Hours and cost per category and per expert, from the tally the database keeps per
    (year, expert, category) (migration 0011), with the experts' names."""
    money = HourLine.amount.type
    rows = db.session.execute(
        select(User.name, HourTally.expert_id, HourTally.category, HourTally.approved_lines,
               HourTally.approved_minutes, type_coerce(HourTally.approved_amount, money),
               HourTally.pending_minutes, type_coerce(HourTally.pending_amount, money))
        .join(Expert, Expert.id == HourTally.expert_id)
        .join(User, User.id == Expert.user_id)
        .where(HourTally.year == year,
               (HourTally.approved_lines != 0) | (HourTally.pending_lines != 0)))
    categories = {c.value: _cost_row(c.value, 0, 0, None, 0, None) for c in HourCategory}
    experts: dict[int, CostRow] = {}
    for name, expert_id, category, *figures in rows:
        row = _cost_row(category, *figures)
        _add(categories.setdefault(category, _cost_row(category, 0, 0, None, 0, None)), row)
        _add(experts.setdefault(expert_id, _cost_row(name, 0, 0, None, 0, None)), row)
    return (list(categories.values()),
            sorted(experts.values(), key=lambda r: r.name.lower()))


def year_report(*, year: int, locale: str | None = None,
                now: datetime | None = None) -> YearReport:
    """The year report of `year`: every part in a fixed number of SQL statements, each run
    when the part is first read."""
    return YearReport(year=year, locale=locale, now=now)
