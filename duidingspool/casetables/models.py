"""Safety regions, municipalities, case tables and their sessions."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from duidingspool.db import UTCDateTime, one_of, utcnow
from duidingspool.extensions import db


class SafetyRegion(db.Model):
    """One of the five Oost-Nederland safety regions (Veiligheidsregio)."""

    __tablename__ = "safety_region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # e.g. VR05
    name: Mapped[str] = mapped_column(String(100), unique=True)

    municipalities: Mapped[list[Municipality]] = relationship(
        back_populates="safety_region", order_by="Municipality.name"
    )


class Municipality(db.Model):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    cbs_code: Mapped[str] = mapped_column(String(6), unique=True)  # GM0153
    safety_region_id: Mapped[int] = mapped_column(
        ForeignKey("safety_region.id", ondelete="RESTRICT"), index=True
    )
    latitude: Mapped[Decimal] = mapped_column(Numeric(8, 5))
    longitude: Mapped[Decimal] = mapped_column(Numeric(8, 5))

    safety_region: Mapped[SafetyRegion] = relationship(back_populates="municipalities")

    __table_args__ = (
        CheckConstraint("cbs_code LIKE 'GM____'", name="cbs_code"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude"),
    )


case_table_municipality = Table(
    "case_table_municipality",
    db.metadata,
    Column("case_table_id", ForeignKey("case_table.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "municipality_id",
        ForeignKey("municipality.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class ScheduleSource(enum.StrEnum):
    RECURRENCE = "recurrence"  # sessions generated from `rrule`
    ICS = "ics"  # sessions imported from an uploaded file or `ics_url`


class CaseTable(db.Model):
    """A casustafel: a recurring multidisciplinary case consultation."""

    __tablename__ = "case_table"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    host_organisation: Mapped[str] = mapped_column(String(150))
    # The host municipality gives the location for travel distance.
    host_municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="RESTRICT"), index=True
    )
    address: Mapped[str] = mapped_column(String(250))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    schedule_source: Mapped[str] = mapped_column(String(20), default=ScheduleSource.RECURRENCE)
    # RFC 5545 RRULE (without the "RRULE:" prefix), read in Europe/Amsterdam from
    # `first_session_start` on; the wall-clock time stays the same across DST changes.
    rrule: Mapped[str | None] = mapped_column(String(500))
    first_session_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    ics_url: Mapped[str | None] = mapped_column(String(1000))
    ics_imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    host_municipality: Mapped[Municipality] = relationship()
    municipalities: Mapped[list[Municipality]] = relationship(
        secondary=case_table_municipality, order_by="Municipality.name"
    )
    sittings: Mapped[list[Sitting]] = relationship(
        back_populates="case_table", order_by="Sitting.starts_at", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint(one_of("schedule_source", ScheduleSource), name="schedule_source"),
        CheckConstraint("duration_minutes BETWEEN 15 AND 720", name="duration"),
        CheckConstraint(
            "schedule_source <> 'recurrence' OR rrule IS NULL OR first_session_start IS NOT NULL",
            name="rrule_has_start",
        ),
    )


class SittingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    MOVED = "moved"
    CANCELLED = "cancelled"


class Sitting(db.Model):
    """One concrete session (zitting) of a case table.

    (`origin_uid`, `origin_start`) identify where it came from, so that regenerating or
    re-importing updates it instead of adding a copy: the rule's occurrence start, or the
    ICS UID and RECURRENCE-ID. Named Sitting to keep it apart from database sessions.
    """

    __tablename__ = "sitting"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_table_id: Mapped[int] = mapped_column(ForeignKey("case_table.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(250))
    is_online: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=SittingStatus.SCHEDULED)
    origin_uid: Mapped[str] = mapped_column(String(255))
    origin_start: Mapped[datetime] = mapped_column(UTCDateTime)
    # Grows on every change of time, place or status; calendars follow it.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case_table: Mapped[CaseTable] = relationship(back_populates="sittings")

    __table_args__ = (
        UniqueConstraint("case_table_id", "origin_uid", "origin_start"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(one_of("status", SittingStatus), name="status"),
        CheckConstraint("sequence >= 0", name="sequence"),
    )
