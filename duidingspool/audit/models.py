"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from duidingspool.db import UTCDateTime, utcnow
from duidingspool.extensions import db


class AuditEvent(db.Model):
    """Who did what to which object, when and from where. Never holds case content."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[int | None]
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    # Non-sensitive details (changed field names, counts), never texts a user typed.
    details: Mapped[dict | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)
