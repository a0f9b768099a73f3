"""Urgent requests: the answer deadline by lead time, the expert on duty first, escalation
down the ranking by the job, availability respected, the coordinators alerted after the
last; and a race of an accept with the escalation."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from duidingspool.accounts.models import User
from duidingspool.bookings import services
from duidingspool.bookings.models import Booking, Offer, OfferStatus
from duidingspool.db import utcnow
from duidingspool.errors import Conflict
from duidingspool.experts.models import AvailabilityWindow
from duidingspool.extensions import db, unit_of_work
from duidingspool.jobs.registry import JOBS
from duidingspool.jobs.runner import run_job
from duidingspool.mail.models import OutboxMessage
from duidingspool.oncall import services as oncall
from duidingspool.referrals import services as referrals
from duidingspool.referrals.models import Referral, ReferralStatus
from duidingspool.timeutil import LOCAL_TZ
from tests import factories as f
from tests.bookings.helpers import World


def _now():
    """Tomorrow 08:00 local: the sessions filed for (5 to 30 hours ahead, two hours long)
    never cross a local midnight, where the experts' all-day windows would not cover them."""
    tomorrow = utcnow().astimezone(LOCAL_TZ).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(8, 0), LOCAL_TZ).astimezone(timezone.utc)


def _file(w: World, *, lead_hours: float, now):
    """File a request through the service for a session `lead_hours` ahead."""
    starts_at = now + timedelta(hours=lead_hours)
    session = f.sitting(w.table, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
    return referrals.create(actor=w.requester, now=now, data={
        "case_table_id": w.table.id, "session_id": session.id,
        "areas": [{"area_id": w.area.id, "min_level": 1}], "mode": "online",
        "estimated_hours": 2, "urgency": "urgent", "case_code": "CT-7",
        "question": "Duiding gevraagd van een snel escalerende online groep."})


def _offers(referral) -> list[tuple[int, str]]:
    db.session.expire_all()
    return [(o.expert_id, o.status) for o in db.session.scalars(
        select(Offer).where(Offer.referral_id == referral.id).order_by(Offer.queue_position))]


def _rota(w: World, expert_ids, now):
    oncall.set_pattern(actor=w.coordinator, starts_on=now.date() - timedelta(days=7),
                       expert_ids=expert_ids, now=now)


@pytest.mark.parametrize(("lead", "hours"), [(10, 1), (23.9, 1), (30, 2), (60, 4), (71.9, 4),
                                             (72, None), (200, None)])
def test_answer_hours_follow_the_lead_time(app, lead, hours):
    now = _now()
    assert referrals.urgent_answer_hours(starts_at=now + timedelta(hours=lead),
                                         now=now) == hours


def test_urgent_request_goes_to_the_expert_on_duty_first(app):
    w = World()
    now = _now()
    _first, duty = w.expert(), w.expert()  # the first would rank first (lower id)
    _rota(w, [duty.id], now)

    referral = _file(w, lead_hours=30, now=now)

    assert referral.is_urgent and referral.urgent_answer_hours == 2
    assert referral.answer_due_at == now + timedelta(hours=2)
    assert referral.status == ReferralStatus.OFFERED
    assert _offers(referral) == [(duty.id, OfferStatus.PENDING)]
    offer = db.session.scalar(select(Offer).where(Offer.referral_id == referral.id))
    assert offer.expires_at == now + timedelta(hours=2)
    assert "offer.urgent" in f.audit_actions()
    assert db.session.scalar(select(OutboxMessage.dedupe_key)
                             .where(OutboxMessage.dedupe_key == f"offer:{offer.id}"))


def test_request_with_time_to_spare_is_not_urgent_and_waits_for_the_coordinator(app):
    w = World()
    now = _now()
    duty = w.expert()
    _rota(w, [duty.id], now)

    referral = _file(w, lead_hours=100, now=now)

    assert not referral.is_urgent and referral.answer_due_at is None
    assert referral.status == ReferralStatus.SUBMITTED and _offers(referral) == []


def test_duty_expert_without_the_expertise_is_skipped_for_the_best_ranked(app):
    w = World()
    now = _now()
    duty = f.expert()  # no expertise area, no availability
    candidate = w.expert()
    _rota(w, [duty.id], now)

    referral = _file(w, lead_hours=10, now=now)

    assert _offers(referral) == [(candidate.id, OfferStatus.PENDING)]
    assert "offer.duty_skipped" in f.audit_actions()


def test_escalation_passes_down_the_ranking_and_alerts_the_coordinator_after_the_last(app):
    w = World()
    now = _now()
    duty, second = w.expert(), w.expert()
    # Has the expertise but is not available on the session's day: never offered.
    unavailable = w.expert()
    weekday = (now + timedelta(hours=30)).astimezone(LOCAL_TZ).weekday()
    db.session.execute(AvailabilityWindow.__table__.delete().where(
        AvailabilityWindow.expert_id == unavailable.id,
        AvailabilityWindow.weekday == weekday))
    _rota(w, [duty.id], now)
    referral = _file(w, lead_hours=30, now=now)
    db.session.commit()

    late = now + timedelta(hours=2, minutes=1)
    first_run = run_job(JOBS["urgent_escalation"], slot="1", now=late)
    again = run_job(JOBS["urgent_escalation"], slot="2", now=late)

    assert (first_run.processed, again.processed) == (1, 0)
    assert _offers(referral) == [(duty.id, OfferStatus.EXPIRED),
                                 (second.id, OfferStatus.PENDING)]
    later = late + timedelta(hours=2, minutes=1)
    run_job(JOBS["urgent_escalation"], slot="3", now=later)

    assert _offers(referral) == [(duty.id, OfferStatus.EXPIRED),
                                 (second.id, OfferStatus.EXPIRED)]
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == ReferralStatus.SUBMITTED
    alerts = list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedupe_key.startswith(f"urgent-alert:{referral.id}:exhausted:"))))
    assert [m.to_address for m in alerts] == [w.coordinator.email]
    assert "question" not in alerts[0].body_text.lower()
    actions = f.audit_actions()
    assert actions.count("offer.expire") == 2 and actions.count("offer.urgent") == 2
    assert actions[-1] == "referral.urgent_alert"


