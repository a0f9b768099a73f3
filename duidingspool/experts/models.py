"""Expertise areas, experts, their rates, vetting and availability."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from duidingspool.db import Money, UTCDateTime, utcnow
from duidingspool.extensions import db


class ExpertiseArea(db.Model):
    """An entry of the managed taxonomy (jihadism, right-wing extremism, ...)."""

    __tablename__ = "expertise_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name_nl: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("code <> ''", name="code_not_empty"),)

    def display_name(self, locale: str | None) -> str:
        return self.name_en if locale == "en" else self.name_nl


class Expert(db.Model):
    __tablename__ = "expert"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), unique=True
    )
    home_municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="RESTRICT"), index=True
    )
    max_travel_km: Mapped[int] = mapped_column(Integer, default=100)
    max_hours_per_month: Mapped[int] = mapped_column(Integer, default=24)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Vetting: certificate of conduct (VOG) and signed confidentiality declaration.
    vog_issued_on: Mapped[date | None] = mapped_column(Date)
    vog_expires_on: Mapped[date | None] = mapped_column(Date)
    confidentiality_signed_on: Mapped[date | None] = mapped_column(Date)
    confidentiality_expires_on: Mapped[date | None] = mapped_column(Date)
    # The expert's own busy calendar; only busy intervals are kept (BusyInterval).
    busy_ics_url: Mapped[str | None] = mapped_column(String(1000))
    busy_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship(back_populates="expert")  # noqa: F821
    home_municipality: Mapped["Municipality"] = relationship()  # noqa: F821
    expertise: Mapped[list[ExpertExpertise]] = relationship(
        back_populates="expert", cascade="all, delete-orphan"
    )
    languages: Mapped[list[ExpertLanguage]] = relationship(cascade="all, delete-orphan")
    rates: Mapped[list[ExpertRate]] = relationship(
        cascade="all, delete-orphan", order_by="ExpertRate.valid_from"
    )

    __table_args__ = (
        CheckConstraint("max_travel_km >= 0", name="max_travel_km"),
        CheckConstraint("max_hours_per_month > 0", name="max_hours_per_month"),
        CheckConstraint(
            "vog_expires_on IS NULL OR vog_issued_on IS NULL OR vog_expires_on >= vog_issued_on",
            name="vog_dates",
        ),
        CheckConstraint(
            "confidentiality_expires_on IS NULL OR confidentiality_signed_on IS NULL"
            " OR confidentiality_expires_on >= confidentiality_signed_on",
            name="confidentiality_dates",
        ),
    )


class ExpertExpertise(db.Model):
    __tablename__ = "expert_expertise"

    expert_id: Mapped[int] = mapped_column(
        ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True
    )
    expertise_area_id: Mapped[int] = mapped_column(
        ForeignKey("expertise_area.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    level: Mapped[int] = mapped_column(SmallInteger)

    expert: Mapped[Expert] = relationship(back_populates="expertise")
    area: Mapped[ExpertiseArea] = relationship()

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 3", name="level"),)


class ExpertLanguage(db.Model):
    __tablename__ = "expert_language"

    expert_id: Mapped[int] = mapped_column(
        ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True
    )
    # ISO 639-1 code, e.g. nl, en, ar, tr.
    language: Mapped[str] = mapped_column(String(8), primary_key=True)

    __table_args__ = (CheckConstraint("language = lower(language)", name="language_lowercase"),)


class ExpertRate(db.Model):
    """An hourly rate valid from a date on, until the next rate's date (never retroactive)."""

    __tablename__ = "expert_rate"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    hourly_rate: Mapped[Decimal] = mapped_column(Money)

    __table_args__ = (
        UniqueConstraint("expert_id", "valid_from"),
        CheckConstraint("hourly_rate >= 0", name="hourly_rate"),
    )


class ExpertConflict(db.Model):
    """A municipality the expert must not serve (conflict of interest)."""

    __tablename__ = "expert_conflict"

    expert_id: Mapped[int] = mapped_column(
        ForeignKey("expert.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="RESTRICT"), primary_key=True
    )


class AvailabilityWindow(db.Model):
    """A weekly recurring window in Europe/Amsterdam wall-clock time."""

    __tablename__ = "availability_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="minutes",
        ),
    )


class Absence(db.Model):
    __tablename__ = "absence"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)


class BusyInterval(db.Model):
    """A busy time from the expert's own calendar: no title, no description."""

    __tablename__ = "busy_interval"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)
