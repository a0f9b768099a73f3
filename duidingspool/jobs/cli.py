"""`duidingspool jobs list|run NAME` and `duidingspool scheduler`."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext
from flask.logging import default_handler

from duidingspool.db import utcnow
from duidingspool.jobs import scheduler as scheduling
from duidingspool.jobs.registry import JOBS
from duidingspool.jobs.runner import FAILED, abandon_stale_runs, last_runs, manual_slot, run_job
from duidingspool.timeutil import to_local

jobs_command = click.Group("jobs", help="Background jobs.")


@jobs_command.command("list")
@with_appcontext
def list_command():
    """Each job with its schedule and its last run."""
    zone = current_app.config.get("DISPLAY_TIMEZONE", "Europe/Amsterdam")
    configured = current_app.config.get("JOB_SCHEDULES") or {}
    abandon_stale_runs()
    runs = last_runs()
    for name, job in JOBS.items():
        schedule = scheduling.describe(configured.get(name), default_timezone=zone)
        run = runs.get(name)
        if run is None:
            last = "never run"
        else:
            last = (f"last run {to_local(run.started_at):%Y-%m-%d %H:%M} (slot {run.slot}): "
                    f"{run.outcome}, {run.processed} processed")
            if run.detail:
                last += f" - {run.detail}"
        click.echo(f"{name}: {job.description}\n    schedule: {schedule}\n    {last}")


@jobs_command.command("run")
@click.argument("name", type=click.Choice(sorted(JOBS)))
@with_appcontext
def run_command(name):
    """Run one job once, now."""
    now = utcnow()
    run = run_job(JOBS[name], slot=manual_slot(now), now=now)
    if run is None:  # only if the same microsecond was claimed already
        raise click.ClickException("this run was claimed by another process")
    message = f"{name}: {run.outcome}, {run.processed} processed"
    if run.detail:
        message += f" - {run.detail}"
    if run.outcome == FAILED:
        raise click.ClickException(message)
    click.echo(message)


@click.command("scheduler")
@click.option("--run-for", type=click.FloatRange(min=1), default=None,
              help="Stop after this many seconds (trials and tests); default: until stopped.")
@with_appcontext
def scheduler_command(run_for):
    """Run the background jobs on their schedules (a process of its own; see the README)."""
    app = current_app._get_current_object()
    # One log line per event: the root handler, not Flask's as well.
    app.logger.removeHandler(default_handler)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The app outlives this command's context: each job opens its own app context.
    scheduling.serve(app, run_for=run_for)
