"""Demo data: `duidingspool demo`.

Loading is idempotent: every row is found by its natural key (region code, CBS code,
expertise code, case table name, e-mail address, budget year) and updated, or added when
missing. Existing users keep their password and roles.

The lived year. On the first run in a calendar year the demo also writes that year up to
today as the pool would have lived it, through the app's own services with `now=` set in
the past (requests, offers, acceptances, completions, hour lines, approvals), so that every
derived table (the tallies kept by triggers, feed stamps, the outbox) is what the app itself
would have made. What it writes:

- past sessions of both case tables, each with one or more requests that were offered,
  accepted and completed, with hour lines: approved APPROVED_AFTER (ten days) after the
  session, so the sessions of the last ten days have hours waiting for approval (and the
  one of today or yesterday none yet; in the first days of January, after the holidays on
  which no case table meets, there may be none waiting);
- the number of requests and their hours are computed from today's date, so that the
  approved amounts come to SPENT_SHARE (2/3) of the year's budget, spread over the past
  sessions of the year: few sessions in March means busy sessions, many in September means
  quiet ones (at most MAX_REQUESTS_PER_SESSION requests of at most MAX_BOOKING_MINUTES each);
- a request declined by the first expert and taken by the next, a booking cancelled by the
  coordinator (the expert fell ill; the preparation was paid) and booked again, a booking
  cancelled by the requester, exactly one unfilled request (its only offer expired), a
  request that found no eligible expert (cancelled) when the calendar allows none;
- today: confirmed bookings on the next sessions, offers waiting for an answer (one with a
  second expert queued), a new request in the coordinator's inbox; an expert whose VOG lapses
  within 60 days; next year's budget in draft (a budget row and nothing booked on it);
- the outbox: messages of the past are marked sent (with their own time), the last hour's
  stay queued.

Early in the year. Until the year has MIN_SETTLED_SESSIONS sessions whose hours are
approved (ended more than ten days ago), its past may not carry 55 % of a budget: the demo
then also writes the whole previous year (its budget, hourly rates from its 1 January,
PREVIOUS_YEAR_SPENT_SHARE spent; unless a run last year wrote it already), and the current
year gets what its few sessions can carry (nothing on 1-2 January: no session of the year
has ended). The budget, report and calendar pages of the previous year then show a lived
year. With the demo calendar the current year carries the band from about 22 February on.

The history is written once per calendar year (an audit event `demo.history` names the
year); later runs in the same year change nothing. Times the services stamp with the real
clock instead of their `now` (the creation time of bookings, offers and hour lines, a
request's last change) are set to the lived time afterwards; audit events keep the time of
the run (the trail is append-only).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select, update

from duidingspool import demo_data as data
from duidingspool.accounts import services as accounts
from duidingspool.accounts.models import Role, User
from duidingspool.audit.models import AuditEvent
from duidingspool.audit.services import record
from duidingspool.bookings import services as bookings
from duidingspool.bookings.candidates import rank_request
from duidingspool.bookings import standing
from duidingspool.bookings.models import (
    Booking,
    BookingStatus,
    CaseTableTally,
    Offer,
    StandingSeries,
)
from duidingspool.budget.models import DEFAULT_THRESHOLDS, Budget
from duidingspool.budget.services import year_figures
from duidingspool.casetables.services import generate_sessions
from duidingspool.casetables.models import (
    CaseTable,
    Municipality,
    SafetyRegion,
    ScheduleSource,
    Sitting,
    SittingStatus,
)
from duidingspool.db import utcnow
from duidingspool.errors import DomainError
from duidingspool.experts.services import hourly_rate_on
from duidingspool.experts.models import (
    AvailabilityWindow,
    Expert,
    ExpertConflict,
    ExpertExpertise,
    ExpertiseArea,
    ExpertLanguage,
    ExpertRate,
)
from duidingspool.extensions import db, unit_of_work
from duidingspool.hours import services as hours
from duidingspool.hours.models import HourCategory, HourLine
from duidingspool.mail.models import MailStatus, OutboxMessage
from duidingspool.referrals import services as referrals
from duidingspool.oncall import services as oncall
from duidingspool.referrals.models import Referral, ReferralExpertise, ReferralStatus
from duidingspool.results import services as results
from duidingspool.results.models import ComplaintKind
from duidingspool.timeutil import local_day_bounds, local_to_utc, to_local

VOG_VALID_YEARS = 3
CONFIDENTIALITY_VALID_YEARS = 2
VOG_LAPSING_IN_DAYS = 45

# The lived year (see the module's doc string).
HISTORY_ACTION = "demo.history"
# The coordinator approves a session's hours this long after it: the hours of sessions that
# ended longer ago are approved, the more recent ones wait (longer than a week, so a weekly
# session always has hours waiting).
APPROVED_AFTER = timedelta(days=10)
MIN_SETTLED_SESSIONS = 8  # fewer approved sessions in the year: the previous year is lived too
# What a request costs in a year with time enough: about 13-14 hours at EUR 110
# (preparation, the session, travel, a written advice). Fewer sessions left in the year
# make the requests more and larger, up to these limits:
PLANNED_BOOKING_COST = Decimal("1500")
MAX_REQUESTS_PER_SESSION = 6
RECENT_REQUESTS_PER_SESSION = 2
MIN_BOOKING_MINUTES, MAX_BOOKING_MINUTES = 180, 960
HOLIDAYS = {(1, 1), (12, 25), (12, 26)}  # (month, day): no case table meets
UPCOMING_DAYS = 28  # today's bookings, offers and requests are for sessions this close


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    roles: tuple[str, ...]


@dataclass
class DemoSummary:
    regions: int = 0
    municipalities: int = 0
    expertise_areas: int = 0
    case_tables: int = 0
    sessions_generated: int = 0
    upcoming_sessions: dict[str, int] = field(default_factory=dict)
    users_created: int = 0
    experts: int = 0
    budget_year: int = 0
    budget_amount: Decimal = Decimal("0")
    draft_budget_year: int = 0
    # "<case table>: <expert>, <n> dates" of the standing specialist the demo added, if any.
    standing: str | None = None
    lived: list[LivedYear] = field(default_factory=list)
    logins: list[DemoLogin] = field(default_factory=list)
    evaluations: int = 0
    complaints: int = 0


@dataclass
class LivedYear:
    """What the history wrote for one year, with the year's figures after it."""

    year: int
    requests: int = 0
    bookings: int = 0
    spent: Decimal = Decimal("0")
    pending: Decimal = Decimal("0")
    spent_percent: Decimal = Decimal("0")


