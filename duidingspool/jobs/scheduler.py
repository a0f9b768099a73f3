"""The scheduler process (`duidingspool scheduler`): APScheduler 3 running the jobs on time.

Never started by create_app: the web processes only serve pages. Any number of scheduler
processes may run side by side; each computes the same slot for a firing (below) and the
database claim on (job, slot) lets one of them run it.

APScheduler 3 does not tell a job when it was scheduled, so the slot is worked out from the
trigger: the latest fire time at or before now. Interval schedules run in UTC from a fixed
epoch (every process fires at the same moments, and daylight saving does not exist for
them); their slot is that UTC time. Crontab schedules run in DISPLAY_TIMEZONE ("daily at
09:00" stays 09:00 local all year); their slot is the local wall-clock time of the firing, so
when October's repeated hour makes APScheduler fire a 02:30 job at 02:30 CEST and again at
02:30 CET, both firings claim the same slot and the job runs once. A firing that the spring
change makes impossible (02:30 on the last Sunday of March) comes at 03:30 instead.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from duidingspool.db import utcnow
from duidingspool.jobs.registry import JOBS
from duidingspool.jobs.runner import abandon_stale_runs, host_id, run_job

log = logging.getLogger(__name__)

# Interval schedules count from here, so every process fires at the same moments.
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_INTERVAL_UNITS = ("hours", "minutes", "seconds")
_LOOKBACK_LIMIT = timedelta(days=800)


def trigger_for(spec: dict, *, default_timezone: str) -> BaseTrigger:
    """The trigger of a schedule from JOB_SCHEDULES: {"minutes": 5} or {"cron": "0 9 * * *"}."""
    if "cron" in spec:
        zone = ZoneInfo(spec.get("timezone") or default_timezone)
        return CronTrigger.from_crontab(spec["cron"], timezone=zone)
    units = {unit: spec[unit] for unit in _INTERVAL_UNITS if unit in spec}
    if not units or set(spec) - set(units):
        raise ValueError(f"unknown schedule {spec!r}: use cron, hours, minutes or seconds")
    return IntervalTrigger(**units, start_date=EPOCH, timezone=timezone.utc)


def describe(spec: dict | None, *, default_timezone: str) -> str:
    """A schedule in words for `jobs list`."""
    if not spec:
        return "not scheduled"
    if "cron" in spec:
        return f"cron {spec['cron']} ({spec.get('timezone') or default_timezone})"
    return "every " + " ".join(f"{spec[u]} {u}" for u in _INTERVAL_UNITS if u in spec) + " (UTC)"


def latest_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The trigger's last fire time at or before `now` (None if it never fired)."""
    lookback = timedelta(minutes=1)
    first = None
    while lookback <= _LOOKBACK_LIMIT:
        first = trigger.get_next_fire_time(None, now - lookback)
        if first is not None and first <= now:
            break
        lookback *= 2
    else:
        return None
    # Compared in UTC: within one zone Python compares wall times and ignores the fold.
    fire = first.astimezone(timezone.utc)
    while True:
        following = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
        if following is None:
            return fire
        following = following.astimezone(timezone.utc)
        # `following <= fire`: APScheduler's cron can step back in October's repeated hour;
        # stop there rather than go round (the slot key makes either firing the same run).
        if following > now or following <= fire:
            return fire
        fire = following


def slot_of(trigger: BaseTrigger, fire_time: datetime) -> str:
    """The claim key of a firing: UTC time for intervals, local wall-clock time for cron."""
    if isinstance(trigger, CronTrigger) and trigger.timezone.key != "UTC":
        local = fire_time.astimezone(trigger.timezone)
        return f"{local:%Y-%m-%dT%H:%M} {trigger.timezone.key}"[:40]
    return fire_time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def slot_for(trigger: BaseTrigger, now: datetime) -> str | None:
    """The slot of the firing that is due at `now`."""
    fire = latest_fire_time(trigger, now)
    return None if fire is None else slot_of(trigger, fire)


def run_scheduled(app: Flask, name: str, trigger: BaseTrigger) -> None:
    """What APScheduler calls: claim this firing's slot and run the job (in an app context)."""
    with app.app_context():
        now = utcnow()
        slot = slot_for(trigger, now)
        if slot is None:
            return
        run_job(JOBS[name], slot=slot, now=now, host=host_id())


def schedules(app: Flask) -> dict[str, dict]:
    """The configured schedule of each job that is scheduled."""
    configured = app.config.get("JOB_SCHEDULES") or {}
    unknown = set(configured) - set(JOBS)
    if unknown:
        raise ValueError(f"JOB_SCHEDULES names unknown jobs: {', '.join(sorted(unknown))}")
    return {name: spec for name, spec in configured.items() if spec}


def build_scheduler(app: Flask) -> BlockingScheduler:
    """A BlockingScheduler with every scheduled job: coalesced, one instance at a time."""
    zone = app.config.get("DISPLAY_TIMEZONE", "Europe/Amsterdam")
    grace = int(app.config.get("JOB_MISFIRE_GRACE_SECONDS", 300))
    # Each running job uses two database connections (its work and, on PostgreSQL, its
    # lock); four at a time stays well inside the connection pool.
    scheduler = BlockingScheduler(executors={"default": ThreadPoolExecutor(4)},
                                  timezone=timezone.utc)
    for name, spec in schedules(app).items():
        trigger = trigger_for(spec, default_timezone=zone)
        scheduler.add_job(run_scheduled, trigger, args=(app, name, trigger), id=name,
                          name=name, coalesce=True, max_instances=1, misfire_grace_time=grace,
                          replace_existing=True)
    return scheduler


def serve(app: Flask, *, run_for: float | None = None) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C (or `run_for` seconds)."""
    scheduler = build_scheduler(app)
    with app.app_context():
        # Runs a killed scheduler left "running" are recorded as abandoned.
        abandon_stale_runs(starting=True)
    if run_for is not None:
        # A timer, not a job of the scheduler: a "date" job that shuts the scheduler down
        # races its own removal after running (JobLookupError from the main loop).
        timer = threading.Timer(run_for, scheduler.shutdown, kwargs={"wait": False})
        timer.daemon = True
        timer.start()

    def stop(signum, frame):
        # Let running jobs finish their unit; anything left is picked up by the next run.
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler %s started with jobs: %s", host_id(),
             ", ".join(job.id for job in scheduler.get_jobs()) or "none")
    try:
        scheduler.start()
    except KeyboardInterrupt:
        scheduler.shutdown(wait=False)
