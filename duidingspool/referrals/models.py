"""Requests for an interpretation specialist (duidingsverzoeken)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from duidingspool.db import UTCDateTime, one_of, utcnow
from duidingspool.extensions import db


class ReferralStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    OFFERED = "offered"
    BOOKED = "booked"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    UNFILLED = "unfilled"


OPEN_STATUSES = (ReferralStatus.SUBMITTED, ReferralStatus.OFFERED)
ENDED_STATUSES = (ReferralStatus.COMPLETED, ReferralStatus.CANCELLED, ReferralStatus.UNFILLED)


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


URGENCY_RANK = {Urgency.URGENT: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}


class Mode(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class Referral(db.Model):
    """A request of a case table for a specialist, for one session or a date window.

    Called Referral in code to keep it apart from HTTP requests; "request" in the UI and API.
    `question` and `case_code` are erased by the retention purge (`purged_at`).
    """

    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # DV-2026-0001
    case_table_id: Mapped[int] = mapped_column(
        ForeignKey("case_table.id", ondelete="RESTRICT"), index=True
    )
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="RESTRICT")
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    sitting_id: Mapped[int | None] = mapped_column(
        ForeignKey("sitting.id", ondelete="RESTRICT"), index=True
    )
    window_start: Mapped[date | None] = mapped_column(Date)
    window_end: Mapped[date | None] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(String(20), default=Mode.IN_PERSON)
    language: Mapped[str | None] = mapped_column(String(8))
    estimated_minutes: Mapped[int] = mapped_column(Integer)
    urgency: Mapped[str] = mapped_column(String(10), default=Urgency.NORMAL)
    # Sort key for the inbox (0 = most urgent), derived from `urgency` at write time.
    urgency_rank: Mapped[int] = mapped_column(SmallInteger, default=2)
    case_code: Mapped[str | None] = mapped_column(String(50))
    question: Mapped[str | None] = mapped_column(Text)
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=ReferralStatus.SUBMITTED, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the first booking for this request was made; kept by database triggers on
    # booking (migration 0011), for the year report's median time to booking.
    first_booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Urgent requests (filed less than URGENT_LEAD_HOURS before their session): the hours
    # each offer gives the expert to answer (URGENT_ANSWER_HOURS, by the lead time), and the
    # time by which the pool meant to have it booked (filed + those hours; the year report's
    # "answered in time"). Both None for a request that is not urgent. Set when filed.
    urgent_answer_hours: Mapped[int | None] = mapped_column(SmallInteger)
    answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case_table: Mapped["CaseTable"] = relationship()  # noqa: F821
    municipality: Mapped["Municipality"] = relationship()  # noqa: F821
    created_by: Mapped["User"] = relationship()  # noqa: F821
    sitting: Mapped["Sitting | None"] = relationship()  # noqa: F821
    previous: Mapped[Referral | None] = relationship(remote_side=[id])
    expertise: Mapped[list[ReferralExpertise]] = relationship(
        back_populates="referral", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(
            "sitting_id IS NOT NULL OR (window_start IS NOT NULL AND window_end IS NOT NULL)",
            name="session_or_window",
        ),
        CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_end >= window_start",
            name="window_order",
        ),
        CheckConstraint(one_of("mode", Mode), name="mode"),
        CheckConstraint(one_of("urgency", Urgency), name="urgency"),
        CheckConstraint("urgency_rank BETWEEN 0 AND 2", name="urgency_rank"),
        CheckConstraint(one_of("status", ReferralStatus), name="status"),
        CheckConstraint("estimated_minutes BETWEEN 15 AND 2400", name="estimated_minutes"),
        CheckConstraint("previous_id IS NULL OR previous_id <> id", name="previous_not_self"),
        CheckConstraint(
            "status <> 'cancelled' OR cancelled_at IS NOT NULL", name="cancelled_has_time"
        ),
        # The year report counts a year's requests (and takes the median time to booking)
        # from this index alone; per municipality from the second, without sorting.
        Index("ix_referral_created_at_status", "created_at", "status", "municipality_id",
              "first_booked_at"),
        Index("ix_referral_municipality_id_created_at", "municipality_id", "created_at",
              "status"),
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_urgent(self) -> bool:
        """Filed less than URGENT_LEAD_HOURS before its session (see referrals.services)."""
        return self.urgent_answer_hours is not None


class ReferralExpertise(db.Model):
    """An expertise area a request asks for, with the minimum level (1-3)."""

    __tablename__ = "referral_expertise"

    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True
    )
    expertise_area_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_area.id", ondelete="RESTRICT"), primary_key=True
    )
    min_level: Mapped[int] = mapped_column(SmallInteger, default=1)

    referral: Mapped[Referral] = relationship(back_populates="expertise")
    area: Mapped["ExpertiseArea"] = relationship()  # noqa: F821

    __table_args__ = (
        CheckConstraint("min_level BETWEEN 1 AND 3", name="min_level"),
        # Requests per expertise area, grouped in index order (year report).
        Index("ix_referral_expertise_expertise_area_id", "expertise_area_id", "referral_id"),
    )
