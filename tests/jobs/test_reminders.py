"""Reminders before a session and to log hours: queued once, with a controllable clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from duidingspool.bookings.models import BookingStatus
from duidingspool.mail.reminders import (
    queue_hours_reminders,
    queue_session_reminders,
    remind_session,
    session_reminder_ids,
)
from duidingspool.casetables.services import move_sitting
from duidingspool.extensions import db, unit_of_work
from duidingspool.mail.models import OutboxMessage
from tests.jobs.helpers import outbox_keys


def test_session_reminder_queued_once_when_run_twice(world):
    booking = world.booking("2026-03-10T13:00")
    now = booking.starts_at - timedelta(hours=20)

    assert queue_session_reminders(now=now) == 1
    assert queue_session_reminders(now=now + timedelta(minutes=15)) == 0

    assert outbox_keys("reminder:") == [
        f"reminder:booking:{booking.id}:2026-03-10T12:00:00+00:00"]


def test_session_reminder_carries_no_case_details(world):
    booking = world.booking("2026-03-10T13:00")
    queue_session_reminders(now=booking.starts_at - timedelta(hours=1))

    message = db.session.query(OutboxMessage).one()
    referral = booking.referral
    assert message.to_address == world.expert.user.email
    assert message.subject == f"Reminder: {referral.reference}, {world.table.name}, 10-03-2026 13:00"
    assert "10-03-2026 13:00–15:00" in message.body_text
    assert "Stationsplein 1" in message.body_text
    assert f"/boekingen/mijn#booking-{booking.id}" in message.body_text
    for secret in (referral.question, referral.case_code, "Jan Modaal"):
        assert secret not in message.body_text and secret not in message.subject


def test_session_reminder_waits_until_the_reminder_time(world):
    booking = world.booking("2026-03-10T13:00")

    assert queue_session_reminders(now=booking.starts_at - timedelta(hours=25)) == 0
    assert queue_session_reminders(now=booking.starts_at + timedelta(minutes=1)) == 0
    assert outbox_keys() == []


def test_session_reminder_skips_cancelled_booking(world):
    booking = world.booking("2026-03-10T13:00", status=BookingStatus.CANCELLED)

    assert queue_session_reminders(now=booking.starts_at - timedelta(hours=2)) == 0


def test_moved_session_gets_a_new_reminder(world):
    booking = world.booking("2026-03-10T13:00")
    queue_session_reminders(now=booking.starts_at - timedelta(hours=20))
    new_start = booking.starts_at + timedelta(hours=2)
    move_sitting(actor=world.coordinator, sitting=booking.sitting, starts_at=new_start,
                 ends_at=new_start + timedelta(hours=2))
    db.session.refresh(booking)

    assert queue_session_reminders(now=new_start - timedelta(hours=20)) == 1
    assert queue_session_reminders(now=new_start - timedelta(hours=19)) == 0
    assert outbox_keys("reminder:") == [
        f"reminder:booking:{booking.id}:2026-03-10T12:00:00+00:00",
        f"reminder:booking:{booking.id}:2026-03-10T14:00:00+00:00",
    ]


def test_crash_mid_reminders_keeps_first_and_rerun_sends_the_rest(world):
    first = world.booking("2026-03-10T09:00")
    second = world.booking("2026-03-10T13:00")
    db.session.commit()
    now = datetime(2026, 3, 9, 18, 0, tzinfo=timezone.utc)

    first_id, second_id = session_reminder_ids(now=now)
    with unit_of_work():
        remind_session(booking_id=first_id, now=now)
    with pytest.raises(RuntimeError), unit_of_work():
        remind_session(booking_id=second_id, now=now)
        raise RuntimeError("the process dies before this unit of work is committed")
    assert outbox_keys("reminder:") == [f"reminder:booking:{first.id}:2026-03-10T08:00:00+00:00"]

    assert queue_session_reminders(now=now) == 1
    assert outbox_keys("reminder:") == [
        f"reminder:booking:{first.id}:2026-03-10T08:00:00+00:00",
        f"reminder:booking:{second.id}:2026-03-10T12:00:00+00:00",
    ]


def test_hours_reminder_at_most_weekly(world):
    booking = world.booking("2026-03-10T13:00")  # ends 14:00 UTC
    after = booking.ends_at + timedelta(hours=12)

    assert queue_hours_reminders(now=booking.ends_at + timedelta(hours=11)) == 0
    assert queue_hours_reminders(now=after) == 1
    # Daily runs during the first week remind no more.
    for day in range(1, 7):
        assert queue_hours_reminders(now=after + timedelta(days=day)) == 0
    assert queue_hours_reminders(now=after + timedelta(days=7)) == 1
    assert queue_hours_reminders(now=after + timedelta(days=7, hours=3)) == 0

    assert outbox_keys("hours-reminder:") == [
        f"hours-reminder:booking:{booking.id}:week-0",
        f"hours-reminder:booking:{booking.id}:week-1",
    ]
    message = db.session.query(OutboxMessage).first()
    assert message.subject.startswith("Log your hours: ")
    assert f"/boekingen/{booking.id}/uren" in message.body_text
    assert booking.referral.question not in message.body_text


def test_hours_reminder_stops_once_hours_are_submitted(world):
    booking = world.booking("2026-03-10T13:00")
    world.line(booking, minutes=60, status="draft")
    assert queue_hours_reminders(now=booking.ends_at + timedelta(days=1)) == 1

    world.line(booking, minutes=60, status="submitted", amount="80.00")
    assert queue_hours_reminders(now=booking.ends_at + timedelta(days=8)) == 0


def test_hours_reminder_stops_after_max_weeks(world, app):
    booking = world.booking("2026-03-10T13:00")
    weeks = app.config["HOURS_REMINDER_MAX_WEEKS"]

    assert queue_hours_reminders(now=booking.ends_at + timedelta(weeks=weeks, hours=13)) == 0


def test_hours_reminder_skips_cancelled_and_future_bookings(world):
    cancelled = world.booking("2026-03-10T13:00", status=BookingStatus.CANCELLED)
    world.booking("2026-03-20T13:00")

    assert queue_hours_reminders(now=cancelled.ends_at + timedelta(days=1)) == 0
