"""Hours an expert logs on a booking."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from duidingspool.db import Money, UTCDateTime, one_of, utcnow
from duidingspool.extensions import db


class HourCategory(enum.StrEnum):
    PREPARATION = "preparation"
    ATTENDANCE = "attendance"
    TRAVEL = "travel"
    WRITTEN_ADVICE = "written_advice"
    FOLLOW_UP = "follow_up"


class HourStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class HourLine(db.Model):
    __tablename__ = "hour_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("booking.id", ondelete="RESTRICT")
    )
    category: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int] = mapped_column(Integer)
    kilometres: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=HourStatus.DRAFT, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    # The line's cost (hours x the rate valid on the session date + km x the year's km
    # rate), fixed when submitted and again when approved; approved amounts never change.
    amount: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped["Booking"] = relationship()  # noqa: F821

    __table_args__ = (
        CheckConstraint(one_of("category", HourCategory), name="category"),
        CheckConstraint(one_of("status", HourStatus), name="status"),
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes"),
        CheckConstraint("kilometres IS NULL OR kilometres >= 0", name="kilometres"),
        CheckConstraint(
            "status <> 'rejected' OR reject_reason IS NOT NULL", name="rejected_has_reason"
        ),
        CheckConstraint("status = 'draft' OR amount IS NOT NULL", name="priced_when_submitted"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount"),
        # Covers every hour figure of the budget and the year report (and the booking FK).
        Index("ix_hour_line_booking_id_status", "booking_id", "status", "category",
              "minutes", "amount"),
    )


class HourTally(db.Model):
    """Running totals of a year's counted hour lines per expert and category.

    Kept by database triggers (migration 0011) on every change of hour lines, bookings and
    requests, never written by the app: the year report reads it instead of summing every
    line. A line counts when approved, or as pending when submitted; the year is that of the
    booking's session start in Europe/Amsterdam.
    """

    __tablename__ = "hour_tally"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    expert_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    approved_lines: Mapped[int] = mapped_column(Integer)
    approved_minutes: Mapped[int] = mapped_column(Integer)
    approved_amount: Mapped[Decimal] = mapped_column(Money)
    pending_lines: Mapped[int] = mapped_column(Integer)
    pending_minutes: Mapped[int] = mapped_column(Integer)
    pending_amount: Mapped[Decimal] = mapped_column(Money)

    __table_args__ = {"info": {"kept_by_triggers": True}}


class MoneyTally(db.Model):
    """Running totals of approved (spent) and submitted (pending) amounts per year, local
    month of the session and municipality of the request; kept like HourTally."""

    __tablename__ = "money_tally"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    municipality_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    spent: Mapped[Decimal] = mapped_column(Money)
    pending: Mapped[Decimal] = mapped_column(Money)

    __table_args__ = {"info": {"kept_by_triggers": True}}
