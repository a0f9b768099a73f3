"""Ranking a request's candidates and checking one expert's eligibility."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from duidingspool import signals

from duidingspool.matching.engine import (
    AVAILABILITY,
    PROFILE,
    WORKLOAD,
    Exclusion,
    ExpertFacts,
    Interval,
    Ranking,
    RequestFacts,
    reference_date,
    score,
    sort_exclusions,
    split,
)
from duidingspool.bookings.facts import load_availability, load_facts, load_workload
from duidingspool.referrals.models import Referral


def _buffer() -> int:
    return int(current_app.config["MATCHING_TRAVEL_BUFFER_MINUTES"])


def _apply_rules(request: RequestFacts, experts: list[ExpertFacts], *,
                 exclude_booking_of: int | None = None):
    """All hard rules, in stages: availability is read only for experts whose profile
    passed, and workload (monthly hours) only for those who are also available."""
    eligible, excluded = split(request, experts, travel_buffer_minutes=_buffer(),
                               stages=(PROFILE,))
    load_availability(request, eligible, travel_buffer_minutes=_buffer(),
                      exclude_booking_of=exclude_booking_of)
    eligible, unavailable = split(request, eligible, travel_buffer_minutes=_buffer(),
                                  stages=(AVAILABILITY,))
    load_workload(request, eligible)
    eligible, over_hours = split(request, eligible, travel_buffer_minutes=_buffer(),
                                 stages=(WORKLOAD,))
    return eligible, sort_exclusions(excluded + unavailable + over_hours)


def rank_request(*, referral: Referral, at: Interval | None = None,
                 now: datetime | None = None) -> Ranking:
    """Every expert for `referral`: candidates ranked with score parts (the cost weighed
    against the budget left for the request's year and region), the rest with a rule."""
    request, experts = load_facts(referral, at=at)
    eligible, excluded = _apply_rules(request, experts)
    # Budget sits above bookings, so it is asked, not imported (duidingspool.signals).
    remaining = signals.ask(signals.remaining_budget_wanted, referral,
                            on=reference_date(request), now=now)
    return Ranking(candidates=score(request, eligible, remaining_budget=remaining),
                   excluded=excluded, remaining_budget=remaining)


def exclusion_of(*, referral: Referral, expert_id: int, at: Interval | None = None,
                 ignore_own_booking: bool = False) -> Exclusion | None:
    """The rule that now keeps `expert_id` from `referral`, or None if they are eligible."""
    request, experts = load_facts(referral, at=at)
    mine = [e for e in experts if e.expert_id == expert_id]
    if not mine:
        return Exclusion(expert_id, "", "inactive", {})
    _eligible, excluded = _apply_rules(
        request, mine, exclude_booking_of=referral.id if ignore_own_booking else None)
    return excluded[0] if excluded else None