def load_demo(*, now: datetime | None = None) -> DemoSummary:
    """Add or update the demo data, and write the lived year once; flushes, never commits."""
    now = now or utcnow()
    today = to_local(now).date()
    summary = DemoSummary()

    regions = _load_regions()
    municipalities = _load_municipalities(regions)
    areas = _load_expertise_areas()
    summary.regions = len(regions)
    summary.municipalities = len(municipalities)
    summary.expertise_areas = len(areas)

    tables = []
    for spec in data.CASE_TABLES:
        table = _load_case_table(spec, municipalities, regions, today)
        summary.sessions_generated += _generate_sessions(table, first_day=date(today.year, 1, 1),
                                                         now=now)
        tables.append(table)
    summary.case_tables = len(data.CASE_TABLES)

    for spec in data.STAFF:
        _user, created = _ensure_user(spec.email, spec.name, spec.roles,
                                      municipalities.get(spec.cbs_code))
        summary.users_created += created
        summary.logins.append(DemoLogin(spec.email, spec.name, spec.roles))
    experts = []
    for spec in data.EXPERTS:
        user, created = _ensure_user(spec.email, spec.name, (Role.EXPERT.value,), None)
        summary.users_created += created
        summary.logins.append(DemoLogin(spec.email, spec.name, (Role.EXPERT.value,)))
        experts.append(_load_expert(spec, user, municipalities, areas, today))
    summary.experts = len(data.EXPERTS)

    budget = _load_budget(today.year)
    summary.budget_year, summary.budget_amount = budget.year, budget.amount
    # Next year's budget in draft: set, with nothing booked or spent on it.
    summary.draft_budget_year = _load_budget(today.year + 1).year

    if not _history_written(today.year):
        summary.lived, generated = _live(tables=tables, experts=experts, areas=areas, now=now)
        summary.sessions_generated += generated
        summary.evaluations, summary.complaints = _results(now=now)
    summary.standing = _load_standing(tables[-1], now=now)
    for table in tables:
        summary.upcoming_sessions[table.name] = _count_upcoming(table, today)

    record(actor=None, action="demo.load", details={
        "regions": summary.regions, "municipalities": summary.municipalities,
        "expertise_areas": summary.expertise_areas, "case_tables": summary.case_tables,
        "sessions_generated": summary.sessions_generated, "users_created": summary.users_created,
        "experts": summary.experts, "budget_year": summary.budget_year,
        "lived_years": [lived.year for lived in summary.lived],
    })
    return summary


def _generate_sessions(table: CaseTable, *, first_day: date, now: datetime) -> int:
    """The table's sessions from `first_day` (local) to the usual horizon after `now`."""
    start, _end = local_day_bounds(first_day)
    horizon = int(current_app.config.get("SESSION_HORIZON_DAYS", 365))
    return generate_sessions(actor=None, case_table=table, now=start,
                             horizon_days=(now - start).days + horizon)


def _upsert(model, key: dict, values: dict):
    """The row of `model` matching `key`, updated to `values`, or a new one; flushes."""
    obj = db.session.scalar(select(model).filter_by(**key))
    if obj is None:
        obj = model(**key)
        db.session.add(obj)
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
    db.session.flush()
    return obj


def _load_regions() -> dict[str, SafetyRegion]:
    return {code: _upsert(SafetyRegion, {"code": code}, {"name": name})
            for code, name in data.SAFETY_REGIONS}


def _load_municipalities(regions: dict[str, SafetyRegion]) -> dict[str, Municipality]:
    found = {}
    for region_code, rows in data.MUNICIPALITIES.items():
        for cbs_code, name, lat, lon in rows:
            found[cbs_code] = _upsert(Municipality, {"cbs_code": cbs_code}, {
                "name": name, "safety_region_id": regions[region_code].id,
                "latitude": Decimal(lat), "longitude": Decimal(lon),
            })
    return found


def _load_expertise_areas() -> dict[str, ExpertiseArea]:
    return {code: _upsert(ExpertiseArea, {"code": code},
                          {"name_nl": name_nl, "name_en": name_en, "is_active": True})
            for code, name_nl, name_en in data.EXPERTISE_AREAS}


def _first_start(spec: data.DemoCaseTable, today: date) -> datetime:
    """The first occurrence of the demo rule in January of last year, as aware UTC: early
    enough for the sessions of the lived year (and of the year before, early in a year)."""
    january = date(today.year - 1, 1, 1)
    if "FREQ=MONTHLY" in spec.rrule:  # the second Tuesday
        day = january + timedelta(days=(1 - january.weekday()) % 7 + 7)
    else:  # weekly on Thursday: the first Thursday
        day = january + timedelta(days=(3 - january.weekday()) % 7)
    return local_to_utc(datetime.combine(day, time(spec.start_hour)))


def _load_case_table(spec: data.DemoCaseTable, municipalities: dict[str, Municipality],
                     regions: dict[str, SafetyRegion], today: date) -> CaseTable:
    table = db.session.scalar(select(CaseTable).where(CaseTable.name == spec.name))
    # Keep the rule's start on a rerun (moving it would not change the occurrences), unless
    # it lies after the start the lived year needs.
    keep_start = (table is not None and table.rrule == spec.rrule
                  and table.first_session_start is not None
                  and table.first_session_start <= _first_start(spec, today))
    participants = [m for m in municipalities.values()
                    if m.safety_region_id == regions[spec.region_code].id]
    participants.sort(key=lambda m: m.name)
    table = _upsert(CaseTable, {"name": spec.name}, {
        "host_organisation": spec.host_organisation,
        "host_municipality_id": municipalities[spec.host_cbs_code].id,
        "address": spec.address, "contact_email": spec.contact_email,
        "schedule_source": ScheduleSource.RECURRENCE, "rrule": spec.rrule,
        "first_session_start": (table.first_session_start if keep_start
                                else _first_start(spec, today)),
        "duration_minutes": spec.duration_minutes, "is_active": True,
    })
    if {m.id for m in table.municipalities} != {m.id for m in participants}:
        table.municipalities = participants
        db.session.flush()
    return table


