"""The coordinator's month at a glance: every case table's sessions of a month, each with
the state of its requests (booked and by whom, offered and to whom, open, unfilled,
cancelled).

Four queries whatever the month holds: the sessions, their requests, the bookings of those
requests and their pending offers (each with the expert's name). The calendar's weeks are
plain dates; the template draws them as a table and as a list.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from duidingspool.accounts.models import User
from duidingspool.bookings.models import Booking, BookingStatus, Offer, OfferStatus
from duidingspool.casetables.models import CaseTable, Sitting, SittingStatus
from duidingspool.errors import ValidationFailed
from duidingspool.experts.models import Expert
from duidingspool.extensions import db
from duidingspool.referrals.models import Referral, ReferralStatus
from duidingspool.timeutil import local_date, local_to_utc

# The states a session or one of its requests is shown in, in the order of urgency for the
# coordinator (a session with several requests shows the first that applies).
OPEN, OFFERED, UNFILLED, BOOKED, CANCELLED, NO_REQUEST = (
    "open", "offered", "unfilled", "booked", "cancelled", "no_request")
STATE_ORDER = (OPEN, OFFERED, UNFILLED, BOOKED, CANCELLED, NO_REQUEST)
_REFERRAL_STATE = {
    ReferralStatus.SUBMITTED: OPEN, ReferralStatus.OFFERED: OFFERED,
    ReferralStatus.BOOKED: BOOKED, ReferralStatus.COMPLETED: BOOKED,
    ReferralStatus.UNFILLED: UNFILLED, ReferralStatus.CANCELLED: CANCELLED,
}
FIRST_YEAR, LAST_YEAR = 2000, 2999
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def key(self) -> str:
        """As in the URL: 2026-12."""
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def in_range(self) -> bool:
        return FIRST_YEAR <= self.year <= LAST_YEAR


def parse_month(raw: str | None, *, today: date) -> Month:
    """`2026-12` as a Month; none or empty is today's month; anything else is refused."""
    if raw is None or raw.strip() == "":
        return Month(today.year, today.month)
    match = _MONTH.match(raw.strip())
    if match:
        month = Month(int(match[1]), int(match[2]))
        if 1 <= month.month <= 12 and month.in_range:
            return month
    raise ValidationFailed(_l("Give a month as year and month, e.g. 2026-12."),
                           fields={"maand": [_l("Give a month as year and month, e.g. "
                                                "2026-12.")]})


@dataclass(frozen=True)
class PlanRequest:
    """One request of a session, as the planning shows it."""

    referral_id: int
    reference: str
    state: str
    expert_name: str | None = None  # booked, or the offer waiting for an answer
    answer_before: datetime | None = None  # the pending offer's deadline


@dataclass
class PlanSession:
    sitting_id: int
    case_table_id: int
    case_table_name: str
    starts_at: datetime
    ends_at: datetime
    day: date
    cancelled: bool
    moved: bool
    requests: list[PlanRequest] = field(default_factory=list)

    @property
    def state(self) -> str:
        """The session's state: cancelled, no request, or its most pressing request's."""
        if self.cancelled:
            return CANCELLED
        if not self.requests:
            return NO_REQUEST
        return min((r.state for r in self.requests), key=STATE_ORDER.index)


@dataclass
class MonthPlan:
    month: Month
    weeks: list[list[date | None]]  # Monday first; None outside the month
    sessions: list[PlanSession]
    by_day: dict[date, list[PlanSession]]
    counts: dict[str, int]

    @property
    def previous(self) -> Month:
        return self.month.shifted(-1)

    @property
    def next(self) -> Month:
        return self.month.shifted(1)


def month_plan(month: Month) -> MonthPlan:
    """Every case table's sessions in `month` (Europe/Amsterdam) with their requests'
    states, in four queries."""
    start = local_to_utc(datetime.combine(month.first_day, datetime.min.time()))
    end = local_to_utc(datetime.combine(month.shifted(1).first_day, datetime.min.time()))
    rows = db.session.execute(
        select(Sitting.id, Sitting.case_table_id, CaseTable.name, Sitting.starts_at,
               Sitting.ends_at, Sitting.status)
        .join(CaseTable, CaseTable.id == Sitting.case_table_id)
        .where(Sitting.starts_at >= start, Sitting.starts_at < end)
        .order_by(Sitting.starts_at, CaseTable.name, Sitting.id)
    ).all()
    sessions = [PlanSession(sitting_id=r.id, case_table_id=r.case_table_id,
                            case_table_name=r.name, starts_at=r.starts_at, ends_at=r.ends_at,
                            day=local_date(r.starts_at),
                            cancelled=r.status == SittingStatus.CANCELLED,
                            moved=r.status == SittingStatus.MOVED)
                for r in rows]
    _attach_requests(sessions)
    by_day: dict[date, list[PlanSession]] = defaultdict(list)
    for session in sessions:
        by_day[session.day].append(session)
    counts = {state: 0 for state in STATE_ORDER}
    for session in sessions:
        counts[session.state] += 1
    weeks = [[day if day.month == month.month else None for day in week]
             for week in calendar.Calendar(firstweekday=0).monthdatescalendar(
                 month.year, month.month)]
    return MonthPlan(month=month, weeks=weeks, sessions=sessions, by_day=dict(by_day),
                     counts=counts)


def _attach_requests(sessions: list[PlanSession]) -> None:
    if not sessions:
        return
    by_sitting = {s.sitting_id: s for s in sessions}
    referrals = db.session.execute(
        select(Referral.id, Referral.reference, Referral.status, Referral.sitting_id)
        .where(Referral.sitting_id.in_(by_sitting))
        .order_by(Referral.id)
    ).all()
    if not referrals:
        return
    ids = [r.id for r in referrals]
    booked = dict(db.session.execute(
        select(Booking.referral_id, User.name)
        .join(Expert, Expert.id == Booking.expert_id).join(User, User.id == Expert.user_id)
        .where(Booking.referral_id.in_(ids),
               Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.COMPLETED)))
    ).all())
    waiting = {r.referral_id: (r.name, r.expires_at) for r in db.session.execute(
        select(Offer.referral_id, User.name, Offer.expires_at)
        .join(Expert, Expert.id == Offer.expert_id).join(User, User.id == Expert.user_id)
        .where(Offer.referral_id.in_(ids), Offer.status == OfferStatus.PENDING)
    )}
    for r in referrals:
        state = _REFERRAL_STATE.get(r.status, OPEN)
        name, deadline = None, None
        if state == BOOKED:
            name = booked.get(r.id)
        elif state == OFFERED and r.id in waiting:
            name, deadline = waiting[r.id]
        by_sitting[r.sitting_id].requests.append(PlanRequest(
            referral_id=r.id, reference=r.reference, state=state, expert_name=name,
            answer_before=deadline))
