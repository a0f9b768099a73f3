"""Free text that reaches another person passes the privacy guard, and the retention purge
erases it with the question and case code (issue 14, finding 5)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from duidingspool.audit.models import AuditEvent
from duidingspool.bookings import services as bookings
from duidingspool.bookings.models import Booking, Offer, OfferStatus
from duidingspool.errors import PrivacyViolation, ValidationFailed
from duidingspool.experts import services as experts
from duidingspool.experts.models import Absence
from duidingspool.extensions import db
from duidingspool.hours import services as hours
from duidingspool.hours.models import HourLine
from duidingspool.jobs.registry import JOBS
from duidingspool.jobs.runner import run_job
from duidingspool.referrals.models import Referral, ReferralStatus
from tests.bookings.helpers import World
from tests.hours.helpers import Priced

pytestmark = pytest.mark.usefixtures("english")

UTC = timezone.utc


def _booked(w: World):
    referral = w.request()
    expert = w.expert()
    [offer] = bookings.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])
    return bookings.accept(actor=expert.user, offer=offer)


def test_requesters_booking_cancel_reason_with_personal_data_is_refused(app):
    w = World()
    booking = _booked(w)

    with pytest.raises(PrivacyViolation) as refused:
        bookings.cancel_booking(actor=w.requester, booking=booking,
                                reason="Moeder belt zelf: 06-12345678")

    assert list(refused.value.fields) == ["reason"]
    assert refused.value.fields["reason"][0] == "Contains a phone number (06******78)."
    assert db.session.get(Booking, booking.id).status == "confirmed"


def test_booking_cancel_reason_over_its_length_is_refused_unscanned(app):
    w = World()
    booking = _booked(w)

    with pytest.raises(ValidationFailed) as refused:
        bookings.cancel_booking(actor=w.coordinator, booking=booking,
                                reason="BSN 123456782 " + "x" * 600)

    assert not isinstance(refused.value, PrivacyViolation)
    assert refused.value.fields == {"reason": ["At most 500 characters."]}


def test_decline_reason_with_personal_data_is_refused(app):
    w = World()
    referral = w.request()
    expert = w.expert()
    [offer] = bookings.make_offers(actor=w.coordinator, referral=referral, expert_ids=[expert.id])

    with pytest.raises(PrivacyViolation) as refused:
        bookings.decline(actor=expert.user, offer=offer,
                         reason="Ik ken de jongen, hij woont op 7511 JA 12")

    assert list(refused.value.fields) == ["reason"]
    assert db.session.get(Offer, offer.id).status == OfferStatus.PENDING


def test_hour_note_and_reject_reason_with_personal_data_are_refused(app):
    world = Priced()
    booking = world.booking("2026-03-10T13:00")
    line = world.line(booking, minutes=60, status="submitted", amount="80.00")

    with pytest.raises(PrivacyViolation) as on_add:
        hours.add_line(actor=world.expert.user, booking=booking, category="preparation",
                       minutes=30, note="Gebeld met vader, jan(at)example(dot)nl")
    with pytest.raises(PrivacyViolation) as on_update:
        hours.update_line(actor=world.expert.user, line=world.line(booking, minutes=30,
                                                                      status="draft"),
                          category="preparation", minutes=30, note="BSN 123-456-782")
    with pytest.raises(PrivacyViolation) as on_reject:
        hours.reject(actor=world.coordinator, line=line,
                     reason="Niet voor NL91ABNA0417164300")

    assert [list(e.value.fields) for e in (on_add, on_update, on_reject)] == [
        ["note"], ["note"], ["reason"]]
    assert db.session.get(HourLine, line.id).status == "submitted"


def test_absence_reason_with_personal_data_is_refused(app):
    w = World()
    expert = w.expert()
    start = datetime(2027, 1, 4, 8, tzinfo=UTC)

    with pytest.raises(PrivacyViolation) as on_add:
        experts.add_absence(actor=expert.user, expert=expert, starts_at=start,
                            ends_at=start + timedelta(days=2), reason="Zorg, bel 053 - 481 23 45")
    with pytest.raises(PrivacyViolation) as on_replace:
        experts.replace_availability(actor=expert.user, expert=expert, windows=[], absences=[
            {"starts_at": start, "ends_at": start + timedelta(days=1), "reason": "Vakantie"},
            {"starts_at": start, "ends_at": start + timedelta(days=1),
             "reason": "geboren 12-03-1980"}])

    assert list(on_add.value.fields) == ["reason"]
    assert list(on_replace.value.fields) == ["absences.1"]
    assert db.session.scalars(select(Absence)).all() == []


def test_booking_cancel_in_the_api_names_the_field(app, login_as):
    w = World()
    booking = _booked(w)
    db.session.commit()

    response = login_as(w.requester).post(f"/api/v1/bookings/{booking.id}/cancel",
                                          json={"reason": "Mail moeder: m.jansen@example.org"})

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], list(error["fields"])) == ("privacy_violation", ["reason"])


# --- the retention purge ------------------------------------------------------------------

def test_retention_purge_erases_every_free_text_of_the_request(app):
    world = Priced()
    now = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    booking = world.booking("2026-03-10T13:00", status="cancelled")
    booking.cancel_reason = "Zitting vervalt"
    referral = booking.referral
    referral.status = ReferralStatus.CANCELLED
    referral.cancelled_at = datetime(2026, 4, 1, tzinfo=UTC)
    referral.cancel_reason = "Casus gesloten"
    offer = db.session.get(Offer, booking.offer_id)
    offer.decline_reason = "Geen tijd"
    noted = world.line(booking, minutes=60, category="preparation", amount="80.00")
    noted.note = "Dossier gelezen"
    rejected = world.line(booking, minutes=30, category="travel", status="rejected",
                          amount="10.00")
    rejected.reject_reason = "Reistijd te hoog"
    kept = world.booking("2026-03-12T13:00")  # booked: nothing erased
    kept.cancel_reason = "blijft"
    expert = world.expert
    old_absence = Absence(expert_id=expert.id, starts_at=datetime(2026, 1, 5, tzinfo=UTC),
                          ends_at=datetime(2026, 1, 9, tzinfo=UTC), reason="Vakantie")
    recent_absence = Absence(expert_id=expert.id, starts_at=datetime(2027, 5, 5, tzinfo=UTC),
                             ends_at=datetime(2027, 5, 9, tzinfo=UTC), reason="Cursus")
    db.session.add_all([old_absence, recent_absence])
    db.session.commit()

    run = run_job(JOBS["retention_purge"], slot="1", now=now)

    db.session.expire_all()
    assert (run.outcome, run.processed) == ("ok", 1)
    purged = db.session.get(Referral, referral.id)
    assert (purged.question, purged.case_code, purged.cancel_reason) == (None, None, None)
    assert db.session.get(Offer, offer.id).decline_reason is None
    assert db.session.get(Booking, booking.id).cancel_reason is None
    assert db.session.get(HourLine, noted.id).note is None
    assert db.session.get(HourLine, rejected.id).reject_reason == ""
    assert db.session.get(Booking, kept.id).cancel_reason == "blijft"
    assert db.session.get(Absence, old_absence.id).reason is None
    assert db.session.get(Absence, recent_absence.id).reason == "Cursus"
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(["referral.purge", "absence.purge"])))]
    assert sorted(actions) == ["absence.purge", "referral.purge"]