def _count_upcoming(table: CaseTable, today: date) -> int:
    start_of_today, _end = local_day_bounds(today)
    return db.session.scalar(select(func.count(Sitting.id)).where(
        Sitting.case_table_id == table.id, Sitting.starts_at >= start_of_today))


def _ensure_user(email: str, name: str, roles: tuple[str, ...],
                 municipality: Municipality | None) -> tuple[User, bool]:
    """The user with this e-mail, left as it is, or a new one with the demo password."""
    user = accounts.get_by_email(email)
    if user is not None:
        return user, False
    user = accounts.create(actor=None, email=email, name=name, password=data.DEMO_PASSWORD,
                           roles=[Role(r) for r in roles],
                           municipality_id=municipality.id if municipality else None)
    return user, True


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _load_expert(spec: data.DemoExpert, user: User, municipalities: dict[str, Municipality],
                 areas: dict[str, ExpertiseArea], today: date) -> Expert:
    if spec.vog_lapses_soon:
        vog_expires = today + timedelta(days=VOG_LAPSING_IN_DAYS)
        vog_issued = _years_later(vog_expires, -VOG_VALID_YEARS)
    else:
        vog_issued = today.replace(month=1, day=1)
        vog_expires = _years_later(vog_issued, VOG_VALID_YEARS)
    signed = today.replace(month=1, day=1)
    expert = _upsert(Expert, {"user_id": user.id}, {
        "home_municipality_id": municipalities[spec.home_cbs_code].id,
        "max_travel_km": spec.max_travel_km, "max_hours_per_month": spec.max_hours_per_month,
        "is_active": True, "vog_issued_on": vog_issued, "vog_expires_on": vog_expires,
        "confidentiality_signed_on": signed,
        "confidentiality_expires_on": _years_later(signed, CONFIDENTIALITY_VALID_YEARS),
    })
    for code, level in spec.areas.items():
        _upsert(ExpertExpertise, {"expert_id": expert.id, "expertise_area_id": areas[code].id},
                {"level": level})
    for language in spec.languages:
        _upsert(ExpertLanguage, {"expert_id": expert.id, "language": language}, {})
    _upsert(ExpertRate, {"expert_id": expert.id, "valid_from": date(today.year, 1, 1)},
            {"hourly_rate": Decimal(spec.hourly_rate)})
    for weekday, start, end in spec.windows:
        _upsert(AvailabilityWindow, {"expert_id": expert.id, "weekday": weekday,
                                     "start_minute": _minutes(start),
                                     "end_minute": _minutes(end)}, {})
    for cbs_code in spec.conflicts:
        _upsert(ExpertConflict, {"expert_id": expert.id,
                                 "municipality_id": municipalities[cbs_code].id}, {})
    return expert


def _load_budget(year: int) -> Budget:
    budget = _upsert(Budget, {"year": year}, {"amount": Decimal(data.BUDGET_AMOUNT),
                                              "km_rate": Decimal(data.BUDGET_KM_RATE)})
    if not budget.thresholds:
        budget.thresholds.extend(DEFAULT_THRESHOLDS)
    return budget


# --- the lived year -------------------------------------------------------------------------

def _history_written(year: int) -> bool:
    """Whether a run has already written the lived `year` (the audit trail says so)."""
    return any((details or {}).get("year") == year for details in db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == HISTORY_ACTION)))


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(datetime.combine(day, time(hour, minute)))


def _round_quarter(minutes: Decimal) -> int:
    return int((minutes / 15).to_integral_value()) * 15


class _Pool:
    """The people and the running counters while the history is written."""

    def __init__(self, *, tables: list[CaseTable], experts: list[Expert],
                 areas: dict[str, ExpertiseArea], first_day: date):
        self.coordinator = accounts.get_by_email(
            next(u.email for u in data.STAFF if "coordinator" in u.roles))
        self.areas = areas
        self.experts = {expert.id: expert for expert in experts}
        self.first_day = first_day
        requesters = [accounts.get_by_email(u.email) for u in data.STAFF
                      if "requester" in u.roles]
        self.requesters = {
            table.id: itertools.cycle(
                [u for u in requesters
                 if u.municipality_id in {m.id for m in table.municipalities}])
            for table in tables}
        self.cbs_of = {m.id: m.cbs_code for table in tables for m in table.municipalities}
        self.cases = itertools.cycle(range(len(data.CASES)))
        self.case_numbers: dict[tuple[int, int], int] = {}
        self.done: dict[tuple[int, int], tuple[Referral, int]] = {}  # (requester, table)
        self.count = 0

    def user_of(self, expert_id: int) -> User:
        return self.experts[expert_id].user

    def case_code(self, table: CaseTable, year: int) -> str:
        key = (table.id, year)
        self.case_numbers[key] = self.case_numbers.get(key, 0) + 1
        prefix = data.CASE_CODE_PREFIX.get(table.name, "CT")
        return f"{prefix}-{year}-{self.case_numbers[key]:03d}"

    def fitting(self, case: data.DemoCase, sitting: Sitting, requester: User) -> int:
        """How many demo experts could take `case` at this session (profile and weekly
        window only; the matcher decides the rest)."""
        start, end = to_local(sitting.starts_at), to_local(sitting.ends_at)
        slot = (start.weekday(), start.hour * 60 + start.minute, end.hour * 60 + end.minute)
        cbs = self.cbs_of.get(requester.municipality_id)
        return sum(
            all(spec.areas.get(code, 0) >= level for code, level in case.areas.items())
            and (case.language is None or case.language in spec.languages)
            and cbs not in spec.conflicts
            and any(w == slot[0] and _minutes(lo) <= slot[1] and slot[2] <= _minutes(hi)
                    for w, lo, hi in spec.windows)
            for spec in data.EXPERTS)

    def next_request(self, sitting: Sitting, *, broad: bool = False
                     ) -> tuple[User, int, Referral | None]:
        """Who asks, which case (index into CASES; with `broad` the one most experts
        could take), and the earlier request it follows."""
        requester = next(self.requesters[sitting.case_table_id])
        self.count += 1
        if broad:
            return requester, max(range(len(data.CASES)), key=lambda i: self.fitting(
                data.CASES[i], sitting, requester)), None
        earlier = self.done.get((requester.id, sitting.case_table_id))
        if earlier is not None and self.count % 5 == 0:
            self.done.pop((requester.id, sitting.case_table_id))
            return requester, earlier[1], earlier[0]
        for _ in range(len(data.CASES)):
            index = next(self.cases)
            if self.fitting(data.CASES[index], sitting, requester):
                return requester, index, None
        return requester, index, None


