"""Loading the matcher's facts costs the same number of SQL statements for 10 or 200 experts."""

from datetime import timedelta

from sqlalchemy import event

from duidingspool.experts.models import Absence, BusyInterval, ExpertConflict
from duidingspool.extensions import db
from duidingspool.bookings.candidates import rank_request
from tests.bookings.helpers import World, direct_booking


def _statements_for_ranking(referral) -> int:
    count = 0

    def count_statement(*args, **kwargs):
        nonlocal count
        count += 1

    db.session.expire_all()
    referral = db.session.get(type(referral), referral.id)
    engine = db.engine
    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        ranking = rank_request(referral=referral)
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    assert ranking.candidates or ranking.excluded
    return count


def _world_with_experts(n: int):
    w = World()
    previous = w.request()
    referral = w.request(previous=previous,
                         starts_at=previous.sitting.starts_at + timedelta(days=1))
    experts = [w.expert() for _ in range(n)]
    # Give them bookings, absences, busy times and conflicts so every query has rows.
    for i, expert in enumerate(experts[: n // 2]):
        other = w.request(starts_at=referral.sitting.starts_at + timedelta(hours=3, minutes=i))
        direct_booking(other, expert, created_by=w.coordinator)
        db.session.add(Absence(expert_id=expert.id, starts_at=referral.sitting.starts_at,
                               ends_at=referral.sitting.ends_at))
        db.session.add(BusyInterval(expert_id=expert.id, starts_at=referral.sitting.starts_at,
                                    ends_at=referral.sitting.ends_at))
        db.session.add(ExpertConflict(expert_id=expert.id, municipality_id=w.town.id))
    db.session.commit()
    return referral


def test_ranking_statement_count_does_not_grow_with_experts(app):
    few = _statements_for_ranking(_world_with_experts(10))
    many = _statements_for_ranking(_world_with_experts(200))

    assert few == many
    assert few <= 20
