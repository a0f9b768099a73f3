"""`duidingspool jobs list` and `jobs run NAME` through the CLI runner."""

from __future__ import annotations

from datetime import datetime, timezone

from duidingspool.extensions import db
from duidingspool.referrals.models import ReferralStatus
from tests.hours.helpers import Priced
from tests.jobs.helpers import job_runs


def test_jobs_list_shows_schedule_and_never_run(runner):
    result = runner.invoke(args=["jobs", "list"])

    assert result.exit_code == 0
    assert ("expire_offers: Expire unanswered offers and offer the next expert in the queue\n"
            "    schedule: every 5 minutes (UTC)\n    never run\n") in result.output
    assert "hours_reminders: Remind experts to log hours after a session\n" \
           "    schedule: cron 0 9 * * * (Europe/Amsterdam)\n" in result.output


def test_jobs_run_runs_once_now_and_list_shows_it(runner):
    world = Priced()
    referral = world.booking("2024-03-10T13:00").referral
    referral.status = ReferralStatus.CANCELLED
    referral.cancelled_at = datetime(2024, 3, 1, tzinfo=timezone.utc)
    db.session.commit()

    result = runner.invoke(args=["jobs", "run", "retention_purge"])

    assert (result.exit_code, result.output) == (0, "retention_purge: ok, 1 processed\n")
    [run] = job_runs("retention_purge")
    assert run.slot.startswith("manual-") and run.slot.endswith("Z")
    listing = runner.invoke(args=["jobs", "list"]).output
    assert f"(slot {run.slot}): ok, 1 processed" in listing


def test_jobs_run_reports_a_failed_run(runner, app):
    expert_url = "http://127.0.0.1:9/unreachable.ics"
    from tests import factories as f

    expert = f.expert(busy_ics_url=expert_url)
    db.session.commit()

    result = runner.invoke(args=["jobs", "run", "refresh_busy_calendars"])

    assert result.exit_code == 1
    assert f"refresh_busy_calendars: failed, 0 processed - 1 failed: expert {expert.id}: " \
           "The calendar could not be fetched" in result.output


def test_jobs_run_refuses_unknown_job(runner):
    result = runner.invoke(args=["jobs", "run", "no_such_job"])

    assert result.exit_code == 2
    assert job_runs() == []
