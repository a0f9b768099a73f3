"""Slots from triggers: the same for every process, and daylight saving neither skips nor repeats."""

from __future__ import annotations

from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

from duidingspool.jobs.scheduler import (
    build_scheduler,
    latest_fire_time,
    slot_for,
    trigger_for,
)
from duidingspool.jobs.runner import claim
from duidingspool.timeutil import to_local
from tests.factories import utc

AMS = "Europe/Amsterdam"


def _fire_times(trigger, start, end):
    times, previous, now = [], None, start
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire > end:
            return times
        times.append(fire.astimezone(timezone.utc))
        previous, now = fire, fire


def test_interval_slot_is_the_fire_time_floored_in_utc():
    trigger = trigger_for({"minutes": 5}, default_timezone=AMS)

    assert slot_for(trigger, utc(2026, 3, 1, 10, 7, 30)) == "2026-03-01T10:05:00Z"
    assert slot_for(trigger, utc(2026, 3, 1, 10, 5, 0)) == "2026-03-01T10:05:00Z"
    assert slot_for(trigger, utc(2026, 3, 1, 10, 4, 59)) == "2026-03-01T10:00:00Z"


def test_interval_runs_straight_through_both_dst_changes():
    trigger = trigger_for({"minutes": 30}, default_timezone=AMS)
    for start in (utc(2026, 3, 28, 23, 0), utc(2026, 10, 24, 23, 0)):
        fires = _fire_times(trigger, start, start + timedelta(hours=4))
        assert [f - start for f in fires] == [timedelta(minutes=30 * i) for i in range(9)]


def test_daily_local_job_fires_once_per_local_day_across_dst_changes():
    trigger = trigger_for({"cron": "0 9 * * *"}, default_timezone=AMS)
    for start in (utc(2026, 3, 26), utc(2026, 10, 22)):
        fires = _fire_times(trigger, start, start + timedelta(days=6))
        assert [(to_local(f).date().isoformat(), to_local(f).strftime("%H:%M")) for f in fires] == [
            ((start + timedelta(days=d)).date().isoformat(), "09:00") for d in range(6)]
        slots = [slot_for(trigger, f + timedelta(seconds=1)) for f in fires]
        assert len(set(slots)) == 6
        assert slots[0] == f"{to_local(fires[0]):%Y-%m-%d}T09:00 Europe/Amsterdam"


def test_repeated_october_hour_cannot_run_a_local_job_twice(app):
    trigger = trigger_for({"cron": "30 2 * * *"}, default_timezone=AMS)
    # APScheduler fires at 02:30 summer time and again at 02:30 winter time ...
    fires = _fire_times(trigger, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0))
    assert fires == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)]

    # ... but both firings have the same slot, so the second claim fails.
    slots = [slot_for(trigger, f + timedelta(seconds=2)) for f in fires]
    assert slots == ["2026-10-25T02:30 Europe/Amsterdam"] * 2
    assert claim(name="retention_purge", slot=slots[0]) is not None
    assert claim(name="retention_purge", slot=slots[1]) is None


def test_missing_march_hour_does_not_skip_a_local_job():
    trigger = trigger_for({"cron": "30 2 * * *"}, default_timezone=AMS)

    fires = _fire_times(trigger, utc(2026, 3, 28, 12, 0), utc(2026, 3, 30, 12, 0))

    assert [to_local(f).isoformat() for f in fires] == [
        "2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"]
    assert [slot_for(trigger, f) for f in fires] == [
        "2026-03-29T03:30 Europe/Amsterdam", "2026-03-30T02:30 Europe/Amsterdam"]


def test_latest_fire_time_of_weekly_cron_looks_back_far_enough():
    # APScheduler 3 counts crontab weekdays from Monday = 0: names are unambiguous.
    trigger = trigger_for({"cron": "0 9 * * mon"}, default_timezone=AMS)

    fire = latest_fire_time(trigger, utc(2026, 3, 8, 12, 0))  # a Sunday

    assert fire.astimezone(ZoneInfo(AMS)).isoformat() == "2026-03-02T09:00:00+01:00"


def test_utc_cron_slot_is_utc_time():
    trigger = trigger_for({"cron": "*/10 * * * *", "timezone": "UTC"}, default_timezone=AMS)

    assert slot_for(trigger, utc(2026, 10, 25, 1, 37)) == "2026-10-25T01:30:00Z"


def test_scheduler_jobs_coalesce_with_one_instance_and_grace(app):
    app.config["JOB_SCHEDULES"] = {"expire_offers": {"minutes": 5},
                                   "hours_reminders": {"cron": "0 9 * * *"},
                                   "send_mail": None}
    scheduler = build_scheduler(app)

    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["expire_offers", "hours_reminders"]
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (
            True, 1, app.config["JOB_MISFIRE_GRACE_SECONDS"])
    assert str(jobs["hours_reminders"].trigger.timezone) == AMS
