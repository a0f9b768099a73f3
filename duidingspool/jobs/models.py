"""Runs of background jobs; a run's row is also its claim."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from duidingspool.db import UTCDateTime, utcnow
from duidingspool.extensions import db


class JobRun(db.Model):
    """One run of a job for one scheduled slot.

    (name, slot) is unique: of several scheduler processes that wake up for the same slot,
    only the one whose insert succeeds runs the job. `slot` is the job's scheduled time
    (or "manual-<timestamp>" for `duidingspool jobs run`).
    """

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    slot: Mapped[str] = mapped_column(String(40))
    host: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    processed: Mapped[int] = mapped_column(Integer, default=0)
    # A short, non-sensitive summary (counts, error class); never case content.
    detail: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("name", "slot"),
        CheckConstraint("outcome IN ('running', 'ok', 'failed')", name="outcome"),
        CheckConstraint("processed >= 0", name="processed"),
    )
