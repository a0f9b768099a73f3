"""The on-call rota: which expert is on duty for urgent requests, week by week.

A weekly pattern (the experts in turn, from a start week) with overrides per week (another
expert for a holiday or a swap, or nobody). Weeks run Monday 00:00 to Monday 00:00 in
Europe/Amsterdam and are named by their Monday.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from duidingspool.db import UTCDateTime, one_of, utcnow
from duidingspool.extensions import db


class OnCallRota(db.Model):
    """The pattern's start week (one row, id 1) and a version raised by every change of
    the rota, which the experts' calendar feeds carry in their ETag."""

    __tablename__ = "oncall_rota"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    starts_on: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("id = 1", name="single"),
        CheckConstraint("version >= 0", name="version"),
    )


class OnCallMember(db.Model):
    """An expert's turn in the pattern: week `starts_on + k` belongs to the member at
    position k modulo the number of members (positions in order, gaps allowed)."""

    __tablename__ = "oncall_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, unique=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           unique=True)

    expert: Mapped["Expert"] = relationship()  # noqa: F821

    __table_args__ = (CheckConstraint("position >= 0", name="position"),)


class OverrideKind(enum.StrEnum):
    HOLIDAY = "holiday"
    SWAP = "swap"
    OTHER = "other"


class OnCallOverride(db.Model):
    """One week's duty differs from the pattern: another expert, or nobody (expert None)."""

    __tablename__ = "oncall_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, unique=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default=OverrideKind.OTHER)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    expert: Mapped["Expert | None"] = relationship()  # noqa: F821

    __table_args__ = (CheckConstraint(one_of("kind", OverrideKind), name="kind"),)
