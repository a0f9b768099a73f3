"""A small world in which every URL of the app can be built with ids of objects in scope:
one municipality with a requester, its case table, a coordinator, an admin, an expert with an
open offer and a past booking with a draft hour line, and the expert's calendar feed."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.bookings.models import (
    DateStatus,
    Offer,
    OfferStatus,
    SeriesStatus,
    StandingDate,
    StandingSeries,
)
from duidingspool.experts.models import Absence, AvailabilityWindow, ExpertRate
from duidingspool.extensions import db
from duidingspool.hours.models import HourLine
from duidingspool.ical import services as ical
from duidingspool.mail import services as mail
from duidingspool.results.models import Complaint
from duidingspool.oncall.models import OnCallOverride
from tests import factories as f
from tests.bookings.helpers import available_expert, direct_booking

ROLES = ("anonymous", "requester", "coordinator", "expert", "admin")


class AccessWorld:
    """Users of every role and objects for every kind of URL argument."""

    def __init__(self):
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        self.town = f.municipality()
        self.area = f.expertise_area()
        self.table = f.case_table(municipalities=[self.town])
        self.users = {
            "requester": f.user(Role.REQUESTER, municipality_obj=self.town, locale="en"),
            "coordinator": f.user(Role.COORDINATOR, locale="en"),
            "admin": f.user(Role.ADMIN, locale="en"),
        }
        self.expert = available_expert(areas=[self.area], home=self.town)
        self.expert.user.locale = "en"
        self.users["expert"] = self.expert.user
        self.other_user = f.user(Role.REQUESTER, municipality_obj=self.town)

        upcoming = f.sitting(self.table, starts_at=now + timedelta(days=10))
        self.referral = f.referral(requester=self.users["requester"], on=upcoming,
                                   areas=[self.area], status="offered")
        self.offer = Offer(referral_id=self.referral.id, expert_id=self.expert.id,
                           status=OfferStatus.PENDING, offered_at=now,
                           expires_at=now + timedelta(days=2),
                           created_by_id=self.users["coordinator"].id)
        db.session.add(self.offer)
        past = f.sitting(self.table, starts_at=now - timedelta(days=3))
        done = f.referral(requester=self.users["requester"], on=past, areas=[self.area],
                          status="booked")
        self.booking = direct_booking(done, self.expert, created_by=self.users["coordinator"])
        self.line = HourLine(booking_id=self.booking.id, category="attendance", minutes=120,
                             status="draft")
        db.session.add(self.line)
        # A standing series offered to the expert, with the upcoming session as its date.
        self.series = StandingSeries(
            case_table_id=self.table.id, expert_id=self.expert.id,
            starts_on=upcoming.starts_at.date() - timedelta(days=1),
            ends_on=upcoming.starts_at.date() + timedelta(days=30), estimated_minutes=120,
            status=SeriesStatus.OFFERED, offered_at=now, expires_at=now + timedelta(days=2),
            created_by_id=self.users["coordinator"].id)
        self.series.dates.append(StandingDate(sitting_id=upcoming.id, starts_at=upcoming.starts_at,
                                              status=DateStatus.OFFERED))
        db.session.add(self.series)
        self.absence = Absence(expert_id=self.expert.id, starts_at=now + timedelta(days=40),
                               ends_at=now + timedelta(days=41))
        db.session.add(self.absence)
        db.session.flush()
        self.window = db.session.scalars(select(AvailabilityWindow).where(
            AvailabilityWindow.expert_id == self.expert.id)).first()
        self.rate = db.session.scalars(select(ExpertRate).where(
            ExpertRate.expert_id == self.expert.id)).first()
        self.override = OnCallOverride(week_start=date.today() + timedelta(days=70 - date.today().weekday()),
                                       expert_id=None, kind="holiday",
                                       created_by_id=self.users["coordinator"].id)
        db.session.add(self.override)
        self.message = mail.queue(to_address="deskundige@example.org", subject="Uitnodiging",
                                  body_text="Tekst")
        self.feed, self.feed_token = ical.create_feed(actor=self.expert.user, scope="expert")
        self.complaint = Complaint(booking_id=self.booking.id, filed_by_id=self.users["requester"].id,
                                   kind="late", status="open", filed_at=now)
        db.session.add(self.complaint)
        db.session.commit()

    def url_args(self) -> dict:
        """A value for every URL argument name the app uses."""
        return {
            "referral_id": self.referral.id, "request_id": self.referral.id,
            "offer_id": self.offer.id, "booking_id": self.booking.id, "line_id": self.line.id,
            "case_table_id": self.table.id, "sitting_id": self.referral.sitting_id,
            "area_id": self.area.id, "municipality_id": self.town.id,
            "user_id": self.other_user.id, "expert_id": self.expert.id,
            "rate_id": self.rate.id, "window_id": self.window.id,
            "absence_id": self.absence.id, "message_id": self.message.id,
            "feed_id": self.feed.id, "override_id": self.override.id, "token": self.feed_token,
            "year": 2026, "table": "regions", "complaint_id": self.complaint.id,
            "series_id": self.series.id,
            "date_id": self.series.dates[0].id,
        }
