"""Hour lines: exact cost on hand-computed cases, the status flow, locking."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from duidingspool.bookings.services import cancel_booking
from duidingspool.errors import Conflict, NotFound, ValidationFailed
from duidingspool.hours import services
from duidingspool.hours.schemas import parse_hours

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
LATER = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_cost_before_rate_change_uses_old_rate_and_year_km_rate(world):
    booking = world.booking("2026-06-30T10:00")
    line = services.add_line(actor=world.expert.user, booking=booking, category="attendance",
                             minutes=90, kilometres=Decimal("37.5"), submit=True, now=NOW)
    # 1.5 h x 80.00 = 120.00; 37.5 km x 0.23 = 8.625; 128.625 -> 128.63 (once, half up)
    assert line.status == "submitted"
    assert line.amount == Decimal("128.63")


def test_cost_after_rate_change_uses_new_rate_on_local_date(world):
    # 00:30 in Amsterdam on 1 July is still 30 June in UTC: the local date counts.
    booking = world.booking("2026-07-01T00:30")
    assert booking.starts_at.day == 30
    line = services.add_line(actor=world.expert.user, booking=booking, category="attendance",
                             minutes=100, submit=True, now=NOW)
    # 100/60 x 95.50 = 159.1666... -> 159.17
    assert line.amount == Decimal("159.17")


def test_rejected_line_edited_and_resubmitted_is_priced_again(world):
    booking = world.booking("2026-09-15T13:00")
    line = services.add_line(actor=world.expert.user, booking=booking, category="written_advice",
                             minutes=45, submit=True, now=NOW)
    assert line.amount == Decimal("71.63")  # 0.75 x 95.50 = 71.625 -> 71.63
    services.reject(actor=world.coordinator, line=line, reason="Te veel", now=NOW)
    assert (line.status, line.reject_reason) == ("rejected", "Te veel")

    services.update_line(actor=world.expert.user, line=line, category="written_advice",
                         minutes=30)
    assert (line.status, line.amount) == ("draft", None)
    services.submit_line(actor=world.expert.user, line=line, now=NOW)
    services.approve(actor=world.coordinator, line=line, now=NOW)

    assert (line.status, line.amount) == ("approved", Decimal("47.75"))  # 0.5 x 95.50


def test_approved_line_is_locked(world):
    booking = world.booking("2026-03-10T13:00")
    line = services.add_line(actor=world.expert.user, booking=booking, category="attendance",
                             minutes=60, submit=True, now=NOW)
    services.approve(actor=world.coordinator, line=line, now=NOW)

    with pytest.raises(Conflict):
        services.update_line(actor=world.expert.user, line=line, category="attendance",
                             minutes=600)
    with pytest.raises(Conflict):
        services.delete_line(actor=world.expert.user, line=line)
    with pytest.raises(Conflict):
        services.approve(actor=world.coordinator, line=line, now=NOW)
    with pytest.raises(Conflict):
        services.reject(actor=world.coordinator, line=line, reason="nee", now=NOW)
    assert (line.status, line.minutes, line.amount) == ("approved", 60, Decimal("80.00"))


def test_booking_cancelled_before_its_session_takes_preparation_and_travel(world):
    booking = world.booking("2026-12-08T13:00")  # after NOW
    cancel_booking(actor=world.coordinator, booking=booking, reason="Casus vervallen")

    line = services.add_line(actor=world.expert.user, booking=booking, category="preparation",
                             minutes=45, now=NOW)
    services.submit_line(actor=world.expert.user, line=line, now=NOW)
    travel = services.add_line(actor=world.expert.user, booking=booking, category="travel",
                               minutes=20, kilometres=Decimal("12"), submit=True, now=NOW)

    assert line.amount == Decimal("71.63")  # 0.75 x 95.50
    assert travel.amount == Decimal("34.59")  # 20/60 x 95.50 = 31.8333 + 12 x 0.23 = 2.76
    with pytest.raises(ValidationFailed) as refused:
        services.add_line(actor=world.expert.user, booking=booking, category="attendance",
                          minutes=60)
    assert "category" in refused.value.fields


def test_other_expert_cannot_record_on_booking(world):
    booking = world.booking("2026-03-10T13:00")
    other = world.new_expert()
    with pytest.raises(NotFound):
        services.add_line(actor=other.user, booking=booking, category="attendance", minutes=60)


def test_km_without_year_budget_is_refused(world):
    booking = world.booking("2027-02-10T13:00")
    line = services.add_line(actor=world.expert.user, booking=booking, category="travel",
                             minutes=30, kilometres=Decimal("10"), now=LATER)
    with pytest.raises(Conflict, match="kilometre rate"):
        services.submit_line(actor=world.expert.user, line=line, now=LATER)
    assert line.status == "draft"


def test_bulk_decision_is_all_or_nothing(world):
    booking = world.booking("2026-03-10T13:00")
    a = services.add_line(actor=world.expert.user, booking=booking, category="attendance",
                          minutes=60, submit=True, now=NOW)
    b = services.add_line(actor=world.expert.user, booking=booking, category="preparation",
                          minutes=30, submit=True, now=NOW)
    lines = services.decide_many(actor=world.coordinator, line_ids=[a.id, b.id],
                                 approve_them=True, now=NOW)
    assert sorted(line.status for line in lines) == ["approved", "approved"]
    with pytest.raises(Conflict):
        services.decide_many(actor=world.coordinator, line_ids=[a.id], approve_them=False,
                             reason="nee", now=NOW)


@pytest.mark.parametrize("typed, minutes", [("1.5", 90), ("1,25", 75), ("1:05", 65),
                                            (2, 120), ("0:15", 15)])
def test_parse_hours_accepts_decimal_and_hmm(typed, minutes):
    assert parse_hours(typed) == minutes


@pytest.mark.parametrize("typed", ["", "abc", "0", "25", "1:75", "0.001", "-1"])
def test_parse_hours_refuses_nonsense(typed):
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        parse_hours(typed)