def _submit(pool: _Pool, sitting: Sitting, *, at: datetime, urgency: str | None = None,
            broad: bool = False, chosen: tuple | None = None) -> tuple[Referral, User, int]:
    """A requester of the session's case table submits a request for it at `at` (the
    requester, case and previous request `chosen` by `pool.next_request`, else the next)."""
    requester, index, previous = chosen or pool.next_request(sitting, broad=broad)
    case = data.CASES[index]
    referral = referrals.create(actor=requester, now=at, data={
        "case_table_id": sitting.case_table_id, "session_id": sitting.id,
        "areas": [{"area_id": pool.areas[code].id, "min_level": level}
                  for code, level in case.areas.items()],
        "language": case.language, "mode": case.mode,
        "estimated_hours": float(case.estimated_hours),
        "urgency": urgency or case.urgency,
        "case_code": pool.case_code(sitting.case_table, to_local(at).year),
        "question": case.question, "previous_id": previous.id if previous else None,
    })
    return referral, requester, index


def _offer(pool: _Pool, referral: Referral, expert_ids: list[int], *, at: datetime,
           expires_at: datetime | None = None) -> list[Offer]:
    offers = bookings.make_offers(actor=pool.coordinator, referral=referral,
                                  expert_ids=expert_ids, expires_at=expires_at, now=at)
    for offer in offers:
        offer.created_at = at
    return offers


def _accept(pool: _Pool, offer: Offer, *, at: datetime) -> Booking:
    booking = bookings.accept(actor=pool.user_of(offer.expert_id), offer=offer, now=at)
    booking.created_at = booking.updated_at = at  # the database keeps first_booked_at
    db.session.flush()
    return booking


def _settle(referral: Referral, at: datetime) -> None:
    referral.updated_at = at
    db.session.flush()


def _hour_lines(total: int, *, attendance: int, in_person: bool
                ) -> list[tuple[str, int]]:
    """`total` minutes as lines by category: the session itself, travel when in person,
    then preparation, written advice and (for long ones) follow-up coaching."""
    travel = 60 if in_person else 0
    rest = max(total - attendance - travel, 60)
    preparation = min(max(_round_quarter(Decimal(rest) * Decimal("0.4")), 30), 240)
    advice = min(rest - preparation, 480)
    follow_up = rest - preparation - advice
    lines = [(HourCategory.PREPARATION, preparation), (HourCategory.ATTENDANCE, attendance),
             (HourCategory.TRAVEL, travel), (HourCategory.WRITTEN_ADVICE, advice),
             (HourCategory.FOLLOW_UP, follow_up)]
    return [(str(category), minutes) for category, minutes in lines if minutes > 0]


def _log_hours(pool: _Pool, booking: Booking, *, amount: Decimal, distance_km: float | None,
               logged_at: datetime) -> list[HourLine]:
    """The expert logs hours worth about `amount` and submits them at `logged_at`."""
    rate = hourly_rate_on(booking.expert_id, to_local(booking.starts_at).date())
    in_person = booking.referral.mode == "in_person"
    km = Decimal(round(2 * distance_km)) if in_person and distance_km else None
    km_cost = (km or 0) * Decimal(data.BUDGET_KM_RATE)
    total = _round_quarter((amount - km_cost) * 60 / rate)
    total = min(max(total, MIN_BOOKING_MINUTES), MAX_BOOKING_MINUTES)
    attendance = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
    user = pool.user_of(booking.expert_id)
    lines = []
    for category, minutes in _hour_lines(total, attendance=attendance, in_person=in_person):
        lines.append(hours.add_line(
            actor=user, booking=booking, category=category, minutes=minutes,
            kilometres=km if category == HourCategory.TRAVEL else None,
            submit=True, now=logged_at))
    for line in lines:
        line.created_at = logged_at
    db.session.flush()
    return lines


def _approve(pool: _Pool, lines: list[HourLine], *, at: datetime) -> None:
    """The coordinator approves a session's submitted hour lines together."""
    if lines:
        hours.decide_many(actor=pool.coordinator, line_ids=[line.id for line in lines],
                          approve_them=True, now=at)


def _times(sitting: Sitting, n: int, *, first_day: date) -> tuple[datetime, datetime] | None:
    """When the n-th request for `sitting` was submitted and offered: one to three weeks
    ahead, never before the history's first day; None when that leaves no time."""
    day = to_local(sitting.starts_at).date() - timedelta(days=8 + (n * 5) % 13)
    created = _local(max(day, first_day + timedelta(days=1)), 9, (n * 17) % 50)
    offered = created + timedelta(days=1, hours=1)
    if offered + timedelta(hours=8) > sitting.starts_at:
        return None
    return created, offered


@dataclass
class _Step:
    """One session of the history and what happens on it."""

    sitting: Sitting
    requests: int
    settled: bool  # hours approved (else submitted, waiting)
    special: str | None = None  # "unfilled", "illness", "requester_cancel"


