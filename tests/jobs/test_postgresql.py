"""Two real scheduler processes against one PostgreSQL database run each due slot once."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.jobs.models import JobRun
from tests.bookings.helpers import World, direct_booking
from tests.jobs.helpers import outbox_keys

ROOT = Path(__file__).resolve().parents[2]
SCHEDULER = ROOT / ".venv" / "bin" / "duidingspool"
RAN = re.compile(r"job (\w+) slot (\S+): running")
CLAIMED_ELSEWHERE = re.compile(r"job (\w+) slot (\S+): claimed elsewhere")
WANTED_SLOTS = 5
RUN_SECONDS = 9  # each scheduler stops by itself after this (--run-for)
TIMEOUT_SECONDS = 40


def _start(env, log_path):
    log = open(log_path, "w")
    process = subprocess.Popen([str(SCHEDULER), "scheduler", "--run-for", str(RUN_SECONDS)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    return process, log


@pytest.mark.postgresql_only
def test_two_scheduler_processes_run_each_slot_once(app, migrated, tmp_path):
    w = World()
    soon = utcnow().replace(microsecond=0) + timedelta(hours=3)
    booking = direct_booking(w.request(starts_at=soon), w.expert(), created_by=w.coordinator)
    db.session.commit()
    env = {**os.environ, "DUIDINGSPOOL_CONFIG": "testing", "DATABASE_URL": migrated,
           "DUIDINGSPOOL_INSTANCE_PATH": str(tmp_path),
           "DUIDINGSPOOL_JOB_SCHEDULES": json.dumps({"session_reminders": {"seconds": 1},
                                                     "expire_offers": {"seconds": 2}})}
    started = [_start(env, tmp_path / f"scheduler-{i}.log") for i in (1, 2)]
    try:
        for process, _log in started:
            assert process.wait(timeout=TIMEOUT_SECONDS) == 0
    finally:
        for process, log in started:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    db.session.rollback()

    logs = [(tmp_path / f"scheduler-{i}.log").read_text() for i in (1, 2)]
    runs = list(db.session.scalars(select(JobRun).order_by(JobRun.id)))
    reminder_slots = [r.slot for r in runs if r.name == "session_reminders"]
    assert len(reminder_slots) >= WANTED_SLOTS, logs
    # Each (job, slot) has one row, and one process ran it.
    assert Counter((r.name, r.slot) for r in runs).most_common(1)[0][1] == 1
    ran = Counter(m for text in logs for m in RAN.findall(text))
    assert set(ran) == {(r.name, r.slot) for r in runs}
    assert max(ran.values()) == 1
    # Both processes competed: slots they both reached were claimed by one, refused to the other.
    assert sum(len(CLAIMED_ELSEWHERE.findall(text)) for text in logs) >= 1, logs
    assert all(r.outcome == "ok" for r in runs if r.finished_at is not None)
    # The reminder went out once, however many slots ran.
    assert outbox_keys("reminder:") == [
        f"reminder:booking:{booking.id}:{booking.starts_at.isoformat()}"]