def test_decline_of_an_urgent_offer_escalates_at_once(app):
    w = World()
    now = _now()
    duty, second = w.expert(), w.expert()
    _rota(w, [duty.id], now)
    referral = _file(w, lead_hours=30, now=now)
    offer = db.session.scalar(select(Offer).where(Offer.referral_id == referral.id))

    services.decline(actor=duty.user, offer=offer, now=now + timedelta(minutes=5))

    assert _offers(referral) == [(duty.id, OfferStatus.DECLINED),
                                 (second.id, OfferStatus.PENDING)]


def test_no_candidate_alerts_the_coordinator_when_filed(app):
    w = World()
    now = _now()

    referral = _file(w, lead_hours=5, now=now)

    assert _offers(referral) == [] and referral.status == ReferralStatus.SUBMITTED
    assert db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key.startswith(f"urgent-alert:{referral.id}:no_candidate:")))


def test_the_normal_expiry_job_escalates_an_urgent_offer_only_once(app):
    w = World()
    now = _now()
    duty, _second, _third = w.expert(), w.expert(), w.expert()
    _rota(w, [duty.id], now)
    referral = _file(w, lead_hours=30, now=now)
    db.session.commit()
    late = now + timedelta(hours=2, minutes=1)

    run_job(JOBS["urgent_escalation"], slot="1", now=late)
    run_job(JOBS["expire_offers"], slot="1", now=late)

    assert [status for _e, status in _offers(referral)] == [OfferStatus.EXPIRED,
                                                            OfferStatus.PENDING]


