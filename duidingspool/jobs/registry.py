"""The background jobs: thin wrappers that call a service per unit of work and commit it.

Every job takes `now` (the clock, so tests control it). A job over many items makes each
item its own unit of work (`_each`, `_committed`): a crash loses at most the unit in
progress, and a rerun picks up the rest; the runner commits what a job does beyond that.
These wrappers are the jobs' edge, like a view: business rules stay in the services, and so
do the claims that make a job idempotent (outbox dedupe keys, compare-and-swap updates,
unique constraints).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select

from duidingspool.bookings import services as bookings
from duidingspool.bookings import standing
from duidingspool.budget.services import raise_threshold_warnings, warning_years
from duidingspool.casetables import services as casetables
from duidingspool.casetables.models import CaseTable, ScheduleSource
from duidingspool.errors import DomainError
from duidingspool.experts.models import Expert
from duidingspool.experts.services import purge_absence_reasons, refresh_busy_calendar
from duidingspool.extensions import db, unit_of_work
from duidingspool.mail import reminders
from duidingspool.mail import results as results_mail
from duidingspool.mail import services as mail
from duidingspool.referrals.services import purge_expired
from duidingspool.results import services as results

log = logging.getLogger(__name__)
T = TypeVar("T")


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


def _each(ids, work, *, label: str) -> JobResult:
    """Run `work(id)` per id, each its own unit of work: committed, or rolled back and
    reported while the others go on (fetching a URL someone else serves may always fail).
    Counts the units whose work did not answer False (nothing left to do)."""
    result = JobResult()
    for obj_id in ids:
        try:
            with unit_of_work():
                done = work(obj_id)
        except Exception as exc:  # noqa: BLE001 (reported in the run; the next unit goes on)
            message = exc.message if isinstance(exc, DomainError) else type(exc).__name__
            if not isinstance(exc, DomainError):
                log.exception("%s %s failed", label, obj_id)
            result.errors.append(f"{label} {obj_id}: {message}")
            continue
        if done is not False:
            result.processed += 1
    return result


def _committed(steps: Iterable[T]) -> Iterator[T]:
    """Commit after each unit of work a service yields, so a crash loses at most the unit
    in progress and a rerun picks up the rest."""
    for outcome in steps:
        db.session.commit()
        yield outcome


def expire_offers(*, now: datetime) -> JobResult:
    """Expire pending offers past their deadline; the next queued expert gets the offer."""
    return _each(bookings.due_offer_ids(now=now),
                 lambda offer_id: bookings.expire_offer(offer_id=offer_id, now=now),
                 label="offer")


def urgent_escalation(*, now: datetime) -> JobResult:
    """Expire unanswered offers of urgent requests (answer deadlines of hours) and pass
    each request to the next ranked candidate; after the last one the coordinators are
    alerted. Runs every minute; expire_offers would reach them too, later (the
    compare-and-swap expires each offer once, whichever job comes first)."""
    return _each(bookings.due_urgent_offer_ids(now=now),
                 lambda offer_id: bookings.expire_offer(offer_id=offer_id, now=now),
                 label="offer")


def close_past_sessions(*, now: datetime) -> JobResult:
    """Complete bookings of past sessions; requests nobody took in time become unfilled."""
    completed = _each(bookings.ended_booking_ids(now=now),
                      lambda booking_id: bookings.complete_booking(booking_id=booking_id,
                                                                   now=now),
                      label="booking")
    unfilled = _each(bookings.overdue_referral_ids(now=now),
                     lambda referral_id: bookings.mark_unfilled(referral_id=referral_id,
                                                                now=now),
                     label="request")
    return JobResult(processed=completed.processed + unfilled.processed,
                     errors=completed.errors + unfilled.errors)


def send_mail(*, now: datetime) -> JobResult:
    """Deliver queued outbox messages through SMTP (nothing without SMTP_HOST)."""
    outcomes = list(_committed(mail.sending(now=now)))
    sent, failed = outcomes.count(True), outcomes.count(False)
    return JobResult(processed=sent, note=f"{failed} attempts failed, retried later"
                     if failed else None)


def offer_reminders(*, now: datetime) -> JobResult:
    """Remind experts, once per offer, to answer an offer whose deadline is near."""
    return _each(reminders.offer_reminder_ids(now=now),
                 lambda offer_id: reminders.remind_offer(offer_id=offer_id, now=now),
                 label="offer")


def session_reminders(*, now: datetime) -> JobResult:
    """Remind experts of a booked session REMINDER_BEFORE_HOURS ahead."""
    return _each(reminders.session_reminder_ids(now=now),
                 lambda booking_id: reminders.remind_session(booking_id=booking_id, now=now),
                 label="booking")


def hours_reminders(*, now: datetime) -> JobResult:
    """Remind experts, at most weekly, to log hours of past sessions."""
    return _each(reminders.hours_reminder_ids(now=now),
                 lambda booking_id: reminders.remind_hours(booking_id=booking_id, now=now),
                 label="booking")


def budget_warnings(*, now: datetime) -> JobResult:
    """Raise the budget threshold warnings that were reached, this year's and those of later
    years with a budget (bookings commit money to the year of their session)."""
    raised = [warning for year in warning_years(now=now)
              for warning in raise_threshold_warnings(year=year, now=now)]
    return JobResult(processed=len(raised))


def refresh_case_table_calendars(*, now: datetime) -> JobResult:
    """Import the ICS URLs of case tables whose sessions come from one; a failing URL keeps
    the sessions of the last good import and is reported."""
    ids = db.session.scalars(
        select(CaseTable.id).where(CaseTable.is_active.is_(True),
                                   CaseTable.schedule_source == ScheduleSource.ICS,
                                   CaseTable.ics_url.is_not(None)).order_by(CaseTable.id)).all()

    def work(table_id):
        casetables.import_ics_url(actor=None, case_table=db.session.get(CaseTable, table_id),
                                  now=now)

    return _each(ids, work, label="case table")


def refresh_busy_calendars(*, now: datetime) -> JobResult:
    """Refresh experts' busy calendars; a failing URL keeps the last good busy times."""
    ids = db.session.scalars(
        select(Expert.id).where(Expert.is_active.is_(True), Expert.busy_ics_url.is_not(None))
        .order_by(Expert.id)).all()

    def work(expert_id):
        refresh_busy_calendar(actor=None, expert=db.session.get(Expert, expert_id), now=now)

    return _each(ids, work, label="expert")