def _plan(sittings: list[Sitting], *, now: datetime, targets: dict[int, Decimal]
          ) -> list[_Step]:
    """How many requests each past session gets: enough for the year's target at about
    PLANNED_BOOKING_COST each, spread evenly over its settled sessions."""
    steps = [_Step(s, RECENT_REQUESTS_PER_SESSION, s.ends_at + APPROVED_AFTER <= now)
             for s in sittings]
    for year, target in targets.items():
        settled = [step for step in steps
                   if step.settled and to_local(step.sitting.starts_at).year == year]
        if not settled:
            continue
        wanted = math.ceil(target / PLANNED_BOOKING_COST)
        for i, step in enumerate(settled):  # some sessions need no expert at all
            share = (i + 1) * wanted // len(settled) - i * wanted // len(settled)
            step.requests = min(share, MAX_REQUESTS_PER_SESSION)
    settled = [step for step in steps if step.settled]
    for offset, special in ((4, "unfilled"), (3, "illness"), (2, "requester_cancel")):
        if len(settled) >= offset:
            settled[-offset].special = special
    return steps


def _past_sittings(tables: list[CaseTable], *, first_day: date, now: datetime
                   ) -> list[Sitting]:
    """Scheduled sessions of the demo tables from `first_day` that ended before `now` and
    leave room for a request before them (not on a holiday)."""
    start, _end = local_day_bounds(first_day + timedelta(days=3))
    sittings = db.session.scalars(
        select(Sitting).where(Sitting.case_table_id.in_([t.id for t in tables]),
                              Sitting.starts_at >= start, Sitting.ends_at <= now,
                              Sitting.status == SittingStatus.SCHEDULED)
        .order_by(Sitting.starts_at, Sitting.id))
    return [s for s in sittings
            if (to_local(s.starts_at).month, to_local(s.starts_at).day) not in HOLIDAYS]


class _Ledger:
    """The approved amount aimed at and written per year, and the bookings still to come."""

    def __init__(self, targets: dict[int, Decimal], steps: list[_Step]):
        self.targets = targets
        self.spent = dict.fromkeys(targets, Decimal("0"))
        self.left = dict.fromkeys(targets, 0)
        for step in steps:
            if step.settled:
                self.left[to_local(step.sitting.starts_at).year] += step.requests

    def take(self, year: int) -> Decimal:
        """The next planned booking's share of what is left to spend in `year`."""
        left = max(self.left[year], 1)
        self.left[year] -= 1
        return max(self.targets[year] - self.spent[year], Decimal("0")) / left

    def add(self, year: int, lines: list[HourLine]) -> None:
        """Lines submitted to be approved (their amount is fixed on submission)."""
        self.spent[year] += sum((line.amount for line in lines), Decimal("0"))


def _book_request(pool: _Pool, step: _Step, n: int, *, special: str | None, ledger: _Ledger,
                  now: datetime, lived: dict[int, LivedYear]) -> list[HourLine]:
    """One request of a past session, from submission to hours, as its people did it;
    returns the hour lines to approve with the session's others."""
    sitting = step.sitting
    year = to_local(sitting.starts_at).year
    # A planned request's share of what the year still has to spend (the special ones come
    # on top); taken even when it ends without hours, so the next ones make up for it.
    amount = (ledger.take(year) if step.settled and special is None
              else PLANNED_BOOKING_COST)
    times = _times(sitting, n, first_day=pool.first_day)
    if times is None:
        return []
    created, offered = times
    referral, requester, index = _submit(pool, sitting, at=created)
    lived[year].requests += 1
    ranking = rank_request(referral=referral).candidates
    if not ranking:
        referrals.cancel(actor=requester, referral=referral, reason=data.NO_CANDIDATE_REASON,
                         now=offered)
        _settle(referral, offered)
        return []
    first = ranking[0]
    decline = pool.count % 7 == 0 and len(ranking) > 1
    if special == "unfilled":
        expires = min(offered + timedelta(hours=24), sitting.starts_at - timedelta(hours=1))
        offer, = _offer(pool, referral, [first.expert_id], at=offered, expires_at=expires)
        bookings.expire_offer(offer_id=offer.id, now=expires)
        bookings.mark_unfilled(referral_id=referral.id, now=sitting.starts_at)
        _settle(referral, sitting.starts_at)
        return []
    if decline:
        offers = _offer(pool, referral, [first.expert_id, ranking[1].expert_id], at=offered)
        bookings.decline(actor=pool.user_of(first.expert_id), offer=offers[0],
                         reason=data.DECLINE_REASON, now=offered + timedelta(hours=2))
        first = ranking[1]
        booking = _accept(pool, offers[1], at=offered + timedelta(hours=4))
    else:
        offer, = _offer(pool, referral, [first.expert_id], at=offered)
        booking = _accept(pool, offer, at=offered + timedelta(hours=3))
    accepted = booking.created_at
    cancelled = None

    if special == "requester_cancel":
        at = max(accepted + timedelta(hours=1), sitting.starts_at - timedelta(days=2))
        referrals.cancel(actor=requester, referral=referral,
                         reason=data.REQUESTER_CANCEL_REASON, now=at)
        _settle(referral, at)
        return []
    if special == "illness":
        at = max(accepted + timedelta(hours=1), sitting.starts_at - timedelta(days=3))
        cancelled = bookings.cancel_booking(actor=pool.coordinator, booking=booking,
                                            reason=data.ILLNESS_REASON, now=at)
        asked = set(db.session.scalars(select(Offer.expert_id)
                                       .where(Offer.referral_id == referral.id)))
        ranking = [c for c in rank_request(referral=referral).candidates
                   if c.expert_id not in asked]
        if not ranking:  # nobody else could: the case table goes without
            referrals.cancel(actor=requester, referral=referral,
                             reason=data.NO_CANDIDATE_REASON, now=at + timedelta(hours=1))
            _settle(referral, at + timedelta(hours=1))
            return []
        first = ranking[0]
        offer, = _offer(pool, referral, [first.expert_id], at=at + timedelta(minutes=90))
        booking = _accept(pool, offer, at=at + timedelta(hours=2))

    lived[year].bookings += 1
    ended = sitting.ends_at
    if ended + timedelta(minutes=30) > now:
        return []  # the session has only just ended: the job completes it
    bookings.complete_booking(booking_id=booking.id, now=ended + timedelta(minutes=30))
    _settle(referral, ended + timedelta(minutes=30))
    pool.done[(requester.id, sitting.case_table_id)] = (referral, index)
    logged = ended + timedelta(hours=20, minutes=10 * n)
    if logged > now - timedelta(hours=1):
        return []  # not logged yet: the hours reminder will ask
    lines = _log_hours(pool, booking, amount=amount, distance_km=first.distance_km,
                       logged_at=logged)
    if cancelled is not None:
        # The ill expert's preparation before the cancellation is paid too (hours are
        # written once the session's time has come, like any others).
        lines.append(hours.add_line(
            actor=pool.user_of(cancelled.expert_id), booking=cancelled,
            category=str(HourCategory.PREPARATION), minutes=90, submit=True, now=logged))
        lines[-1].created_at = logged
    if step.settled:
        ledger.add(year, lines)
    return lines


