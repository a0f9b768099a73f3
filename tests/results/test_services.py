"""Evaluations, process notes and complaints: who may, when, once, and what is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.errors import Conflict, NotFound, ValidationFailed
from duidingspool.extensions import db
from duidingspool.mail.models import OutboxMessage
from duidingspool.results import services
from duidingspool.results.models import Complaint, ComplaintStatus, Evaluation
from tests import factories as f
from tests.bookings.helpers import World, direct_booking, next_weekday_at


@pytest.fixture
def held(app):
    """A session that took place three days ago, booked for an expert."""
    w = World()
    expert = w.expert()
    starts = next_weekday_at(9, days_ahead=-3)
    referral = w.request(starts_at=starts)
    booking = direct_booking(referral, expert, created_by=w.coordinator)
    db.session.commit()
    return w, expert, booking


def _now():
    from duidingspool.db import utcnow
    return utcnow()


def test_requester_evaluates_a_session_held_once(held):
    w, expert, booking = held
    evaluation = services.submit_evaluation(actor=w.requester, booking=booking, usefulness=4,
                                            on_time=True, prepared=False, remark="Helder.")
    assert (evaluation.usefulness, evaluation.on_time, evaluation.prepared) == (4, True, False)
    assert "evaluation.submit" in f.audit_actions()
    with pytest.raises(Conflict):
        services.submit_evaluation(actor=w.requester, booking=booking, usefulness=2,
                                   on_time=True, prepared=True)
    assert f.count(Evaluation) == 1


def test_a_future_session_cannot_be_evaluated(app):
    w = World()
    expert = w.expert()
    booking = direct_booking(w.request(), expert, created_by=w.coordinator)
    with pytest.raises(Conflict):
        services.submit_evaluation(actor=w.requester, booking=booking, usefulness=3,
                                   on_time=True, prepared=True)


def test_other_municipality_and_expert_cannot_evaluate(held):
    w, expert, booking = held
    stranger = f.user(Role.REQUESTER, municipality_obj=f.municipality())
    for actor in (stranger, expert.user, w.coordinator):
        with pytest.raises(NotFound):
            services.submit_evaluation(actor=actor, booking=booking, usefulness=3,
                                       on_time=True, prepared=True)


def test_remark_with_personal_data_is_refused_at_its_field(held):
    w, expert, booking = held
    with pytest.raises(ValidationFailed) as caught:
        services.submit_evaluation(actor=w.requester, booking=booking, usefulness=3,
                                   on_time=True, prepared=True,
                                   remark="Bel mij op 06-12345678")
    assert "remark" in caught.value.fields
    assert f.count(Evaluation) == 0


def test_process_note_only_by_the_booked_expert_after_the_session(held):
    w, expert, booking = held
    note = services.record_process_note(actor=expert.user, booking=booking,
                                        follow_up_advised=True, written_advice_sent=False)
    assert note.follow_up_advised and not note.written_advice_sent
    services.record_process_note(actor=expert.user, booking=booking,
                                 follow_up_advised=False, written_advice_sent=True)
    assert services.process_note_of(booking).written_advice_sent
    other = World().expert()
    with pytest.raises(NotFound):
        services.record_process_note(actor=other.user, booking=booking,
                                     follow_up_advised=True, written_advice_sent=True)


def test_complaint_flow_filed_answered_decided_with_mail_to_each(held):
    w, expert, booking = held
    complaint = services.file_complaint(actor=w.requester, booking=booking, kind="late",
                                        description="Twintig minuten te laat.")
    assert complaint.status == ComplaintStatus.OPEN
    services.answer_complaint(actor=expert.user, complaint=complaint,
                              answer="De trein had vertraging.")
    assert complaint.status == ComplaintStatus.ANSWERED
    with pytest.raises(NotFound):
        services.decide_complaint(actor=expert.user, complaint=complaint, decision="upheld")
    services.decide_complaint(actor=w.coordinator, complaint=complaint, decision="not_upheld",
                              decision_note="Overmacht.")
    assert complaint.status == ComplaintStatus.NOT_UPHELD
    with pytest.raises(Conflict):
        services.decide_complaint(actor=w.coordinator, complaint=complaint, decision="upheld")
    keys = set(db.session.scalars(select(OutboxMessage.dedupe_key)))
    assert {f"complaint:{complaint.id}:filed", f"complaint:{complaint.id}:decided:requester",
            f"complaint:{complaint.id}:decided:expert"} <= keys
    bodies = " ".join(db.session.scalars(select(OutboxMessage.body_text)))
    assert "Twintig" not in bodies and "trein" not in bodies  # no complaint text in mail
    assert [a for a in f.audit_actions() if a.startswith("complaint.")] == [
        "complaint.file", "complaint.answer", "complaint.decide"]


def test_complaint_window_closes_after_thirty_days(held):
    w, expert, booking = held
    late = booking.ends_at + timedelta(days=31)
    with pytest.raises(Conflict):
        services.file_complaint(actor=w.requester, booking=booking, kind="quality",
                                description=None, now=late)
    with pytest.raises(ValidationFailed) as caught:
        services.file_complaint(actor=w.requester, booking=booking, kind="bogus",
                                description=None)
    assert "kind" in caught.value.fields


def test_answer_after_a_decision_is_refused(held):
    w, expert, booking = held
    complaint = services.file_complaint(actor=w.requester, booking=booking, kind="conduct",
                                        description=None)
    services.decide_complaint(actor=w.coordinator, complaint=complaint, decision="upheld")
    with pytest.raises(Conflict):
        services.answer_complaint(actor=expert.user, complaint=complaint, answer="Te laat.")


def test_overdue_complaint_flagged_once_and_coordinators_alerted(held):
    w, expert, booking = held
    complaint = services.file_complaint(actor=w.requester, booking=booking, kind="no_show",
                                        description=None)
    soon = complaint.filed_at + timedelta(days=13)
    assert services.overdue_complaint_ids(now=soon) == []
    later = complaint.filed_at + timedelta(days=15)
    assert services.overdue_complaint_ids(now=later) == [complaint.id]
    assert services.flag_overdue(complaint.id, now=later) is True
    assert services.flag_overdue(complaint.id, now=later) is False
    assert services.overdue_complaint_ids(now=later) == []
    key = f"complaint:{complaint.id}:flagged:{w.coordinator.id}"
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))


def test_purge_erases_texts_of_purged_requests_and_keeps_scores(held):
    w, expert, booking = held
    services.submit_evaluation(actor=w.requester, booking=booking, usefulness=5, on_time=True,
                               prepared=True, remark="Zeer nuttig.")
    complaint = services.file_complaint(actor=w.requester, booking=booking, kind="other",
                                        description="Onduidelijk verslag.")
    services.answer_complaint(actor=expert.user, complaint=complaint, answer="Verslag volgt.")
    assert services.purge_texts() == 0  # the request is not purged yet
    booking.referral.purged_at = _now()
    db.session.flush()
    assert services.purge_texts() == 2
    evaluation = db.session.scalar(select(Evaluation))
    db.session.refresh(evaluation)
    db.session.refresh(complaint)
    assert (evaluation.remark, evaluation.usefulness) == (None, 5)
    assert (complaint.description, complaint.answer, complaint.kind) == (None, None, "other")


def test_evaluation_requests_queue_once_per_session(held, app):
    from duidingspool.jobs.registry import JOBS
    from duidingspool.jobs.runner import run_job

    w, expert, booking = held
    now = _now()
    run_job(JOBS["evaluation_requests"], slot="a", now=now)
    run_job(JOBS["evaluation_requests"], slot="b", now=now)
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == f"evaluation:booking:{booking.id}")).all()
    assert len(messages) == 1
    assert messages[0].to_address == w.requester.email
    assert booking.referral.question not in messages[0].body_text
    assert f"/boekingen/{booking.id}/evaluatie" in messages[0].body_text


def test_complaints_visible_by_scope(held):
    w, expert, booking = held
    complaint = services.file_complaint(actor=w.requester, booking=booking, kind="late",
                                        description=None)
    stranger = f.user(Role.REQUESTER, municipality_obj=f.municipality())
    other_expert = World().expert()
    assert services.visible_complaints(w.coordinator) == [complaint]
    assert services.visible_complaints(expert.user) == [complaint]
    assert services.visible_complaints(w.requester) == [complaint]
    assert services.visible_complaints(stranger) == []
    assert services.visible_complaints(other_expert.user) == []
    with pytest.raises(NotFound):
        services.get_complaint_for(stranger, complaint.id)
    assert db.session.get(Complaint, complaint.id).status == ComplaintStatus.OPEN
