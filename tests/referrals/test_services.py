from datetime import timedelta

import pytest
from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.audit.models import AuditEvent
from duidingspool.bookings.models import Booking, Offer
from duidingspool.casetables.models import SittingStatus
from duidingspool.errors import Conflict, NotFound, PrivacyViolation, ValidationFailed
from duidingspool.extensions import db
from duidingspool.referrals import queries, services
from duidingspool.referrals.models import Referral, ReferralExpertise, ReferralStatus
from tests import factories
from tests.factories import count
from tests.referrals.helpers import NOW, TODAY, payload, world


pytestmark = pytest.mark.usefixtures("english")


def make_world():
    return world(session_start=NOW + timedelta(days=14))


def test_check_privacy_names_field_and_fragment():
    with pytest.raises(PrivacyViolation) as caught:
        services.check_privacy(today=TODAY, question="BSN 123456782", case_code="CT-1")

    assert list(caught.value.fields) == ["question"]
    assert caught.value.fields["question"][0] == "Contains a BSN (12*****82)."


def test_check_privacy_accepts_clean_texts():
    assert services.check_privacy(today=TODAY, question="Duiding van uitingen",
                                  case_code="CT-2026-014") is None


def test_create_for_session_stores_request_and_audits_without_text():
    w = make_world()

    referral = services.create(actor=w.requester, data=payload(w, urgency="urgent"), now=NOW)

    assert referral.reference == f"DV-2026-{referral.id:05d}"
    assert referral.status == ReferralStatus.SUBMITTED
    assert referral.municipality_id == w.municipality.id
    assert referral.sitting_id == w.session.id
    assert referral.estimated_minutes == 180
    assert (referral.urgency, referral.urgency_rank) == ("urgent", 0)
    assert [(e.expertise_area_id, e.min_level) for e in referral.expertise] == [(w.area.id, 2)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.create"))
    assert event.object_id == referral.id
    assert "question" not in event.details and "Syrië" not in str(event.details)


def test_create_derives_case_table_from_session():
    w = make_world()

    referral = services.create(actor=w.requester, data=payload(w, case_table_id=None), now=NOW)

    assert referral.case_table_id == w.table.id


def test_create_for_date_window_stores_window():
    w = make_world()
    data = payload(w, session_id=None, window_start=TODAY + timedelta(days=3),
                   window_end=TODAY + timedelta(days=30), estimated_hours=0.25)

    referral = services.create(actor=w.requester, data=data, now=NOW)

    assert (referral.sitting_id, referral.window_start, referral.window_end) == (
        None, TODAY + timedelta(days=3), TODAY + timedelta(days=30))
    assert referral.estimated_minutes == 15


def test_create_for_case_table_of_another_municipality_is_not_found():
    w = make_world()
    other_table = factories.case_table()

    with pytest.raises(NotFound):
        services.create(actor=w.requester, data=payload(w, case_table_id=other_table.id),
                        now=NOW)
    assert count(Referral) == 0


def test_create_with_session_of_another_case_table_is_refused():
    w = make_world()
    own_second_table = factories.case_table(municipalities=[w.municipality])
    foreign_session = factories.sitting(factories.case_table(),
                                        starts_at=NOW + timedelta(days=3))
    second_session = factories.sitting(own_second_table, starts_at=NOW + timedelta(days=3))

    for session_id in (foreign_session.id, second_session.id):
        with pytest.raises(ValidationFailed) as caught:
            services.create(actor=w.requester, data=payload(w, session_id=session_id), now=NOW)
        assert caught.value.fields == {
            "session_id": ["Choose a session of the chosen case table."]}


def test_create_with_foreign_session_and_no_case_table_is_refused():
    w = make_world()
    foreign_session = factories.sitting(factories.case_table(),
                                        starts_at=NOW + timedelta(days=3))

    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=w.requester,
                        data=payload(w, case_table_id=None, session_id=foreign_session.id),
                        now=NOW)
    assert list(caught.value.fields) == ["session_id"]


def test_create_for_cancelled_session_is_refused():
    w = make_world()
    w.session.status = SittingStatus.CANCELLED

    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=w.requester, data=payload(w), now=NOW)
    assert caught.value.fields == {"session_id": [
        "This session has been cancelled; choose another session or a date window."]}


def test_create_for_past_session_is_refused():
    w = world(session_start=NOW - timedelta(hours=1))

    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=w.requester, data=payload(w), now=NOW)
    assert caught.value.fields == {"session_id": [
        "This session has already started or is past; choose an upcoming one."]}


