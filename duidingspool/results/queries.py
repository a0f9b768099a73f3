"""Results of a year in figures: sessions held, evaluations, usefulness, complaints.

A session belongs to the year of its start (local date), as hours and money do. "Held"
means its booking stood (confirmed or completed) and it has ended. The figures per
expertise area and per region are for the year report; the per-expert figures only for
the coordinator's own page, never for the report that goes to the ministry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select

from duidingspool.accounts.models import User
from duidingspool.bookings.models import Booking
from duidingspool.budget.queries import year_bounds
from duidingspool.casetables.models import Municipality, SafetyRegion
from duidingspool.experts.models import Expert, ExpertiseArea
from duidingspool.extensions import db
from duidingspool.referrals.models import Referral, ReferralExpertise
from duidingspool.results.models import Complaint, ComplaintKind, ComplaintStatus, Evaluation
from duidingspool.results.services import HELD


@dataclass
class ScoreRow:
    name: str
    sessions: int           # sessions held
    evaluations: int        # evaluations received for them
    average: Decimal | None  # average usefulness (1-5), one decimal
    on_time: int = 0        # evaluations saying the specialist was on time
    prepared: int = 0       # ... and prepared

    @property
    def response_rate(self) -> Decimal | None:
        if not self.sessions:
            return None
        return (Decimal(self.evaluations) * 100 / self.sessions).quantize(
            Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class YearResults:
    year: int
    totals: ScoreRow
    areas: list[ScoreRow]
    regions: list[ScoreRow]
    # complaints[kind][status] = count, every kind and status present
    complaints: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def complaints_total(self) -> int:
        return sum(sum(by_status.values()) for by_status in self.complaints.values())


def _held_in(year: int, now: datetime):
    start, end = year_bounds(year)
    return (Booking.status.in_(HELD), Booking.starts_at >= start, Booking.starts_at < end,
            Booking.ends_at <= now)


def _average(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _scores():
    # Plain counts: each query joins a booking to at most one evaluation (unique per
    # booking) and to each group (area, region) at most once.
    return (func.count(Booking.id), func.count(Evaluation.id),
            func.avg(Evaluation.usefulness),
            func.sum(case((Evaluation.on_time.is_(True), 1), else_=0)),
            func.sum(case((Evaluation.prepared.is_(True), 1), else_=0)))


def _row(name, sessions, evaluations, average, on_time, prepared) -> ScoreRow:
    return ScoreRow(name=name, sessions=int(sessions or 0), evaluations=int(evaluations or 0),
                    average=_average(average), on_time=int(on_time or 0),
                    prepared=int(prepared or 0))


def _evaluated():
    return Evaluation.booking_id == Booking.id


def year_results(*, year: int, now: datetime, locale: str | None = None) -> YearResults:
    """Results of `year` per expertise area and per safety region, never per expert."""
    held = _held_in(year, now)
    totals = db.session.execute(
        select(*_scores()).select_from(Booking).outerjoin(Evaluation, _evaluated())
        .where(*held)).one()
    label = ExpertiseArea.name_en if locale == "en" else ExpertiseArea.name_nl
    areas = db.session.execute(
        select(label, *_scores()).select_from(Booking)
        .join(ReferralExpertise, ReferralExpertise.referral_id == Booking.referral_id)
        .join(ExpertiseArea, ExpertiseArea.id == ReferralExpertise.expertise_area_id)
        .outerjoin(Evaluation, _evaluated())
        .where(*held).group_by(ExpertiseArea.id, label).order_by(label))
    regions = db.session.execute(
        select(SafetyRegion.name, *_scores()).select_from(Booking)
        .join(Referral, Referral.id == Booking.referral_id)
        .join(Municipality, Municipality.id == Referral.municipality_id)
        .join(SafetyRegion, SafetyRegion.id == Municipality.safety_region_id)
        .outerjoin(Evaluation, _evaluated())
        .where(*held).group_by(SafetyRegion.id, SafetyRegion.name).order_by(SafetyRegion.name))
    start, end = year_bounds(year)
    complaints = {kind.value: {status.value: 0 for status in ComplaintStatus}
                  for kind in ComplaintKind}
    for kind, status, count in db.session.execute(
            select(Complaint.kind, Complaint.status, func.count(Complaint.id))
            .where(Complaint.filed_at >= start, Complaint.filed_at < end)
            .group_by(Complaint.kind, Complaint.status)):
        complaints[kind][status] = int(count)
    return YearResults(year=year, totals=_row("", *totals),
                       areas=[_row(name, *rest) for name, *rest in areas],
                       regions=[_row(name, *rest) for name, *rest in regions],
                       complaints=complaints)


@dataclass
class ExpertScore(ScoreRow):
    complaints: int = 0
    upheld: int = 0


def expert_results(*, year: int, now: datetime) -> list[ExpertScore]:
    """Per expert, for the coordinator's page only: sessions held, evaluations, average
    usefulness, complaints filed about their sessions and how many were upheld."""
    held = _held_in(year, now)
    rows = db.session.execute(
        select(Expert.id, User.name, *_scores()).select_from(Booking)
        .join(Expert, Expert.id == Booking.expert_id).join(User, User.id == Expert.user_id)
        .outerjoin(Evaluation, _evaluated())
        .where(*held).group_by(Expert.id, User.name).order_by(User.name))
    scores = {expert_id: ExpertScore(**vars(_row(name, *rest)))
              for expert_id, name, *rest in rows}
    start, end = year_bounds(year)
    for expert_id, total, upheld in db.session.execute(
            select(Booking.expert_id, func.count(Complaint.id),
                   func.sum(case((Complaint.status == ComplaintStatus.UPHELD, 1), else_=0)))
            .join(Booking, Booking.id == Complaint.booking_id)
            .where(Booking.starts_at >= start, Booking.starts_at < end)
            .group_by(Booking.expert_id)):
        if expert_id in scores:
            scores[expert_id].complaints = int(total)
            scores[expert_id].upheld = int(upheld or 0)
    return list(scores.values())
