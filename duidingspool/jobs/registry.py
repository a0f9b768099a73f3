"""The background jobs: thin wrappers that call a service per unit of work and commit it.

Every job takes `now` (the clock, so tests control it) and `commit` (called after each unit
of work: a crash loses at most the unit in progress, and a rerun picks up the rest). Business
rules stay in the services; the claims that make a job idempotent live there too (outbox
dedupe keys, compare-and-swap updates, unique constraints).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from duidingspool.bookings import reminders
from duidingspool.bookings.services import close_past, expire_due_offers
from duidingspool.budget.services import raise_threshold_warnings
from duidingspool.casetables import services as casetables
from duidingspool.casetables.models import CaseTable, ScheduleSource
from duidingspool.errors import DomainError
from duidingspool.experts.models import Expert
from duidingspool.experts.services import refresh_busy_calendar
from duidingspool.extensions import db
from duidingspool.mail.services import send_due
from duidingspool.referrals.services import purge_expired
from duidingspool.timeutil import to_local

log = logging.getLogger(__name__)


@dataclass
class JobResult:
    """What a run did: units processed, and the units that failed (reported, never fatal)."""
    processed: int = 0
    errors: list[str] = field(default_factory=list)
    note: str | None = None

    def summary(self) -> str:
        parts = [self.note] if self.note else []
        if self.errors:
            parts.append(f"{len(self.errors)} failed: " + "; ".join(self.errors))
        return " ".join(parts)


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    func: Callable[..., JobResult]


def _each(ids, work, *, commit, label: str) -> JobResult:
    """Run `work(id)` per id with a commit after each; a failing unit is rolled back and
    reported while the others go on (fetching a URL someone else serves may always fail)."""
    result = JobResult()
    for obj_id in ids:
        try:
            work(obj_id)
        except Exception as exc:  # noqa: BLE001 (reported in the run; the next unit goes on)
            db.session.rollback()
            message = exc.message if isinstance(exc, DomainError) else type(exc).__name__
            if not isinstance(exc, DomainError):
                log.exception("%s %s failed", label, obj_id)
            result.errors.append(f"{label} {obj_id}: {message}")
            continue
        commit()
        result.processed += 1
    return result


def expire_offers(*, now: datetime, commit) -> JobResult:
    """Expire pending offers past their deadline; the next queued expert gets the offer."""
    return JobResult(processed=expire_due_offers(now=now, commit_each=commit))


def close_past_sessions(*, now: datetime, commit) -> JobResult:
    """Complete bookings of past sessions; requests nobody took in time become unfilled."""
    return JobResult(processed=close_past(now=now, commit_each=commit))


def send_mail(*, now: datetime, commit) -> JobResult:
    """Deliver queued outbox messages through SMTP (nothing without SMTP_HOST)."""
    sent, failed = send_due(now=now, commit_each=commit)
    commit()
    return JobResult(processed=sent, note=f"{failed} attempts failed, retried later"
                     if failed else None)


def session_reminders(*, now: datetime, commit) -> JobResult:
    """Remind experts of a booked session REMINDER_BEFORE_HOURS ahead."""
    return JobResult(processed=reminders.queue_session_reminders(now=now, commit_each=commit))


def hours_reminders(*, now: datetime, commit) -> JobResult:
    """Remind experts, at most weekly, to log hours of past sessions."""
    return JobResult(processed=reminders.queue_hours_reminders(now=now, commit_each=commit))


def budget_warnings(*, now: datetime, commit) -> JobResult:
    """Raise the year's budget threshold warnings that were reached."""
    raised = raise_threshold_warnings(year=to_local(now).year, now=now)
    commit()
    return JobResult(processed=len(raised))


def refresh_case_table_calendars(*, now: datetime, commit) -> JobResult:
    """Import the ICS URLs of case tables whose sessions come from one; a failing URL keeps
    the sessions of the last good import and is reported."""
    ids = db.session.scalars(
        select(CaseTable.id).where(CaseTable.is_active.is_(True),
                                   CaseTable.schedule_source == ScheduleSource.ICS,
                                   CaseTable.ics_url.is_not(None))
        .order_by(CaseTable.id)).all()

    def work(table_id):
        casetables.import_ics_url(actor=None, case_table=db.session.get(CaseTable, table_id),
                                  now=now)

    return _each(ids, work, commit=commit, label="case table")


def refresh_busy_calendars(*, now: datetime, commit) -> JobResult:
    """Refresh experts' busy calendars; a failing URL keeps the last good busy times."""
    ids = db.session.scalars(
        select(Expert.id).where(Expert.is_active.is_(True), Expert.busy_ics_url.is_not(None))
        .order_by(Expert.id)).all()

    def work(expert_id):
        refresh_busy_calendar(actor=None, expert=db.session.get(Expert, expert_id), now=now)

    return _each(ids, work, commit=commit, label="expert")


def generate_sessions(*, now: datetime, commit) -> JobResult:
    """Extend the sessions of case tables with a recurrence rule up to the horizon."""
    ids = db.session.scalars(
        select(CaseTable.id).where(CaseTable.is_active.is_(True),
                                   CaseTable.schedule_source == ScheduleSource.RECURRENCE)
        .order_by(CaseTable.id)).all()

    def work(table_id):
        casetables.generate_sessions(actor=None, case_table=db.session.get(CaseTable, table_id),
                                     now=now)

    return _each(ids, work, commit=commit, label="case table")


def retention_purge(*, now: datetime, commit) -> JobResult:
    """Erase question texts and case codes past the retention period, a batch at a time."""
    total = 0
    while erased := purge_expired(now=now):
        commit()
        total += erased
    return JobResult(processed=total)


JOBS: dict[str, Job] = {
    job.name: job for job in (
        Job("expire_offers", "Expire unanswered offers and offer the next expert in the queue",
            expire_offers),
        Job("close_past_sessions", "Complete past bookings; mark untaken requests unfilled",
            close_past_sessions),
        Job("send_mail", "Send queued e-mail through SMTP", send_mail),
        Job("session_reminders", "Remind experts of a booked session", session_reminders),
        Job("hours_reminders", "Remind experts to log hours after a session", hours_reminders),
        Job("budget_warnings", "Raise budget threshold warnings", budget_warnings),
        Job("refresh_case_table_calendars", "Import case tables' ICS calendar URLs",
            refresh_case_table_calendars),
        Job("refresh_busy_calendars", "Refresh experts' busy calendars", refresh_busy_calendars),
        Job("generate_sessions", "Generate sessions from case tables' recurrence rules",
            generate_sessions),
        Job("retention_purge", "Erase question texts and case codes after the retention period",
            retention_purge),
    )
}