# --- results: evaluations, process notes and one complaint ---------------------------------

EVALUATION_REMARKS = ("Heldere duiding; de casustafel kon er direct mee verder.",
                      None, "Goed voorbereid, nuttige vragen aan de tafel.", None)


def _results(*, now: datetime) -> tuple[int, int]:
    """Two of three sessions held are evaluated by their requester a day later, every
    fourth gets the expert's process note, and one recent session (ended 5 to 25 days ago)
    has a complaint that the expert has answered and the coordinator still has to decide."""
    held = db.session.scalars(
        select(Booking).where(Booking.status == BookingStatus.COMPLETED,
                              Booking.ends_at <= now - timedelta(days=1))
        .order_by(Booking.starts_at, Booking.id)).all()
    evaluated = 0
    for i, booking in enumerate(held):
        requester = booking.referral.created_by
        expert_user = booking.expert.user
        if i % 3 != 2:
            results.submit_evaluation(
                actor=requester, booking=booking, usefulness=(3, 4, 5, 4, 5)[i % 5],
                on_time=i % 11 != 0, prepared=i % 7 != 0,
                remark=EVALUATION_REMARKS[i % len(EVALUATION_REMARKS)],
                now=booking.ends_at + timedelta(days=1))
            evaluated += 1
        if i % 4 == 0:
            results.record_process_note(actor=expert_user, booking=booking,
                                        follow_up_advised=i % 8 == 0,
                                        written_advice_sent=i % 8 != 0,
                                        now=booking.ends_at + timedelta(hours=4))
    recent = [b for b in held if now - timedelta(days=25) <= b.ends_at <= now - timedelta(days=5)]
    if not recent:
        return evaluated, 0
    booking = recent[0]
    complaint = results.file_complaint(
        actor=booking.referral.created_by, booking=booking, kind=ComplaintKind.LATE,
        description=data.COMPLAINT_TEXT, now=booking.ends_at + timedelta(days=2))
    results.answer_complaint(actor=booking.expert.user, complaint=complaint,
                             answer=data.COMPLAINT_ANSWER, now=booking.ends_at + timedelta(days=3))
    return evaluated, 1


def _live(*, tables: list[CaseTable], experts: list[Expert],
          areas: dict[str, ExpertiseArea], now: datetime) -> tuple[list[LivedYear], int]:
    """Write the year up to `now` as the pool lived it (and the year before, early in a
    year), then today's open work; returns the years written and the sessions added."""
    today = to_local(now).date()
    year = today.year
    budget = Decimal(data.BUDGET_AMOUNT)
    targets = {year: budget * Decimal(data.SPENT_SHARE)}
    first_day = date(year, 1, 1)
    generated = 0
    settled = [s for s in _past_sittings(tables, first_day=first_day, now=now)
               if s.ends_at + APPROVED_AFTER <= now]
    if len(settled) < MIN_SETTLED_SESSIONS and not _history_written(year - 1):
        first_day = date(year - 1, 1, 1)
        targets = {year - 1: budget * Decimal(data.PREVIOUS_YEAR_SPENT_SHARE), **targets}
        _load_budget(year - 1)
        for expert, spec in zip(experts, data.EXPERTS, strict=True):
            _upsert(ExpertRate, {"expert_id": expert.id, "valid_from": first_day},
                    {"hourly_rate": Decimal(spec.hourly_rate)})
        for table in tables:
            generated += _generate_sessions(table, first_day=first_day, now=now)
    first_outbox = db.session.scalar(select(func.max(OutboxMessage.id))) or 0

    pool = _Pool(tables=tables, experts=experts, areas=areas, first_day=first_day)
    lived = {y: LivedYear(year=y) for y in targets}
    steps = _plan(_past_sittings(tables, first_day=first_day, now=now), now=now,
                  targets=targets)
    ledger = _Ledger(targets, steps)
    for step in steps:
        # The planned requests, then the session's special one (if any) on top of them.
        lines = []
        for n in range(step.requests + (step.special is not None)):
            lines += _book_request(pool, step, n,
                                   special=step.special if n == step.requests else None,
                                   ledger=ledger, now=now, lived=lived)
        if step.settled:
            _approve(pool, lines, at=step.sitting.ends_at + APPROVED_AFTER)
    _today(pool, tables, now=now, lived=lived[year])
    _rota_and_urgent(pool, tables, now=now, lived=lived[year])

    # Messages of the lived past went out at their time; the last hour's wait in the outbox.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id > first_outbox, OutboxMessage.status == MailStatus.QUEUED,
               OutboxMessage.created_at < now - timedelta(hours=1))
        .values(status=MailStatus.SENT, sent_at=OutboxMessage.created_at, attempts=1,
                next_attempt_at=None)
        .execution_options(synchronize_session=False))
    for lived_year in lived.values():
        figures = year_figures(year=lived_year.year, now=now).total
        lived_year.spent, lived_year.pending = figures.spent, figures.pending
        lived_year.spent_percent = (figures.spent * 100 / figures.budget).quantize(
            Decimal("0.1")) if figures.budget else Decimal("0")
    record(actor=None, action=HISTORY_ACTION, details={
        "year": year, "years": sorted(lived),
        "requests": sum(y.requests for y in lived.values()),
        "bookings": sum(y.bookings for y in lived.values()),
    })
    return [lived[y] for y in sorted(lived)], generated