def _race(app, *, offer_id: int, user_id: int, deadline) -> dict:
    """The expert accepts (just before the deadline, by their clock) while the job expires
    the offer (just after it, by its clock), released together; what each answered."""
    barrier = threading.Barrier(2)
    results = {}

    def accept():
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                with unit_of_work():
                    services.accept(actor=db.session.get(User, user_id),
                                    offer=db.session.get(Offer, offer_id),
                                    now=deadline - timedelta(seconds=1))
                results["accept"] = "booked"
            except Conflict:
                results["accept"] = "refused"

    def escalate():
        with app.app_context():
            barrier.wait(timeout=30)
            with unit_of_work():
                results["expire"] = services.expire_offer(
                    offer_id=offer_id, now=deadline + timedelta(seconds=1))

    threads = [threading.Thread(target=accept), threading.Thread(target=escalate)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgresql_only
def test_accept_racing_the_escalation_has_one_outcome(app):
    """The expert accepts just as the job expires the offer: either the booking stands and
    nothing escalates, or the offer expired, the accept is refused and the next expert is
    asked; never both, never neither."""
    for _round in range(6):
        w = World()
        now = _now()
        duty, _second = w.expert(), w.expert()
        _rota(w, [duty.id], now)
        referral = _file(w, lead_hours=30, now=now)
        offer = db.session.scalar(select(Offer).where(Offer.referral_id == referral.id))
        db.session.commit()
        referral_id = referral.id

        results = _race(app, offer_id=offer.id, user_id=duty.user_id,
                        deadline=offer.expires_at)

        db.session.expire_all()
        bookings = db.session.scalars(select(Booking).where(Booking.referral_id == referral_id)
                                      ).all()
        statuses = [status for _e, status in _offers(db.session.get(Referral, referral_id))]
        if results["accept"] == "booked":
            assert results["expire"] is False
            assert len(bookings) == 1 and statuses == [OfferStatus.ACCEPTED]
        else:
            assert results == {"accept": "refused", "expire": True} and bookings == []
            assert statuses == [OfferStatus.EXPIRED, OfferStatus.PENDING]


def test_api_and_inbox_show_the_urgency_and_the_deadline_in_hours(app, as_user):
    w = World()
    now = _now()
    w.expert()
    referral = _file(w, lead_hours=30, now=now)
    w.requester.locale = "en"
    w.coordinator.locale = "en"

    body = as_user(w.requester).get(f"/api/v1/requests/{referral.id}").get_json()
    inbox = as_user(w.coordinator).get("/verzoeken/inbox").get_data(as_text=True)

    assert body["is_urgent"] is True and body["urgent_answer_hours"] == 2
    assert body["answer_due_at"].startswith((now + timedelta(hours=2)).strftime("%Y-%m-%dT"))
    assert "Urgent: answer within 2 hours" in inbox


def test_request_page_shows_every_step_of_the_escalation_to_the_coordinator(app, as_user):
    w = World()
    now = _now()
    duty, second = w.expert(), w.expert()
    _rota(w, [duty.id], now)
    referral = _file(w, lead_hours=30, now=now)
    first = db.session.scalar(select(Offer).where(Offer.referral_id == referral.id))
    services.expire_offer(offer_id=first.id, now=first.expires_at + timedelta(minutes=1))
    w.coordinator.locale = "en"

    page = as_user(w.coordinator).get(f"/verzoeken/{referral.id}").get_data(as_text=True)
    history = page[page.index('id="history"'):]

    steps = ["Request filed", "Urgent request offered automatically (on duty)",
             "Offer expired unanswered", "Urgent request offered automatically"]
    at = 0
    for step in steps:  # each found after the one before
        at = history.index(step, at) + len(step)
    assert duty.user.name in history and second.user.name in history


def test_coordinators_own_offer_of_an_urgent_request_gets_the_urgent_deadline(app):
    w = World()
    now = _now()
    referral = _file(w, lead_hours=10, now=now)  # nobody eligible yet: alerted, in the inbox
    expert = w.expert()

    offer, = services.make_offers(actor=w.coordinator, referral=referral,
                                  expert_ids=[expert.id], now=now + timedelta(minutes=10))

    assert offer.expires_at == now + timedelta(minutes=10, hours=1)
