"""Ranking a request's candidates and checking one expert's eligibility."""

from __future__ import annotations

from flask import current_app

from duidingspool.matching.engine import Exclusion, Interval, Ranking, rank
from duidingspool.matching.queries import load_facts
from duidingspool.referrals.models import Referral


def _buffer() -> int:
    return int(current_app.config["MATCHING_TRAVEL_BUFFER_MINUTES"])


def rank_request(*, referral: Referral, at: Interval | None = None) -> Ranking:
    """Every expert for `referral`: candidates ranked with score parts, the rest with a rule."""
    request, experts = load_facts(referral, travel_buffer_minutes=_buffer(), at=at)
    return rank(request, experts, travel_buffer_minutes=_buffer())


def exclusion_of(*, referral: Referral, expert_id: int, at: Interval | None = None,
                 ignore_own_booking: bool = False) -> Exclusion | None:
    """The rule that now keeps `expert_id` from `referral`, or None if they are eligible."""
    request, experts = load_facts(
        referral, travel_buffer_minutes=_buffer(), at=at,
        exclude_booking_of=referral.id if ignore_own_booking else None,
    )
    ranking = rank(request, [e for e in experts if e.expert_id == expert_id],
                   travel_buffer_minutes=_buffer())
    if ranking.excluded:
        return ranking.excluded[0]
    if not ranking.candidates:
        return Exclusion(expert_id, "", "inactive", {})
    return None
