"""The outbox: every e-mail is stored first and sent (or retried) from here."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from duidingspool.db import UTCDateTime, one_of, utcnow
from duidingspool.extensions import db


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting to be sent (or, without SMTP, kept for reading)
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(250))
    body_text: Mapped[str] = mapped_column(Text)
    # An iCalendar attachment (iTIP), e.g. METHOD:REQUEST or METHOD:CANCEL.
    ics: Mapped[str | None] = mapped_column(Text)
    ics_method: Mapped[str | None] = mapped_column(String(10))
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking.id", ondelete="SET NULL"), index=True)
    # Makes queueing idempotent: the same message for the same event is queued once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The text holds a secret (a single-use link to choose a password): the outbox pages
    # never show it, and it is blanked once the message has been sent.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        CheckConstraint(one_of("status", MailStatus), name="status"),
        CheckConstraint("ics_method IS NULL OR ics_method IN ('REQUEST', 'CANCEL')",
                        name="ics_method"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )
