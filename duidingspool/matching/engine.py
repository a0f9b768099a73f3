"""The matcher: pure functions from loaded facts to a ranked list with reasons.

Nothing here touches the database or Flask, so the rules are easy to test and to time.
`queries.load_facts` gathers the facts for one request in a fixed number of statements.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from duidingspool.timeutil import LOCAL_TZ

# Weights of the soft scores; they add up to 100 points.
WEIGHTS = {"expertise": 30, "continuity": 25, "fairness": 20, "travel": 15, "cost": 10}

# Hard rules in the order they are checked; an excluded expert carries the first that failed.
RULES = (
    "inactive",
    "vetting_lapsed",
    "conflict_of_interest",
    "expertise_missing",
    "language_missing",
    "too_far",
    "not_available",
    "absent",
    "busy_with_booking",
    "busy_elsewhere",
    "over_monthly_hours",
)


@dataclass(frozen=True, slots=True)
class Interval:
    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: Interval) -> bool:
        """Half-open overlap: back-to-back intervals do not overlap."""
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    def widened(self, minutes: int) -> Interval:
        pad = timedelta(minutes=minutes)
        return Interval(self.starts_at - pad, self.ends_at + pad)


@dataclass(frozen=True)
class RequestFacts:
    referral_id: int
    municipality_id: int
    case_table_id: int
    required_levels: dict[int, int]  # expertise area id -> minimum level
    language: str | None
    in_person: bool
    estimated_minutes: int
    # A fixed session, or else a date window (inclusive dates, local time).
    session: Interval | None
    window: tuple[date, date] | None
    place: tuple[float, float] | None  # latitude, longitude of the meeting
    previous_expert_id: int | None = None
    # The case table's standing specialist on the request's date (accepted series), if any.
    standing_expert_id: int | None = None


class _NoWindows(Mapping):
    """An empty, immutable (and so shareable) mapping of weekly windows."""

    def __getitem__(self, key):
        raise KeyError(key)

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0


NO_WINDOWS = _NoWindows()


@dataclass(slots=True)
class ExpertFacts:
    expert_id: int
    name: str
    is_active: bool
    vetting_valid_until: date | None  # the earlier of the VOG and confidentiality expiries
    levels: dict[int, int | None]  # expertise area id -> level (None or absent: none)
    languages: frozenset[str]
    home: tuple[float, float] | None
    max_travel_km: int
    max_minutes_per_month: int
    hourly_rate: Decimal | None
    conflicts: frozenset[int] = frozenset()
    # Weekly windows per weekday (0 = Monday): (start minute, end minute) in local time.
    # Immutable empty defaults: a ranking builds these facts for every expert, and most
    # never get availability loaded (they fail a profile rule first).
    windows: Mapping[int, Sequence[tuple[int, int]]] = NO_WINDOWS
    absences: Sequence[Interval] = ()
    bookings: Sequence[Interval] = ()
    busy: Sequence[Interval] = ()
    booked_minutes_month: int = 0
    booked_minutes_year: int = 0
    bookings_with_case_table: int = 0  # in the request's calendar year
    distance_km: float | None = None  # to the meeting place, set by the hard rules


@dataclass(frozen=True)
class Candidate:
    expert_id: int
    name: str
    score: float
    parts: dict[str, float]  # points per soft score
    distance_km: float | None
    hourly_rate: Decimal | None
    estimated_cost: Decimal | None
    # The estimated cost as a percentage of the remaining budget (None without either).
    budget_share: float | None = None


class Exclusion(NamedTuple):  # a named tuple: hundreds are made per ranking
    expert_id: int
    name: str
    rule: str
    detail: dict


@dataclass(frozen=True)
class Ranking:
    candidates: list[Candidate]
    excluded: list[Exclusion]
    # The budget left for the request's year (and region) that the cost score was
    # weighed against; None when the year has no budget.
    remaining_budget: Decimal | None = None


def distance_km(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float | None:
    """Great-circle distance between two (lat, lon) points, in kilometres."""
    if a is None or b is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def reference_date(request: RequestFacts) -> date:
    """The local date the request is about: the session's, else the window's first day."""
    if request.session is not None:
        return request.session.starts_at.astimezone(LOCAL_TZ).date()
    return request.window[0]


def local_slot(session: Interval) -> tuple[int, int, int] | None:
    """(weekday, start minute, end minute) of a session in local time; None past midnight."""
    start = session.starts_at.astimezone(LOCAL_TZ)
    end = session.ends_at.astimezone(LOCAL_TZ)
    if start.date() != end.date() and not (end.hour == 0 and end.minute == 0):
        return None  # sessions spanning midnight are not matched to weekly windows
    return start.weekday(), start.hour * 60 + start.minute, end.hour * 60 + end.minute or 1440


def _inside_weekly_windows(expert: ExpertFacts, slot: tuple[int, int, int] | None) -> bool:
    if slot is None:
        return False
    weekday, start_minute, end_minute = slot
    return any(lo <= start_minute and end_minute <= hi
               for lo, hi in expert.windows.get(weekday, ()))


def _available_in_window(expert: ExpertFacts, window: tuple[date, date]) -> bool:
    """Some day of the date window has a weekly window not covered by an absence."""
    day = window[0]
    while day <= window[1]:
        for lo, hi in expert.windows.get(day.weekday(), ()):
            slot = Interval(
                datetime.combine(day, datetime.min.time(), LOCAL_TZ) + timedelta(minutes=lo),
                datetime.combine(day, datetime.min.time(), LOCAL_TZ) + timedelta(minutes=hi),
            )
            if not any(a.starts_at <= slot.starts_at and slot.ends_at <= a.ends_at
                       for a in expert.absences):
                return True
        day += timedelta(days=1)
    return False


@dataclass(frozen=True)
class _Checks:
    """What the hard rules need of the request, worked out once per ranking."""

    last_day: date
    slot: tuple[int, int, int] | None
    padded: Interval | None
    buffer_minutes: int
    required_levels: tuple[tuple[int, int], ...]  # (area id, minimum level), by area

    @classmethod
    def of(cls, request: RequestFacts, travel_buffer_minutes: int) -> _Checks:
        session = request.session
        return cls(
            last_day=request.window[1] if request.window else reference_date(request),
            slot=local_slot(session) if session else None,
            padded=session.widened(travel_buffer_minutes) if session else None,
            buffer_minutes=travel_buffer_minutes,
            required_levels=tuple(sorted(request.required_levels.items())),
        )


# The rules in three stages, each needing more facts than the one before: the profile
# (loaded for every expert), availability (windows, absences, bookings, busy times) and
# workload (booked hours), each loaded only for the experts who passed the stages before.
PROFILE, AVAILABILITY, WORKLOAD = "profile", "availability", "workload"
STAGES = (PROFILE, AVAILABILITY, WORKLOAD)
_RULE_ORDER = {rule: position for position, rule in enumerate(RULES)}


def _profile_rule(request: RequestFacts, expert: ExpertFacts,
                  checks: _Checks) -> tuple[str, dict] | None:
    if not expert.is_active:
        return "inactive", {}
    if expert.vetting_valid_until is None or expert.vetting_valid_until < checks.last_day:
        return "vetting_lapsed", {"valid_until": expert.vetting_valid_until}
    if request.municipality_id in expert.conflicts:
        return "conflict_of_interest", {}
    for area_id, min_level in checks.required_levels:
        level = expert.levels.get(area_id) or 0
        if level < min_level:
            return "expertise_missing", {"area_id": area_id, "min_level": min_level,
                                         "level": level}
    if request.language and request.language not in expert.languages:
        return "language_missing", {"language": request.language}
    expert.distance_km = distance_km(expert.home, request.place) if request.in_person else None
    distance = expert.distance_km
    if distance is not None and distance > expert.max_travel_km:
        return "too_far", {"distance_km": round(distance, 1), "max_km": expert.max_travel_km}
    return None


def _availability_rule(request: RequestFacts, expert: ExpertFacts,
                       checks: _Checks) -> tuple[str, dict] | None:
    if request.session is None:
        return None if _available_in_window(expert, request.window) else ("not_available", {})
    if not _inside_weekly_windows(expert, checks.slot):
        return "not_available", {}
    if any(a.overlaps(request.session) for a in expert.absences):
        return "absent", {}
    if any(b.overlaps(checks.padded) for b in expert.bookings):
        return "busy_with_booking", {"buffer_minutes": checks.buffer_minutes}
    if any(b.overlaps(request.session) for b in expert.busy):
        return "busy_elsewhere", {}
    return None


def _workload_rule(request: RequestFacts, expert: ExpertFacts,
                   checks: _Checks) -> tuple[str, dict] | None:
    if expert.booked_minutes_month + request.estimated_minutes > expert.max_minutes_per_month:
        return "over_monthly_hours", {"booked_minutes": expert.booked_minutes_month,
                                      "max_minutes": expert.max_minutes_per_month}
    return None


_STAGE_RULES = {PROFILE: _profile_rule, AVAILABILITY: _availability_rule,
                WORKLOAD: _workload_rule}


def first_failed_rule(request: RequestFacts, expert: ExpertFacts, *,
                      travel_buffer_minutes: int = 60, checks: _Checks | None = None,
                      stages: tuple[str, ...] = STAGES) -> tuple[str, dict] | None:
    """The first hard rule of `stages` that excludes `expert`, with details; None if none.

    A stage's rules assume the expert passed the stages before it.
    """
    checks = checks or _Checks.of(request, travel_buffer_minutes)
    for stage in stages:
        failed = _STAGE_RULES[stage](request, expert, checks)
        if failed is not None:
            return failed
    return None


def sort_exclusions(excluded: list[Exclusion]) -> list[Exclusion]:
    """Excluded experts by the rule that excluded them (in rule order), then by id."""
    return sorted(excluded, key=lambda e: (_RULE_ORDER[e.rule], e.expert_id))


def split(request: RequestFacts, experts: list[ExpertFacts], *,
          travel_buffer_minutes: int = 60,
          stages: tuple[str, ...] = STAGES) -> tuple[list[ExpertFacts], list[Exclusion]]:
    """Separate eligible experts from excluded ones (each with the first failed rule).

    With `stages`, only those stages' rules are checked (the facts of later stages may not
    be loaded yet; the experts passed the earlier stages).
    """
    checks = _Checks.of(request, travel_buffer_minutes)
    eligible: list[ExpertFacts] = []
    excluded: list[Exclusion] = []
    for expert in experts:
        failed = first_failed_rule(request, expert, checks=checks, stages=stages)
        if failed is None:
            eligible.append(expert)
        else:
            excluded.append(Exclusion(expert.expert_id, expert.name, failed[0], failed[1]))
    return eligible, sort_exclusions(excluded)


def score(request: RequestFacts, eligible: list[ExpertFacts], *,
          remaining_budget: Decimal | None = None) -> list[Candidate]:
    """Score eligible experts; best first, ties broken by expert id."""
    hours = Decimal(request.estimated_minutes) / 60
    max_rate = max((e.hourly_rate for e in eligible if e.hourly_rate is not None),
                   default=None)
    max_year = max((e.booked_minutes_year for e in eligible), default=0)
    candidates = []
    for expert in eligible:
        distance = expert.distance_km
        cost = (expert.hourly_rate * hours).quantize(Decimal("0.01")) \
            if expert.hourly_rate is not None else None
        parts = _soft_scores(request, expert, distance=distance, max_rate=max_rate,
                             max_year=max_year, cost=cost, remaining_budget=remaining_budget)
        candidates.append(Candidate(
            expert_id=expert.expert_id, name=expert.name,
            score=round(sum(parts.values()), 2), parts=parts,
            distance_km=round(distance, 1) if distance is not None else None,
            hourly_rate=expert.hourly_rate, estimated_cost=cost,
            budget_share=_share(cost, remaining_budget),
        ))
    candidates.sort(key=lambda c: (-c.score, c.expert_id))
    return candidates


def rank(request: RequestFacts, experts: list[ExpertFacts], *, travel_buffer_minutes: int = 60,
         remaining_budget: Decimal | None = None) -> Ranking:
    """Rank every expert for `request`: eligible ones scored, the others with their rule."""
    eligible, excluded = split(request, experts, travel_buffer_minutes=travel_buffer_minutes)
    return Ranking(candidates=score(request, eligible, remaining_budget=remaining_budget),
                   excluded=excluded, remaining_budget=remaining_budget)


def _soft_scores(request: RequestFacts, expert: ExpertFacts, *, distance, max_rate, max_year,
                 cost, remaining_budget) -> dict[str, float]:
    if request.required_levels:
        expertise = sum(expert.levels[a] for a in request.required_levels) / (
            3 * len(request.required_levels))
    else:
        expertise = 0.0
    if request.previous_expert_id is not None and request.previous_expert_id == expert.expert_id:
        continuity = 1.0
    elif (request.standing_expert_id is not None
          and request.standing_expert_id == expert.expert_id):
        continuity = 1.0
    elif expert.bookings_with_case_table:
        continuity = 0.5
    else:
        continuity = 0.0
    month_share = min(1.0, expert.booked_minutes_month / max(1, expert.max_minutes_per_month))
    year_share = expert.booked_minutes_year / max_year if max_year else 0.0
    fairness = 1.0 - (month_share + year_share) / 2
    travel = 1.0 if distance is None else max(0.0, 1.0 - distance / max(1, expert.max_travel_km))
    cheapness = _cost_score(expert.hourly_rate, max_rate=max_rate, cost=cost,
                            remaining_budget=remaining_budget)
    raw = {"expertise": expertise, "continuity": continuity, "fairness": fairness,
           "travel": travel, "cost": cheapness}
    return {name: round(WEIGHTS[name] * value, 2) for name, value in raw.items()}


def _share(cost: Decimal | None, remaining_budget: Decimal | None) -> float | None:
    if cost is None or remaining_budget is None or remaining_budget <= 0:
        return None
    return round(float(cost * 100 / remaining_budget), 1)


def _cost_score(rate: Decimal | None, *, max_rate: Decimal | None, cost: Decimal | None,
                remaining_budget: Decimal | None) -> float:
    """Cost against the remaining budget, 0..1 (spec section 4).

    Half of it is the rate relative to the dearest candidate, half how little of the
    remaining budget this booking would take: with plenty left the cost barely separates
    the candidates, with little left the cheaper ones gain. A booking that would take more
    than is left scores 0. Without a budget for the year only the relative rate counts.
    """
    if rate is None or not max_rate or cost is None:
        return 0.0
    relative = 1.0 - float(rate / max_rate)
    if remaining_budget is None:
        return relative
    if remaining_budget <= 0 or cost > remaining_budget:
        return 0.0
    return (relative + 1.0 - float(cost / remaining_budget)) / 2
