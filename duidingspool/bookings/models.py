"""Offers of a request to experts, and the bookings they become."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from duidingspool.db import UTCDateTime, one_of, utcnow
from duidingspool.extensions import db


class OfferStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting in the coordinator's queue, not yet shown to the expert
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Offer(db.Model):
    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=OfferStatus.PENDING)
    queue_position: Mapped[int] = mapped_column(Integer, default=0)
    # The proposed time, for a request with a date window instead of a session.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    budget_override_reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    referral: Mapped["Referral"] = relationship()  # noqa: F821
    expert: Mapped["Expert"] = relationship()  # noqa: F821

    __table_args__ = (
        UniqueConstraint("referral_id", "expert_id"),
        # The offers waiting for an answer, soonest deadline first: the dashboard, the
        # expiry job and the reminders (a few hundred among tens of thousands answered).
        Index("ix_offer_status_expires_at", "status", "expires_at"),
        CheckConstraint(one_of("status", OfferStatus), name="status"),
        CheckConstraint("queue_position >= 0", name="queue_position"),
        CheckConstraint(
            "status IN ('queued', 'withdrawn') OR (offered_at IS NOT NULL AND expires_at IS NOT NULL)",
            name="sent_has_times",
        ),
        CheckConstraint(
            "(starts_at IS NULL AND ends_at IS NULL) OR ends_at > starts_at", name="proposed_time"
        ),
    )


class BookingStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Booking(db.Model):
    """An accepted offer: the expert is booked into the session.

    The database guarantees one confirmed booking per request (partial unique index) and,
    on PostgreSQL, no two overlapping confirmed bookings of one expert (an exclusion
    constraint over [starts_at, ends_at), created in the migration).
    """

    __tablename__ = "booking"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id", ondelete="RESTRICT"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="RESTRICT"), unique=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="RESTRICT"))
    sitting_id: Mapped[int | None] = mapped_column(
        ForeignKey("sitting.id", ondelete="RESTRICT"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.CONFIRMED)
    # Random, stored, and free of names or domains: the iCalendar UID of this booking.
    # The request's estimated work, fixed when the booking was made: the booking's
    # commitment against the expert's monthly hours and the budget.
    estimated_minutes: Mapped[int] = mapped_column(Integer)
    # The request's case table, kept here so that the workload tallies (continuity per
    # expert and case table, migration 0013) are kept from the booking row alone.
    case_table_id: Mapped[int] = mapped_column(ForeignKey("case_table.id", ondelete="RESTRICT"))
    calendar_uid: Mapped[str] = mapped_column(String(64), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # Set when a change of the session leaves the expert unavailable: the rule that now
    # fails (see matching.engine.RULES). The coordinator resolves it.
    conflict: Mapped[str | None] = mapped_column(String(50))

    referral: Mapped["Referral"] = relationship()  # noqa: F821
    expert: Mapped["Expert"] = relationship()  # noqa: F821
    sitting: Mapped["Sitting | None"] = relationship()  # noqa: F821

    __table_args__ = (
        CheckConstraint(one_of("status", BookingStatus), name="status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("sequence >= 0", name="sequence"),
        CheckConstraint("estimated_minutes > 0", name="estimated_minutes"),
        CheckConstraint(
            "status <> 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_has_time"
        ),
        Index(
            "uq_booking_confirmed_referral",
            "referral_id",
            unique=True,
            sqlite_where=text("status = 'confirmed'"),
            postgresql_where=text("status = 'confirmed'"),
        ),
        Index("ix_booking_expert_id_starts_at", "expert_id", "starts_at", "status",
              "estimated_minutes", "case_table_id"),
        # Also gives the first booking of a request (year report: time to booking).
        Index("ix_booking_referral_id", "referral_id", "status", "expert_id", "created_at"),
        # Covers the matcher's "who is booked around this time" and "this month" queries,
        # and the budget's committed work (referral_id: the request's region).
        Index("ix_booking_status_starts_at", "status", "starts_at", "ends_at", "expert_id",
              "estimated_minutes", "referral_id"),
        # Covers the aggregate behind an expert feed's ETag (ical.services).
        Index("ix_booking_expert_id_feed", "expert_id", "updated_at"),
    )


class WorkloadTally(db.Model):
    """An expert's counted bookings (confirmed or completed) and their estimated minutes per
    local year and month of the session start.

    Kept by database triggers on booking (migration 0013), never written by the app: the
    matcher reads it for the monthly hours rule and the fairness score instead of summing a
    year of bookings per expert.
    """

    __tablename__ = "workload_tally"

    expert_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    minutes: Mapped[int] = mapped_column(Integer)
    bookings: Mapped[int] = mapped_column(Integer)

    __table_args__ = {"info": {"kept_by_triggers": True}}


class CaseTableTally(db.Model):
    """An expert's counted bookings per local year and case table (continuity score); kept
    like WorkloadTally."""

    __tablename__ = "case_table_tally"

    expert_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_table_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bookings: Mapped[int] = mapped_column(Integer)

    __table_args__ = {"info": {"kept_by_triggers": True}}


class SeriesStatus(enum.StrEnum):
    OFFERED = "offered"  # waiting for the expert's answer
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"  # by the coordinator: withdrawn before, or cancelled after, accept


class StandingSeries(db.Model):
    """A standing specialist for a case table: one expert proposed for every session of the
    table in a period (inclusive local dates), answered with one offer.

    Each date becomes an ordinary request with its own booking (StandingDate), so hours,
    feeds, iTIP, budget, moving and cancelling work per date as for any booking.
    """

    __tablename__ = "standing_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_table_id: Mapped[int] = mapped_column(
        ForeignKey("case_table.id", ondelete="RESTRICT"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="RESTRICT"),
                                           index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # The work estimated per session: each date's request and booking take it.
    estimated_minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20), default="in_person")
    status: Mapped[str] = mapped_column(String(20), default=SeriesStatus.OFFERED)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case_table: Mapped["CaseTable"] = relationship()  # noqa: F821
    expert: Mapped["Expert"] = relationship()  # noqa: F821
    created_by: Mapped["User"] = relationship()  # noqa: F821
    dates: Mapped[list[StandingDate]] = relationship(
        back_populates="series", order_by="StandingDate.starts_at",
        cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(one_of("status", SeriesStatus), name="status"),
        CheckConstraint("ends_on >= starts_on", name="period"),
        CheckConstraint("estimated_minutes BETWEEN 15 AND 2400", name="estimated_minutes"),
        CheckConstraint("mode IN ('in_person', 'online')", name="mode"),
        CheckConstraint("expires_at > offered_at", name="expiry"),
        CheckConstraint(
            "status <> 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_has_time"),
    )


class DateStatus(enum.StrEnum):
    OFFERED = "offered"  # part of the series' open offer
    BOOKED = "booked"  # booked for the standing specialist (its request has the booking)
    DECLINED = "declined"  # the expert declined this date: needs a substitute
    CONFLICT = "conflict"  # not booked, a rule keeps the expert away: needs a substitute
    LAPSED = "lapsed"  # the session had started before the series was accepted
    CANCELLED = "cancelled"  # the series was withdrawn, declined or cancelled before it


class StandingDate(db.Model):
    """One session of a standing series, with what became of it.

    `referral_id` is the date's request once the series is accepted: booked for the
    standing specialist, or open in the inbox ("needs a substitute"); what happens to it
    afterwards (moved, cancelled, handed to a substitute) is the request's and its booking's.
    """

    __tablename__ = "standing_date"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("standing_series.id", ondelete="CASCADE"))
    # A session the table's rule no longer gives is deleted (casetables) while no request
    # refers to it: it leaves the series with it.
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id", ondelete="CASCADE"),
                                            index=True)
    # The session's start when the date was added: its order in the series.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DateStatus.OFFERED)
    # The rule (matching.engine.RULES) that kept the expert from a CONFLICT date.
    conflict: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    series: Mapped[StandingSeries] = relationship(back_populates="dates")
    sitting: Mapped["Sitting"] = relationship()  # noqa: F821
    referral: Mapped["Referral | None"] = relationship()  # noqa: F821

    __table_args__ = (
        UniqueConstraint("series_id", "sitting_id"),
        CheckConstraint(one_of("status", DateStatus), name="status"),
        CheckConstraint("status <> 'conflict' OR conflict IS NOT NULL", name="conflict_has_rule"),
    )
