"""Helpers of the job tests: outbox keys, job runs, a commit that crashes on the n-th unit."""

from __future__ import annotations

from sqlalchemy import select

from duidingspool.extensions import db
from duidingspool.jobs.models import JobRun
from duidingspool.mail.models import OutboxMessage


def outbox_keys(prefix: str = "") -> list[str]:
    return list(db.session.scalars(
        select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.startswith(prefix))
        .order_by(OutboxMessage.id)))


def job_runs(name: str | None = None) -> list[JobRun]:
    query = select(JobRun).order_by(JobRun.id)
    if name is not None:
        query = query.where(JobRun.name == name)
    return list(db.session.scalars(query))


class CrashOnUnit:
    """A job's unit of work that fails at the n-th unit, as if the process died there; the
    other units do their `work`."""

    def __init__(self, n: int, work):
        self.n = n
        self.work = work
        self.calls = 0

    def __call__(self, **kwargs):
        self.calls += 1
        if self.calls == self.n:
            raise RuntimeError("crash in the middle of the job")
        return self.work(**kwargs)
