"""Evaluations, process notes and complaints, each about one booking.

Free text here (an evaluation's remark, a complaint's description, the expert's answer and
the coordinator's note) passes the privacy guard and is erased with the request's question
by the retention purge (`services.purge_texts`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from duidingspool.db import UTCDateTime, utcnow
from duidingspool.extensions import db

TEXT_LENGTH = 1000


class Evaluation(db.Model):
    """A requester's evaluation of a session held: once per booking."""

    __tablename__ = "evaluation"
    __table_args__ = (
        CheckConstraint("usefulness BETWEEN 1 AND 5", name="usefulness"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("booking.id", ondelete="RESTRICT"), unique=True)
    submitted_by_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"))
    usefulness: Mapped[int] = mapped_column(SmallInteger)  # 1 (not useful) .. 5 (very)
    on_time: Mapped[bool] = mapped_column(Boolean)
    prepared: Mapped[bool] = mapped_column(Boolean)
    remark: Mapped[str | None] = mapped_column(String(TEXT_LENGTH))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped["Booking"] = relationship()  # noqa: F821


class ProcessNote(db.Model):
    """The expert's note on how a session went on: choices only, never case details."""

    __tablename__ = "process_note"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("booking.id", ondelete="RESTRICT"), primary_key=True, autoincrement=False)
    follow_up_advised: Mapped[bool] = mapped_column(Boolean)
    written_advice_sent: Mapped[bool] = mapped_column(Boolean)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplaintKind(enum.StrEnum):
    NO_SHOW = "no_show"
    LATE = "late"
    CONDUCT = "conduct"
    QUALITY = "quality"
    OTHER = "other"


class ComplaintStatus(enum.StrEnum):
    OPEN = "open"            # filed; the expert may answer
    ANSWERED = "answered"    # the expert answered; the coordinator decides
    UPHELD = "upheld"
    NOT_UPHELD = "not_upheld"


DECIDED = (ComplaintStatus.UPHELD, ComplaintStatus.NOT_UPHELD)


class Complaint(db.Model):
    """A requester's complaint about a booking, the expert's answer and the decision."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint("kind IN ('no_show', 'late', 'conduct', 'quality', 'other')",
                        name="kind"),
        CheckConstraint("status IN ('open', 'answered', 'upheld', 'not_upheld')",
                        name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="RESTRICT"),
                                            index=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(TEXT_LENGTH))
    status: Mapped[str] = mapped_column(String(20), default=ComplaintStatus.OPEN, index=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(String(TEXT_LENGTH))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(TEXT_LENGTH))
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once by the flag job when no decision came within COMPLAINT_FLAG_DAYS.
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    booking: Mapped["Booking"] = relationship()  # noqa: F821

    @property
    def decided(self) -> bool:
        return self.status in DECIDED
