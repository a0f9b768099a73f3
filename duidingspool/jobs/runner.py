"""Running a job exactly once per slot: the claim, the run, and its record.

A run starts by inserting JobRun(name, slot) in a transaction of its own: (name, slot) is
unique, so of several scheduler processes that wake for the same slot only the one whose
insert succeeds runs the job. On PostgreSQL the run also holds an advisory lock per job, so
two runs of one job never overlap (a slow run and the next slot's, or a manual run); a run
that finds the lock taken ends at once as skipped. The job's own units of work commit one by
one; they are idempotent by their own claims (outbox keys, compare-and-swap updates).

This module is the jobs' edge, like a view: it commits, through `unit_of_work`.
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from duidingspool.db import utcnow
from duidingspool.errors import DomainError
from duidingspool.extensions import db, unit_of_work
from duidingspool.jobs.models import JobRun
from duidingspool.jobs.registry import Job, JobResult

log = logging.getLogger(__name__)

# Advisory-lock namespace for "a job is running" (PostgreSQL only); bookings use 7301.
_JOB_LOCK = 7302
OK, FAILED, RUNNING = "ok", "failed", "running"
SKIPPED = "skipped: another run of this job was still busy"
# The detail of a run whose process stopped (killed, crashed, machine restarted) before it
# could record how the run ended; its outcome becomes failed.
ABANDONED = "abandoned: the process running it stopped before the run finished"


def host_id() -> str:
    """This process: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def manual_slot(now: datetime | None = None) -> str:
    """The slot of a run started by hand (`duidingspool jobs run`)."""
    return f"manual-{(now or utcnow()).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"


def claim(*, name: str, slot: str, host: str | None = None) -> int | None:
    """Insert the run's row and commit it; its id, or None when someone else claimed the slot."""
    run = JobRun(name=name, slot=slot, host=host or host_id(), started_at=utcnow(),
                 outcome=RUNNING, processed=0)
    try:
        with unit_of_work():
            db.session.add(run)
    except IntegrityError:
        return None
    return run.id


def finish(*, run_id: int, outcome: str, processed: int = 0, detail: str | None = None) -> None:
    """Record how the run ended, and commit."""
    with unit_of_work():
        run = db.session.get(JobRun, run_id)
        run.outcome = outcome
        run.processed = processed
        run.detail = (detail or None) and detail[:500]
        run.finished_at = utcnow()


@contextmanager
def _exclusive(name: str):
    """Yield whether this process may run job `name` now (PostgreSQL: an advisory lock held
    on a connection of its own for the run; elsewhere always True)."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    key = zlib.crc32(name.encode()) & 0x7FFFFFFF
    with db.engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"),
                           {"ns": _JOB_LOCK, "key": key}).scalar()
        conn.commit()  # the lock belongs to the connection, not to a transaction
        try:
            yield bool(got)
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"),
                             {"ns": _JOB_LOCK, "key": key})
                conn.commit()


def run_job(job: Job, *, slot: str, now: datetime | None = None,
            host: str | None = None) -> JobRun | None:
    """Claim (job, slot) and run it; the finished run, or None when another process has it.

    A failing job is recorded as failed with the error's class (and our own message for a
    DomainError); what its finished units committed stays.
    """
    run_id = claim(name=job.name, slot=slot, host=host)
    if run_id is None:
        log.info("job %s slot %s: claimed elsewhere, not run", job.name, slot)
        return None
    with _exclusive(job.name) as free:
        if not free:
            log.info("job %s slot %s: %s", job.name, slot, SKIPPED)
            finish(run_id=run_id, outcome=OK, detail=SKIPPED)
            return db.session.get(JobRun, run_id)
        log.info("job %s slot %s: running", job.name, slot)
        try:
            with unit_of_work():  # what the job does beyond its own units of work
                result: JobResult = job.func(now=now or utcnow())
        except Exception as exc:  # noqa: BLE001 (recorded in the run, then the next slot)
            if isinstance(exc, DomainError):
                detail = f"{type(exc).__name__}: {exc.message}"
            else:
                detail = type(exc).__name__
                log.exception("job %s slot %s failed", job.name, slot)
            finish(run_id=run_id, outcome=FAILED, detail=detail)
        else:
            outcome = FAILED if result.errors else OK
            finish(run_id=run_id, outcome=outcome, processed=result.processed,
                   detail=result.summary())
            log.info("job %s slot %s: %s, %d processed", job.name, slot, outcome,
                     result.processed)
    return db.session.get(JobRun, run_id)


def _process_gone(host: str | None, *, starting: bool) -> bool:
    """Whether the process that claimed a run (`host_id()`) is known to be gone: it ran on
    this machine and no process has its id now. A scheduler that is `starting` has run
    nothing yet, so a run under its own process id is a previous process's (containers
    often give a restarted process the same id)."""
    name, _sep, pid = (host or "").rpartition(":")
    if name != host_id().rpartition(":")[0] or not pid.isdigit():
        return False  # another machine: only the timeout can tell
    if int(pid) == os.getpid():
        return starting
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False
    return False


def abandon_stale_runs(*, now: datetime | None = None, starting: bool = False) -> int:
    """Mark runs left "running" by a process that is gone, or running for longer than
    JOB_RUN_TIMEOUT_MINUTES, as failed (abandoned), and commit; how many.

    A process killed in the middle of a run never records its end; without this the run
    would show as running forever. A run that still finishes later records its real outcome.
    """
    now = now or utcnow()
    minutes = float(current_app.config.get("JOB_RUN_TIMEOUT_MINUTES", 180))
    cutoff = now - timedelta(minutes=minutes)
    with unit_of_work():
        running = db.session.execute(
            select(JobRun.id, JobRun.host, JobRun.started_at)
            .where(JobRun.outcome == RUNNING)).all()
        stale = [run_id for run_id, host, started_at in running
                 if started_at < cutoff or _process_gone(host, starting=starting)]
        if not stale:
            return 0
        # Compare-and-swap on the outcome: a run that finished meanwhile keeps its own.
        db.session.execute(
            update(JobRun).where(JobRun.id.in_(stale), JobRun.outcome == RUNNING)
            .values(outcome=FAILED, detail=ABANDONED, finished_at=now)
            .execution_options(synchronize_session=False))
    for run_id in stale:
        log.warning("job run %d: %s", run_id, ABANDONED)
    return len(stale)


def last_runs() -> dict[str, JobRun]:
    """The latest run of each job, by name."""
    latest = (select(JobRun.name, func.max(JobRun.id).label("id"))
              .group_by(JobRun.name).subquery())
    runs = db.session.scalars(select(JobRun).join(latest, latest.c.id == JobRun.id))
    return {run.name: run for run in runs}