@pytest.mark.parametrize("start, end, expected", [
    (None, None, {"window_start": ["Choose a session, or give the earliest and latest date."],
                  "window_end": ["Give the latest date of the window."]}),
    (-1, 5, {"window_start": ["The earliest date lies in the past."]}),
    (10, 5, {"window_end": ["The latest date lies before the earliest date."]}),
    (10, 400, {"window_end": ["The latest date may lie at most a year ahead."]}),
])
def test_create_with_bad_window_is_refused(start, end, expected):
    w = make_world()
    data = payload(w, session_id=None,
                   window_start=None if start is None else TODAY + timedelta(days=start),
                   window_end=None if end is None else TODAY + timedelta(days=end))

    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=w.requester, data=data, now=NOW)
    assert caught.value.fields == expected


def test_create_with_session_and_window_is_refused():
    w = make_world()
    data = payload(w, window_start=TODAY, window_end=TODAY + timedelta(days=3))

    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=w.requester, data=data, now=NOW)
    assert caught.value.fields == {
        "window_start": ["Choose either a session or a date window, not both."]}


def test_create_with_window_from_today_is_accepted():
    w = make_world()
    data = payload(w, session_id=None, window_start=TODAY, window_end=TODAY)

    assert services.create(actor=w.requester, data=data, now=NOW).window_start == TODAY


@pytest.mark.parametrize("areas, message", [
    ([], "Choose at least one expertise area."),
    ("inactive", "Choose expertise areas from the list."),
    ("twice", "Each expertise area may be chosen only once."),
])
def test_create_with_bad_areas_is_refused(areas, message):
    w = make_world()
    if areas == "inactive":
        areas = [{"area_id": factories.expertise_area(is_active=False).id, "min_level": 1}]
    elif areas == "twice":
        areas = [{"area_id": w.area.id, "min_level": 1}] * 2

    with pytest.raises(ValidationFailed) as caught:
        services.create(actor=w.requester, data=payload(w, areas=areas), now=NOW)
    assert caught.value.fields == {"areas": [message]}


def test_create_links_previous_request_of_same_municipality_and_case_table():
    w = make_world()
    earlier = factories.referral(requester=w.requester, table=w.table, on=w.session)

    referral = services.create(actor=w.requester, data=payload(w, previous_id=earlier.id),
                               now=NOW)

    assert referral.previous_id == earlier.id


def test_create_refuses_previous_request_of_other_municipality_or_case_table():
    w = make_world()
    colleague_elsewhere = factories.user(Role.REQUESTER)
    foreign = factories.referral(requester=colleague_elsewhere)
    other_table = factories.case_table(municipalities=[w.municipality])
    other_case_table = factories.referral(requester=w.requester, table=other_table)

    for previous_id in (foreign.id, other_case_table.id, 999999):
        with pytest.raises(ValidationFailed) as caught:
            services.create(actor=w.requester, data=payload(w, previous_id=previous_id),
                            now=NOW)
        assert caught.value.fields == {"previous_id": [
            "Choose an earlier request of your municipality for the same case table."]}


def test_create_with_personal_data_writes_nothing():
    w = make_world()
    before = (count(Referral), count(ReferralExpertise), count(AuditEvent))
    data = payload(w, question="Betreft jongen, geboren 12-03-2009, mail x@example.org",
                   case_code="123456782")

    with pytest.raises(PrivacyViolation) as caught:
        services.create(actor=w.requester, data=data, now=NOW)

    assert (count(Referral), count(ReferralExpertise), count(AuditEvent)) == before
    fields = caught.value.fields
    assert fields["question"][:2] == ["Contains what looks like a date of birth (12****09).",
                                      "Contains an e-mail address (x@********rg)."]
    assert fields["case_code"][0] == "Contains a BSN (12*****82)."


def test_create_by_a_user_without_municipality_is_refused():
    w = make_world()
    coordinator = factories.user(Role.COORDINATOR)

    with pytest.raises(Exception) as caught:
        services.create(actor=coordinator, data=payload(w), now=NOW)
    assert caught.value.status == 403


def test_cancel_by_requester_sets_status_time_and_audits():
    w = make_world()
    referral = factories.referral(requester=w.requester, on=w.session)

    services.cancel(actor=w.requester, referral=referral, reason="Casus afgesloten", now=NOW)

    assert (referral.status, referral.cancelled_at, referral.cancel_reason) == (
        "cancelled", NOW, "Casus afgesloten")
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions == ["referral.cancel"]


