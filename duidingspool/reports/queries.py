"""The year report to the ministry: every figure an aggregate in SQL, nothing personal.

Which year a thing belongs to: a request to the year it was submitted (local date of
created_at); hours and money to the year of the booking's session (local date), as the
budget does. "Booked" means the request has (or had, when completed) a booking: status
booked or completed. Fill rate = booked / requested. Time to booking = from submitting the
request to its first booking being made; the median is taken over booked requests.

No question text and no case code is ever selected here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select

from duidingspool.accounts.models import User
from duidingspool.bookings.models import Booking
from duidingspool.budget import queries as q
from duidingspool.budget.services import YearFigures, year_figures
from duidingspool.casetables.models import Municipality, SafetyRegion
from duidingspool.experts.models import Expert, ExpertiseArea
from duidingspool.extensions import db
from duidingspool.hours.models import HourCategory, HourLine, HourStatus
from duidingspool.referrals.models import Referral, ReferralExpertise, ReferralStatus

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
class YearReport:
    year: int
    totals: RequestRow
    regions: list[RequestRow]
    municipalities: list[RequestRow]
    areas: list[RequestRow]
    median_hours_to_booking: Decimal | None
    categories: list[CostRow]
    experts: list[CostRow]
    budget: YearFigures


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


def _requests_per_region(year: int) -> list[RequestRow]:
    rows = db.session.execute(
        select(SafetyRegion.name, *_request_counts())
        .select_from(Referral)
        .join(Municipality, Municipality.id == Referral.municipality_id)
        .join(SafetyRegion, SafetyRegion.id == Municipality.safety_region_id)
        .where(*_in_year(year))
        .group_by(SafetyRegion.id, SafetyRegion.name).order_by(SafetyRegion.name))
    return [_row(name, None, *counts) for name, *counts in rows]


def _requests_per_municipality(year: int) -> list[RequestRow]:
    rows = db.session.execute(
        select(Municipality.name, SafetyRegion.name, *_request_counts())
        .select_from(Referral)
        .join(Municipality, Municipality.id == Referral.municipality_id)
        .join(SafetyRegion, SafetyRegion.id == Municipality.safety_region_id)
        .where(*_in_year(year))
        .group_by(Municipality.id, Municipality.name, SafetyRegion.name)
        .order_by(SafetyRegion.name, Municipality.name))
    return [_row(name, region, *counts) for name, region, *counts in rows]


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


def _median_hours_to_booking(year: int) -> Decimal | None:
    first_booking = (
        select(Booking.referral_id, func.min(Booking.created_at).label("booked_at"))
        .group_by(Booking.referral_id).subquery())
    delays = (
        select(q.seconds_between(Referral.created_at, first_booking.c.booked_at).label("s"))
        .join(first_booking, first_booking.c.referral_id == Referral.id)
        .where(*_in_year(year), Referral.status.in_(BOOKED))
        .subquery())
    ranked = select(
        delays.c.s,
        func.row_number().over(order_by=delays.c.s).label("rn"),
        func.count().over().label("n"),
    ).subquery()
    # The middle row, or the mean of the two middle rows (integer division in both SQLs).
    seconds = db.session.scalar(
        select(func.avg(ranked.c.s))
        .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])))
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / 3600).quantize(Decimal("0.1"))


def _hours_by(group_columns, year: int, join_expert: bool = False):
    start, end = q.year_bounds(year)
    approved = HourLine.status == HourStatus.APPROVED
    submitted = HourLine.status == HourStatus.SUBMITTED
    query = (
        select(*group_columns,
               func.sum(case((approved, 1), else_=0)),
               func.sum(case((approved, HourLine.minutes), else_=0)),
               func.sum(case((approved, HourLine.amount), else_=0)),
               func.sum(case((submitted, HourLine.minutes), else_=0)),
               func.sum(case((submitted, HourLine.amount), else_=0)))
        .select_from(HourLine)
        .join(Booking, Booking.id == HourLine.booking_id)
        .where(Booking.starts_at >= start, Booking.starts_at < end,
               HourLine.status.in_((HourStatus.APPROVED, HourStatus.SUBMITTED)))
    )
    if join_expert:
        query = (query.join(Expert, Expert.id == Booking.expert_id)
                 .join(User, User.id == Expert.user_id))
    return db.session.execute(query.group_by(*group_columns))


def _cost_row(name, lines, minutes, amount, pending_minutes, pending_amount) -> CostRow:
    zero = Decimal("0.00")
    return CostRow(name=name, lines=int(lines or 0), minutes=int(minutes or 0),
                   amount=amount or zero, pending_minutes=int(pending_minutes or 0),
                   pending_amount=pending_amount or zero)


def _hours_per_category(year: int) -> list[CostRow]:
    found = {category: _cost_row(category, *rest)
             for category, *rest in _hours_by([HourLine.category], year)}
    return [found.get(c.value) or _cost_row(c.value, 0, 0, None, 0, None) for c in HourCategory]


def _hours_per_expert(year: int) -> list[CostRow]:
    rows = _hours_by([Booking.expert_id, User.name], year, join_expert=True)
    return sorted((_cost_row(name, *rest) for _id, name, *rest in rows),
                  key=lambda r: r.name.lower())


def year_report(*, year: int, locale: str | None = None,
                now: datetime | None = None) -> YearReport:
    """All figures of the year report, in a fixed number of SQL statements."""
    regions = _requests_per_region(year)
    totals = RequestRow(name="", region=None,
                        requested=sum(r.requested for r in regions),
                        booked=sum(r.booked for r in regions),
                        cancelled=sum(r.cancelled for r in regions),
                        unfilled=sum(r.unfilled for r in regions))
    return YearReport(
        year=year,
        totals=totals,
        regions=regions,
        municipalities=_requests_per_municipality(year),
        areas=_requests_per_area(year, locale),
        median_hours_to_booking=_median_hours_to_booking(year),
        categories=_hours_per_category(year),
        experts=_hours_per_expert(year),
        budget=year_figures(year=year, now=now),
    )