def generate_sessions(*, now: datetime) -> JobResult:
    """Extend the sessions of case tables with a recurrence rule up to the horizon."""
    ids = db.session.scalars(
        select(CaseTable.id).where(CaseTable.is_active.is_(True),
                                   CaseTable.schedule_source == ScheduleSource.RECURRENCE)
        .order_by(CaseTable.id)).all()

    def work(table_id):
        casetables.generate_sessions(actor=None, case_table=db.session.get(CaseTable, table_id),
                                     now=now)

    return _each(ids, work, label="case table")


def extend_standing_series(*, now: datetime) -> JobResult:
    """Book (or list as needing a substitute) the sessions added to a standing series'
    period since; expire series offers nobody answered."""
    return _each(standing.due_series_ids(now=now),
                 lambda series_id: standing.extend_series(series_id=series_id, now=now),
                 label="standing series")


def retention_purge(*, now: datetime) -> JobResult:
    """Erase question texts, case codes and the free text that goes with them past the
    retention period, a batch at a time; then the reasons of absences that ended as long ago."""

    def batches():
        while erased := purge_expired(now=now):
            yield erased
        # Then the remarks and complaint texts about the requests just purged.
        yield results.purge_texts()

    processed = sum(_committed(batches()))
    absences = purge_absence_reasons(now=now)
    return JobResult(processed=processed,
                     note=f"{absences} absence reasons erased" if absences else None)


def evaluation_requests(*, now: datetime) -> JobResult:
    """Ask requesters, once per session held, to evaluate it."""
    return _each(results.evaluation_request_ids(now=now),
                 lambda booking_id: results_mail.ask_evaluation(booking_id, now=now),
                 label="booking")


def complaint_flags(*, now: datetime) -> JobResult:
    """Flag complaints without a decision after COMPLAINT_FLAG_DAYS; alert the coordinators."""
    return _each(results.overdue_complaint_ids(now=now),
                 lambda complaint_id: results.flag_overdue(complaint_id, now=now),
                 label="complaint")


JOBS: dict[str, Job] = {
    job.name: job for job in (
        Job("expire_offers", "Expire unanswered offers and offer the next expert in the queue",
            expire_offers),
        Job("urgent_escalation", "Pass unanswered urgent requests to the next ranked expert; "
            "alert the coordinators after the last", urgent_escalation),
        Job("close_past_sessions", "Complete past bookings; mark untaken requests unfilled",
            close_past_sessions),
        Job("send_mail", "Send queued e-mail through SMTP", send_mail),
        Job("offer_reminders", "Remind experts of an offer whose answer deadline is near",
            offer_reminders),
        Job("session_reminders", "Remind experts of a booked session", session_reminders),
        Job("hours_reminders", "Remind experts to log hours after a session", hours_reminders),
        Job("budget_warnings", "Raise budget threshold warnings", budget_warnings),
        Job("refresh_case_table_calendars", "Import case tables' ICS calendar URLs",
            refresh_case_table_calendars),
        Job("refresh_busy_calendars", "Refresh experts' busy calendars", refresh_busy_calendars),
        Job("generate_sessions", "Generate sessions from case tables' recurrence rules",
            generate_sessions),
        Job("extend_standing_series", "Add new sessions to standing specialists' series; "
            "expire unanswered series offers", extend_standing_series),
        Job("retention_purge", "Erase question texts and case codes after the retention period",
            retention_purge),
        Job("evaluation_requests", "Ask requesters to evaluate sessions held",
            evaluation_requests),
        Job("complaint_flags", "Flag complaints without a decision and alert the coordinators",
            complaint_flags),
    )
}