def _today(pool: _Pool, tables: list[CaseTable], *, now: datetime, lived: LivedYear) -> None:
    """Today's open work: bookings on the next sessions of this year, offers waiting for an
    answer (one with a second expert queued), and a new request in the inbox."""
    year = to_local(now).year
    upcoming = [s for s in db.session.scalars(
        select(Sitting).where(Sitting.case_table_id.in_([t.id for t in tables]),
                              Sitting.starts_at > now + timedelta(hours=6),
                              Sitting.starts_at <= now + timedelta(days=UPCOMING_DAYS),
                              Sitting.status == SittingStatus.SCHEDULED)
        .order_by(Sitting.starts_at, Sitting.id))
        if (to_local(s.starts_at).month, to_local(s.starts_at).day) not in HOLIDAYS]
    this_year = [s for s in upcoming if to_local(s.starts_at).year == year]
    for sitting, count in zip(this_year[:2], (2, 1)[:len(this_year)], strict=True):
        for _ in range(count):
            referral, _requester, _index = _submit(pool, sitting,
                                                   at=now - timedelta(days=9))
            lived.requests += 1
            ranking = rank_request(referral=referral).candidates
            if ranking:
                offer, = _offer(pool, referral, [ranking[0].expert_id],
                                at=now - timedelta(days=8))
                _accept(pool, offer, at=now - timedelta(days=8) + timedelta(hours=3))
                _settle(referral, now - timedelta(days=8) + timedelta(hours=3))
                lived.bookings += 1
    for n, sitting in enumerate(upcoming[1:3]):
        # The first with a second expert in the queue: a request many experts could take.
        referral, _requester, _index = _submit(pool, sitting, at=now - timedelta(days=2),
                                               broad=n == 0)
        lived.requests += 1
        ranking = rank_request(referral=referral).candidates
        # An urgent one (its session less than URGENT_LEAD_HOURS away) was offered already.
        if ranking and referral.status == ReferralStatus.SUBMITTED:
            queued = [c.expert_id for c in ranking[:2 if n == 0 else 1]]
            _offer(pool, referral, queued, at=now - timedelta(hours=2))
            _settle(referral, now - timedelta(hours=2))
    if upcoming:
        _submit(pool, upcoming[min(3, len(upcoming) - 1)], at=now - timedelta(hours=20),
                urgency="high")
        lived.requests += 1


STANDING_DAYS = 90  # the demo's standing specialist: the table's sessions this far ahead


def _load_standing(table: CaseTable, *, now: datetime) -> str | None:
    """A standing specialist for `table` (the weekly one): the expert with the most bookings
    at the table this year, proposed three days ago for its sessions of the next
    STANDING_DAYS (within this year: next year's budget stays untouched) and accepted two
    days ago without the second date, which is listed as needing a substitute. Once: not
    when the table has a series running today, or no expert has been booked there."""
    today = to_local(now).date()
    if db.session.scalar(select(StandingSeries.id).where(
            StandingSeries.case_table_id == table.id, StandingSeries.ends_on >= today)):
        return None
    expert_id = db.session.scalar(
        select(CaseTableTally.expert_id).where(CaseTableTally.case_table_id == table.id,
                                               CaseTableTally.year == today.year)
        .order_by(CaseTableTally.bookings.desc(), CaseTableTally.expert_id).limit(1))
    if expert_id is None:
        return None
    coordinator = accounts.get_by_email(next(u.email for u in data.STAFF
                                             if "coordinator" in u.roles))
    expert = db.session.get(Expert, expert_id)
    ends_on = min(today + timedelta(days=STANDING_DAYS), date(today.year, 12, 31))
    try:
        series = standing.propose(actor=coordinator, case_table=table, expert_id=expert_id,
                                  starts_on=today + timedelta(days=1), ends_on=ends_on,
                                  estimated_minutes=150,
                                  now=now - timedelta(days=3))
        declined = [series.dates[1].sitting_id] if len(series.dates) > 2 else []
        accepted = now - timedelta(days=2)
        standing.accept(actor=expert.user, series=series, declined_session_ids=declined,
                        now=accepted)
    except DomainError:
        return None  # no session left this year, say
    # The lived times (the services stamp these with the real clock, see the module).
    for item in series.dates:
        if item.referral is None or item.referral.question is not None:
            continue
        item.referral.created_at = series.offered_at
        for booking in db.session.scalars(select(Booking).where(
                Booking.referral_id == item.referral_id)):
            booking.created_at = booking.updated_at = accepted
        for offer in db.session.scalars(select(Offer).where(
                Offer.referral_id == item.referral_id)):
            offer.created_at = series.offered_at
    db.session.flush()
    return f"{table.name}: {expert.user.name}, {len(series.dates)} dates"
# The urgent request of the demo: an extra session at this local time, one to two days
# ahead, filed this long before now, so that the expert on duty let it expire and the second
# ranked expert accepted it, all before now.
URGENT_SESSION_AT, URGENT_FILED_BEFORE = time(14, 0), timedelta(hours=5)
URGENT_SESSION_ORIGIN = "demo-extra-session"
# The rota: the pattern starts this many weeks before this week; this week + GAP_WEEK has
# nobody on duty (a holiday), this week + SWAP_WEEK is swapped to another expert.
ROTA_WEEKS_BACK, GAP_WEEK, SWAP_WEEK = 4, 3, 5


def _urgent_day(now: datetime) -> date | None:
    """The day (today or one of the next two) whose 14:00-16:00 most demo experts have in
    their weekly windows, at least two; None when none has."""
    today = to_local(now).date()
    best, most = None, 1
    for day in (today + timedelta(days=n) for n in range(3)):
        if local_to_utc(datetime.combine(day, URGENT_SESSION_AT)) < now + timedelta(hours=3):
            continue
        count = sum(any(weekday == day.weekday() and start <= "14:00" and end >= "16:00"
                        for weekday, start, end in spec.windows) for spec in data.EXPERTS)
        if count > most:
            best, most = day, count
    return best


