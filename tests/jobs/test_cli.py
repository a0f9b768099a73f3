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


def _dead_pid() -> int:
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_jobs_list_marks_a_run_of_a_killed_scheduler_abandoned(runner):
    from duidingspool.jobs.runner import claim, host_id

    this_machine = host_id().rpartition(":")[0]
    killed = claim(name="send_mail", slot="2026-03-01T10:05:00Z",
                   host=f"{this_machine}:{_dead_pid()}")
    alive = claim(name="expire_offers", slot="2026-03-01T10:05:00Z", host=host_id())
    elsewhere = claim(name="offer_reminders", slot="2026-03-01T10:00:00Z", host="other:1")

    listing = runner.invoke(args=["jobs", "list"]).output

    assert "(slot 2026-03-01T10:05:00Z): failed, 0 processed - abandoned: the process " \
           "running it stopped before the run finished" in listing
    db.session.expire_all()
    assert {r.id: r.outcome for r in job_runs()} == {killed: "failed", alive: "running",
                                                     elsewhere: "running"}


def test_a_run_older_than_the_timeout_is_abandoned_on_any_machine(app):
    from datetime import timedelta

    from duidingspool.jobs.models import JobRun
    from duidingspool.jobs.runner import abandon_stale_runs, claim

    old = claim(name="send_mail", slot="1", host="other-machine:42")
    recent = claim(name="expire_offers", slot="1", host="other-machine:43")
    db.session.get(JobRun, old).started_at = datetime.now(timezone.utc) - timedelta(
        minutes=app.config["JOB_RUN_TIMEOUT_MINUTES"] + 1)
    db.session.commit()

    assert abandon_stale_runs() == 1
    db.session.expire_all()
    assert [(r.id, r.outcome, r.finished_at is not None) for r in job_runs()] == [
        (old, "failed", True), (recent, "running", False)]


def test_scheduler_start_abandons_the_runs_of_its_previous_process(app):
    from duidingspool.jobs import scheduler
    from duidingspool.jobs.runner import claim, host_id

    app.config["JOB_SCHEDULES"] = {}
    left = claim(name="send_mail", slot="1", host=host_id())  # same id after a restart

    scheduler.serve(app, run_for=1)

    db.session.expire_all()
    [run] = job_runs()
    assert (run.id, run.outcome, run.detail[:9]) == (left, "failed", "abandoned")
