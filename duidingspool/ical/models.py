"""Secret calendar feed subscriptions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from duidingspool.db import UTCDateTime, one_of, utcnow
from duidingspool.extensions import db


class FeedScope(enum.StrEnum):
    EXPERT = "expert"  # the expert's own bookings
    CASE_TABLE = "case_table"  # a case table's sessions, for its requesters
    ALL = "all"  # every booking, for the coordinator


class CalendarFeed(db.Model):
    """A subscription URL `/calendar/<token>.ics` of one user; only the token's hash is kept.

    Access is checked again on every fetch against the user's current roles and scope.
    """

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    scope: Mapped[str] = mapped_column(String(20))
    case_table_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_table.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped["User"] = relationship()  # noqa: F821
    case_table: Mapped["CaseTable | None"] = relationship()  # noqa: F821

    __table_args__ = (
        CheckConstraint(one_of("scope", FeedScope), name="scope"),
        CheckConstraint("(scope = 'case_table') = (case_table_id IS NOT NULL)",
                        name="case_table_scope"),
        # One live feed per user and scope, and per user and case table: rotating a feed
        # revokes the old one first.
        Index("uq_calendar_feed_live_scope", "user_id", "scope", unique=True,
              sqlite_where=text("revoked_at IS NULL AND case_table_id IS NULL"),
              postgresql_where=text("revoked_at IS NULL AND case_table_id IS NULL")),
        Index("uq_calendar_feed_live_case_table", "user_id", "case_table_id", unique=True,
              sqlite_where=text("revoked_at IS NULL AND case_table_id IS NOT NULL"),
              postgresql_where=text("revoked_at IS NULL AND case_table_id IS NOT NULL")),
    )
