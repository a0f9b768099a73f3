"""Offers of a request to experts, and the bookings they become."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
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