def test_cancel_twice_is_a_conflict():
    w = make_world()
    referral = factories.referral(requester=w.requester, on=w.session)
    services.cancel(actor=w.requester, referral=referral, reason="Dubbel", now=NOW)

    with pytest.raises(Conflict):
        services.cancel(actor=w.requester, referral=referral, reason="Nogmaals", now=NOW)


def test_cancel_completed_request_is_a_conflict():
    w = make_world()
    referral = factories.referral(requester=w.requester, on=w.session, status="completed")

    with pytest.raises(Conflict):
        services.cancel(actor=factories.user(Role.COORDINATOR), referral=referral,
                        reason="Te laat", now=NOW)


def test_cancel_by_requester_of_other_municipality_is_not_found():
    w = make_world()
    referral = factories.referral(requester=w.requester, on=w.session)

    with pytest.raises(NotFound):
        services.cancel(actor=factories.user(Role.REQUESTER), referral=referral,
                        reason="Niet van mij", now=NOW)
    assert referral.status == "submitted"


def test_get_for_scopes_by_role():
    w = make_world()
    referral = factories.referral(requester=w.requester, on=w.session)
    colleague = factories.user(Role.REQUESTER, municipality_obj=w.municipality)

    assert queries.get_for(colleague, referral.id) is referral
    assert queries.get_for(factories.user(Role.COORDINATOR), referral.id) is referral
    for outsider in (factories.user(Role.REQUESTER), factories.user(Role.EXPERT),
                     factories.user(Role.ADMIN)):
        with pytest.raises(NotFound):
            queries.get_for(outsider, referral.id)


def test_read_question_is_audited():
    w = make_world()
    referral = factories.referral(requester=w.requester, on=w.session)
    coordinator = factories.user(Role.COORDINATOR)

    text = services.read_question(actor=coordinator, referral=referral)

    assert text == referral.question
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.actor_id, event.object_id) == (
        "referral.view_question", coordinator.id, referral.id)


def test_inbox_order_is_most_urgent_then_newest():
    w = make_world()
    coordinator = factories.user(Role.COORDINATOR)
    old_urgent = factories.referral(requester=w.requester, urgency="urgent", urgency_rank=0,
                                    created_at=NOW - timedelta(days=3))
    new_normal = factories.referral(requester=w.requester, created_at=NOW)
    new_urgent = factories.referral(requester=w.requester, urgency="urgent", urgency_rank=0,
                                    created_at=NOW - timedelta(days=1))
    high = factories.referral(requester=w.requester, urgency="high", urgency_rank=1,
                              created_at=NOW - timedelta(days=5))

    ordered = db.session.scalars(queries.list_for(coordinator, order="inbox")).all()

    assert ordered == [new_urgent, old_urgent, high, new_normal]


def test_cancel_booked_request_cancels_booking_and_withdraws_offers():
    w = make_world()
    coordinator = factories.user(Role.COORDINATOR)
    referral = factories.referral(requester=w.requester, on=w.session, status="booked")
    booked_expert, queued_expert = factories.expert(), factories.expert()
    accepted = Offer(referral_id=referral.id, expert_id=booked_expert.id, status="accepted",
                     offered_at=NOW, expires_at=NOW + timedelta(days=1),
                     created_by_id=coordinator.id)
    queued = Offer(referral_id=referral.id, expert_id=queued_expert.id, status="queued",
                   queue_position=1, created_by_id=coordinator.id)
    db.session.add_all([accepted, queued])
    db.session.flush()
    booking = Booking(referral_id=referral.id, offer_id=accepted.id,
                      expert_id=booked_expert.id, sitting_id=w.session.id,
                      starts_at=w.session.starts_at, ends_at=w.session.ends_at,
                      estimated_minutes=referral.estimated_minutes,
                      case_table_id=referral.case_table_id, calendar_uid="test-uid-1")
    db.session.add(booking)
    db.session.flush()

    services.cancel(actor=w.requester, referral=referral, reason="Casus afgesloten", now=NOW)

    db.session.refresh(booking)
    db.session.refresh(queued)
    assert (referral.status, booking.status, queued.status) == (
        "cancelled", "cancelled", "withdrawn")
    assert booking.cancel_reason == "Casus afgesloten"
