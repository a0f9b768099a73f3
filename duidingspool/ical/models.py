"""Secret calendar feed subscriptions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
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


class FeedStamp(db.Model):
    """How often, and when last, the feed content of one group of bookings changed.

    One row per (expert, case table, municipality of the request) that has bookings; kept
    by database triggers (migration 0012) on every write that changes what a feed shows,
    whatever code path makes it, and never written by the app. A feed's ETag is built from
    the sum of `version` over its rows (the expert's, the case table's, the case table's for
    one municipality, or all rows) instead of an aggregate over its bookings: versions only
    grow and rows are never deleted, so any change makes the sum grow. `changed_at` is the
    time of the row's latest change (its Last-Modified).
    """

    __tablename__ = "feed_stamp"

    expert_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_table_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    municipality_id: Mapped[int] = mapped_column(Integer, primary_key=True,
                                                 autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_feed_stamp_case_table_id", "case_table_id", "municipality_id"),
        {"info": {"kept_by_triggers": True}},
    )