def _rota_and_urgent(pool: _Pool, tables: list[CaseTable], *, now: datetime,
                     lived: LivedYear) -> None:
    """The on-call rota (every demo expert in turn, one week without anyone on duty, one
    swap) and an urgent request: filed for an extra session a day or two ahead, offered to
    the expert on duty, who did not answer in time, passed on by the escalation to the
    second ranked expert, who accepted."""
    experts = [e.id for e in pool.experts.values()]
    filed = now - URGENT_FILED_BEFORE
    filing_week = oncall.week_of(to_local(filed).date())
    day = _urgent_day(now)
    sitting, ranked = None, []
    if day is not None:
        starts = local_to_utc(datetime.combine(day, URGENT_SESSION_AT))
        sitting = Sitting(case_table_id=tables[0].id, starts_at=starts,
                          ends_at=starts + timedelta(hours=2), status=SittingStatus.SCHEDULED,
                          origin_uid=URGENT_SESSION_ORIGIN, origin_start=starts,
                          note="Extra bijeenkomst", created_at=filed, updated_at=filed)
        db.session.add(sitting)
        db.session.flush()
        # Who would be asked: the ranking of the request to come, as an unsaved probe.
        chosen = pool.next_request(sitting, broad=True)
        requester, case = chosen[0], data.CASES[chosen[1]]
        probe = Referral(
            case_table=sitting.case_table, case_table_id=sitting.case_table_id,
            municipality=requester.municipality, municipality_id=requester.municipality_id,
            sitting=sitting, sitting_id=sitting.id, mode=case.mode, language=case.language,
            estimated_minutes=int(Decimal(str(case.estimated_hours)) * 60),
            previous_id=chosen[2].id if chosen[2] else None,
            expertise=[ReferralExpertise(expertise_area_id=pool.areas[code].id,
                                         min_level=level)
                       for code, level in case.areas.items()])
        ranked = [c.expert_id for c in rank_request(referral=probe, now=filed).candidates]
    # The expert ranked first is on duty in the week of filing.
    if len(ranked) >= 2:
        experts.remove(ranked[0])
        experts.insert(ROTA_WEEKS_BACK % len(experts), ranked[0])
    first_week = filing_week - timedelta(weeks=ROTA_WEEKS_BACK)
    set_at = now - timedelta(days=30)
    oncall.set_pattern(actor=pool.coordinator, starts_on=first_week, expert_ids=experts,
                       now=set_at)
    this_week = oncall.week_of(to_local(now).date())
    oncall.set_override(actor=pool.coordinator, week_start=this_week + timedelta(weeks=GAP_WEEK),
                        expert_id=None, kind="holiday", now=set_at)
    swap_to = experts[(ROTA_WEEKS_BACK + SWAP_WEEK + 1) % len(experts)]
    oncall.set_override(actor=pool.coordinator, week_start=this_week + timedelta(weeks=SWAP_WEEK),
                        expert_id=swap_to, kind="swap", now=set_at)
    if len(ranked) < 2:
        return
    referral, _requester, _index = _submit(pool, sitting, at=filed, chosen=chosen)
    lived.requests += 1
    first = db.session.scalar(select(Offer).where(Offer.referral_id == referral.id))
    if first is None:
        return
    first.created_at = filed
    escalated_at = first.expires_at + timedelta(minutes=1)
    bookings.expire_offer(offer_id=first.id, now=escalated_at)
    second = db.session.scalar(select(Offer).where(Offer.referral_id == referral.id,
                                                   Offer.id != first.id))
    if second is None:
        return
    second.created_at = escalated_at
    answered = escalated_at + timedelta(minutes=20)
    _accept(pool, second, at=answered)
    _settle(referral, answered)
    lived.bookings += 1


def format_summary(summary: DemoSummary) -> str:
    """The overview and the demo logins as plain text for the terminal."""
    lines = [
        "Demo data loaded:",
        f"  safety regions      {summary.regions}",
        f"  municipalities      {summary.municipalities}",
        f"  expertise areas     {summary.expertise_areas}",
        f"  case tables         {summary.case_tables}",
    ]
    lines += [f"    {name}: {count} sessions from today on"
              for name, count in summary.upcoming_sessions.items()]
    lines += [
        f"  experts             {summary.experts}",
        f"  users created now   {summary.users_created}",
        f"  {'budget ' + str(summary.budget_year):<20}EUR {summary.budget_amount:,.2f}",
        f"  {'budget ' + str(summary.draft_budget_year) + ' (draft)':<20}"
        f"EUR {summary.budget_amount:,.2f}, nothing booked on it yet",
    ]
    if summary.standing:
        lines.append(f"  standing specialist {summary.standing}")
    lines += [
        f"  {'lived year ' + str(lived.year):<20}{lived.requests} requests, "
        f"{lived.bookings} bookings, EUR {lived.spent:,.2f} spent ({lived.spent_percent} %), "
        f"EUR {lived.pending:,.2f} waiting for approval"
        for lived in summary.lived
    ]
    if summary.lived:
        lines.append(f"  results             {summary.evaluations} evaluations, "
                     f"{summary.complaints} complaint waiting for a decision")
    lines += [
        "",
        "Demo logins (every account has the same password):",
    ]
    rows = [("E-mail", "Roles", "Password")] + [
        (login.email, ", ".join(login.roles), data.DEMO_PASSWORD) for login in summary.logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for i, row in enumerate(rows):
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=True)]
        lines.append("  " + "  ".join(cells).rstrip())
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    lines += ["", f"Open {data.DEMO_URL} and log in."]
    return "\n".join(lines)


def _parse_now(_ctx, _param, value: str | None) -> datetime | None:
    """`--now`: an ISO date and time, local (Europe/Amsterdam) unless it names an offset;
    a date alone means noon."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter("use e.g. 2026-09-15 or '2026-09-15 12:00'") from None
    if len(value.strip()) == 10:
        at = at.replace(hour=12)
    return local_to_utc(at)


@click.command("demo")
@click.option("--now", "now", callback=_parse_now, metavar="DATETIME",
              help="Load as if it were this time, e.g. 2026-09-15 or '2026-09-15 12:00' "
                   "(Europe/Amsterdam; a date alone means noon). Default: the clock.")
@with_appcontext
def demo_command(now: datetime | None):
    """Load the demo data (idempotent); the first run in a year also writes the year up
    to that day as the pool lived it."""
    try:
        with unit_of_work():
            summary = load_demo(now=now)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(format_summary(summary))

