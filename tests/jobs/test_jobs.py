"""Each job run through the claim, with a controllable clock: what it did, and only once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from duidingspool.audit.models import AuditEvent
from duidingspool.bookings import services as bookings
from duidingspool.bookings.models import Offer, OfferStatus
from duidingspool.budget.models import BudgetWarning
from duidingspool.casetables.models import ScheduleSource, SittingStatus
from duidingspool.experts.models import BusyInterval
from duidingspool.extensions import db
from duidingspool.hours.models import HourLine
from duidingspool.jobs.models import JobRun
from duidingspool.jobs.registry import JOBS, Job, JobResult
from duidingspool.jobs.runner import claim, run_job
from duidingspool.mail import reminders
from duidingspool.referrals.models import Referral, ReferralStatus
from tests import factories as f
from tests.bookings.helpers import World
from tests.casetables.helpers import MONTHLY_SERIES, calendar, serving, sittings_of
from tests.hours.helpers import Priced
from tests.factories import count
from tests.jobs.helpers import CrashOnUnit, job_runs, outbox_keys

NEW_YEAR_2027 = datetime(2027, 1, 1, 12, 0, tzinfo=timezone.utc)


# --- claims ------------------------------------------------------------------------------------

def test_claim_of_same_slot_twice_runs_once(app):
    first = claim(name="expire_offers", slot="2026-03-01T10:05:00Z")
    second = claim(name="expire_offers", slot="2026-03-01T10:05:00Z")

    assert first is not None
    assert second is None
    assert [(r.name, r.slot, r.outcome) for r in job_runs()] == [
        ("expire_offers", "2026-03-01T10:05:00Z", "running")]


def test_claim_of_other_slot_or_job_is_free(app):
    assert claim(name="expire_offers", slot="2026-03-01T10:05:00Z") is not None
    assert claim(name="expire_offers", slot="2026-03-01T10:10:00Z") is not None
    assert claim(name="send_mail", slot="2026-03-01T10:05:00Z") is not None


def test_run_job_twice_in_same_slot_runs_once(app):
    world = Priced()
    booking = world.booking("2026-03-10T13:00")
    db.session.commit()
    now = booking.starts_at - timedelta(hours=3)

    run = run_job(JOBS["session_reminders"], slot="2026-03-10T09:00:00Z", now=now)
    again = run_job(JOBS["session_reminders"], slot="2026-03-10T09:00:00Z", now=now)

    assert (run.outcome, run.processed, run.finished_at is not None) == ("ok", 1, True)
    assert again is None
    assert len(outbox_keys("reminder:")) == 1


def test_run_job_in_next_slot_sends_nothing_twice(app):
    world = Priced()
    booking = world.booking("2026-03-10T13:00")
    db.session.commit()
    now = booking.starts_at - timedelta(hours=3)

    run_job(JOBS["session_reminders"], slot="a", now=now)
    second = run_job(JOBS["session_reminders"], slot="b", now=now + timedelta(minutes=15))

    assert (second.outcome, second.processed) == ("ok", 0)
    assert len(outbox_keys("reminder:")) == 1


def test_crash_mid_job_is_recorded_and_rerun_completes_the_rest(app, monkeypatch):
    world = Priced()
    first = world.booking("2026-03-10T09:00")
    second = world.booking("2026-03-10T13:00")
    db.session.commit()
    now = datetime(2026, 3, 9, 18, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(reminders, "remind_session", CrashOnUnit(2, reminders.remind_session))

    failed = run_job(JOBS["session_reminders"], slot="first", now=now)
    assert (failed.outcome, failed.processed, failed.detail) == (
        "failed", 1, f"1 failed: booking {second.id}: RuntimeError")
    assert outbox_keys("reminder:") == [f"reminder:booking:{first.id}:2026-03-10T08:00:00+00:00"]

    monkeypatch.undo()
    rerun = run_job(JOBS["session_reminders"], slot="second", now=now)
    assert (rerun.outcome, rerun.processed) == ("ok", 1)
    assert outbox_keys("reminder:") == [
        f"reminder:booking:{first.id}:2026-03-10T08:00:00+00:00",
        f"reminder:booking:{second.id}:2026-03-10T12:00:00+00:00",
    ]


# --- offer expiry ---------------------------------------------------------------------------

def _offer_statuses(referral) -> list[str]:
    return list(db.session.scalars(select(Offer.status).where(Offer.referral_id == referral.id)
                                   .order_by(Offer.queue_position, Offer.id)))


def test_expire_offers_cascades_to_next_expert_once(app):
    w = World()
    referral = w.request()
    first, second = w.expert(), w.expert()
    offers = bookings.make_offers(actor=w.coordinator, referral=referral,
                                  expert_ids=[first.id, second.id])
    db.session.commit()
    later = offers[0].expires_at + timedelta(seconds=1)

    run = run_job(JOBS["expire_offers"], slot="1", now=later)
    again = run_job(JOBS["expire_offers"], slot="2", now=later)

    assert (run.outcome, run.processed) == ("ok", 1)
    assert (again.outcome, again.processed) == ("ok", 0)
    assert _offer_statuses(referral) == [OfferStatus.EXPIRED, OfferStatus.PENDING]


def test_crash_mid_expiry_keeps_first_expired_and_rerun_expires_the_rest(app, monkeypatch):
    w = World()
    one, two = w.request(), w.request()
    expert_a, expert_b = w.expert(), w.expert()
    [offer_one] = bookings.make_offers(actor=w.coordinator, referral=one, expert_ids=[expert_a.id])
    [offer_two] = bookings.make_offers(actor=w.coordinator, referral=two, expert_ids=[expert_b.id])
    db.session.commit()
    later = max(offer_one.expires_at, offer_two.expires_at) + timedelta(seconds=1)

    monkeypatch.setattr(bookings, "expire_offer", CrashOnUnit(2, bookings.expire_offer))
    crashed = run_job(JOBS["expire_offers"], slot="crash", now=later)
    assert (crashed.outcome, crashed.processed) == ("failed", 1)
    assert sorted([*_offer_statuses(one), *_offer_statuses(two)]) == [
        OfferStatus.EXPIRED, OfferStatus.PENDING]

    monkeypatch.undo()
    run = run_job(JOBS["expire_offers"], slot="rerun", now=later)
    assert run.processed == 1
    assert [*_offer_statuses(one), *_offer_statuses(two)] == [OfferStatus.EXPIRED] * 2


# --- budget -------------------------------------------------------------------------------------

def test_budget_warnings_raised_once(app):
    world = Priced(amount="100.00")
    world.line(world.booking("2026-03-10T13:00"), minutes=60, amount="80.00")
    db.session.commit()
    now = datetime(2026, 7, 2, 12, 0, tzinfo=timezone.utc)

    run = run_job(JOBS["budget_warnings"], slot="1", now=now)
    again = run_job(JOBS["budget_warnings"], slot="2", now=now)

    assert (run.processed, again.processed) == (1, 0)
    assert [(w.threshold, w.allocation_key) for w in db.session.scalars(select(BudgetWarning))] == [
        (75, 0)]


def test_budget_warnings_job_also_checks_next_years_budget(app):
    world = Priced(amount="100.00")
    world.budget.year = 2027
    world.booking("2027-03-10T13:00", minutes=50)  # 79.58 committed to 2027
    db.session.commit()
    now = datetime(2026, 7, 2, 12, 0, tzinfo=timezone.utc)

    run = run_job(JOBS["budget_warnings"], slot="1", now=now)

    assert run.processed == 1
    assert [(w.threshold, w.allocation_key) for w in db.session.scalars(select(BudgetWarning))] == [
        (75, 0)]


# --- calendars ----------------------------------------------------------------------------------

def _ics_table(url: str):
    return f.case_table(schedule_source=ScheduleSource.ICS, rrule=None,
                        first_session_start=None, ics_url=url)


def test_case_table_refresh_imports_the_feed(app):
    with serving({"/twente.ics": (200, calendar(MONTHLY_SERIES))}) as base:
        table = _ics_table(f"{base}/twente.ics")
        db.session.commit()
        run = run_job(JOBS["refresh_case_table_calendars"], slot="1", now=NEW_YEAR_2027)

    assert (run.outcome, run.processed, run.detail) == ("ok", 1, None)
    assert len(sittings_of(table)) == 9


def test_failing_case_table_url_keeps_last_good_sessions_and_is_reported(app):
    routes = {"/twente.ics": (200, calendar(MONTHLY_SERIES)), "/other.ics": (200, b"")}
    with serving(routes) as base:
        table = _ics_table(f"{base}/twente.ics")
        other = _ics_table(f"{base}/other.ics")
        routes["/other.ics"] = (200, calendar(MONTHLY_SERIES.replace("twente", "other")))
        db.session.commit()
        run_job(JOBS["refresh_case_table_calendars"], slot="good", now=NEW_YEAR_2027)
        before = [(s.starts_at, s.status) for s in sittings_of(table)]

        routes["/twente.ics"] = (500, b"down")
        run = run_job(JOBS["refresh_case_table_calendars"], slot="bad", now=NEW_YEAR_2027)

    assert len(before) == 9
    assert [(s.starts_at, s.status) for s in sittings_of(table)] == before
    assert all(s.status == SittingStatus.SCHEDULED for s in sittings_of(table))
    assert (run.outcome, run.processed) == ("failed", 1)
    assert run.detail == (f"1 failed: case table {table.id}: The calendar could not be fetched: "
                          "the server answered 500")
    assert len(sittings_of(other)) == 9


BUSY = """UID:busy-1@example.org
DTSTAMP:20261201T000000Z
DTSTART:20270105T090000Z
DTEND:20270105T110000Z
SUMMARY:Private appointment
"""


def test_failing_busy_calendar_keeps_last_good_busy_times_and_is_reported(app):
    routes = {"/busy.ics": (200, calendar(BUSY))}
    with serving(routes) as base:
        expert = f.expert(busy_ics_url=f"{base}/busy.ics")
        db.session.commit()
        good = run_job(JOBS["refresh_busy_calendars"], slot="good", now=NEW_YEAR_2027)
        routes["/busy.ics"] = (404, b"gone")
        bad = run_job(JOBS["refresh_busy_calendars"], slot="bad", now=NEW_YEAR_2027)

    busy = [(b.starts_at, b.ends_at) for b in db.session.scalars(
        select(BusyInterval).where(BusyInterval.expert_id == expert.id))]
    assert (good.outcome, good.processed) == ("ok", 1)
    assert busy == [(datetime(2027, 1, 5, 9, 0, tzinfo=timezone.utc),
                     datetime(2027, 1, 5, 11, 0, tzinfo=timezone.utc))]
    assert (bad.outcome, bad.processed) == ("failed", 0)
    assert bad.detail.startswith(f"1 failed: expert {expert.id}: The calendar could not be fetched")


def test_generate_sessions_job_is_idempotent(app):
    table = f.case_table()
    db.session.commit()
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)

    run_job(JOBS["generate_sessions"], slot="1", now=now)
    count_after_first = len(sittings_of(table))
    run_job(JOBS["generate_sessions"], slot="2", now=now)

    assert count_after_first == 12  # second Tuesdays within the year's horizon
    assert len(sittings_of(table)) == count_after_first


# --- retention ---------------------------------------------------------------------------------

def _ended(world, local_start, *, status, ended_at):
    booking = world.booking(local_start)
    referral = booking.referral
    referral.status = status
    if status == ReferralStatus.COMPLETED:
        referral.completed_at = ended_at
    else:
        referral.cancelled_at = ended_at
    return booking


def test_retention_purge_erases_only_old_ended_requests_and_audits_the_count(app):
    world = Priced()
    now = datetime(2027, 6, 1, 12, 0, tzinfo=timezone.utc)
    old_booking = _ended(world, "2026-03-10T13:00", status=ReferralStatus.COMPLETED,
                         ended_at=datetime(2026, 5, 31, 12, 0, tzinfo=timezone.utc))
    old_done = old_booking.referral
    old_cancelled = _ended(world, "2026-03-11T13:00", status=ReferralStatus.CANCELLED,
                           ended_at=datetime(2026, 4, 1, tzinfo=timezone.utc)).referral
    recent = _ended(world, "2026-03-12T13:00", status=ReferralStatus.COMPLETED,
                    ended_at=datetime(2026, 6, 1, 13, 0, tzinfo=timezone.utc)).referral
    booked = world.booking("2026-03-13T13:00").referral
    line = world.line(old_booking, minutes=60, amount="80.00")
    db.session.commit()
    events_before = count(AuditEvent)

    run = run_job(JOBS["retention_purge"], slot="1", now=now)
    again = run_job(JOBS["retention_purge"], slot="2", now=now)

    assert (run.outcome, run.processed) == ("ok", 2)
    assert again.processed == 0
    erased = {r.id: (r.question, r.case_code, r.purged_at) for r in
              db.session.scalars(select(Referral).order_by(Referral.id))}
    for referral in (old_done, old_cancelled):
        assert erased[referral.id] == (None, None, now)
    for referral in (recent, booked):
        assert erased[referral.id] == ("Vraag over online uitingen van Jan Modaal",
                                       "GEHEIM-CODE-42", None)
    assert db.session.get(Referral, old_done.id).estimated_minutes == 180
    assert (db.session.get(HourLine, line.id).minutes, str(line.amount)) == (60, "80.00")
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))[events_before:]
    assert [(e.action, e.object_type, e.object_id, e.details) for e in events] == [
        ("referral.purge", "referral", None, {"count": 2, "retention_months": 12})]


def test_retention_purge_in_batches_commits_each(app):
    world = Priced()
    for day in (10, 11, 12):
        _ended(world, f"2026-03-{day}T13:00", status=ReferralStatus.CANCELLED,
               ended_at=datetime(2026, 3, day, 20, 0, tzinfo=timezone.utc))
    db.session.commit()
    app.config["RETENTION_BATCH_SIZE"] = 2

    run = run_job(JOBS["retention_purge"], slot="1", now=datetime(2027, 6, 1, tzinfo=timezone.utc))

    assert run.processed == 3
    counts = [e.details["count"] for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "referral.purge").order_by(AuditEvent.id))]
    assert counts == [2, 1]


def test_job_run_records_host_and_times(app):
    run = run_job(Job("noop", "does nothing", lambda *, now: JobResult(processed=0)),
                  slot="x", host="web-1:42")

    stored = db.session.scalar(select(JobRun))
    assert (stored.id, stored.host, stored.outcome, stored.processed) == (run.id, "web-1:42", "ok", 0)
    assert stored.finished_at >= stored.started_at
