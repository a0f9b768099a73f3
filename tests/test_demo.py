"""`duidingspool demo`: idempotent demo data that makes the app usable on the day it is run,
with the year up to that day lived as a pool would have lived it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from flask import Flask, g
from sqlalchemy import func, select

from duidingspool import create_app, demo_data
from duidingspool.accounts.models import Role, User
from duidingspool.accounts.services import get_by_email
from duidingspool.accounts.sessions import stamp
from duidingspool.audit.models import AuditEvent
from duidingspool.bookings.models import Booking, BookingStatus, Offer, OfferStatus
from duidingspool.budget.models import Budget
from duidingspool.budget.services import year_figures
from duidingspool.casetables.models import CaseTable, Municipality, SafetyRegion, Sitting
from duidingspool.demo import URGENT_SESSION_ORIGIN, load_demo
from duidingspool.experts.models import (
    AvailabilityWindow,
    Expert,
    ExpertConflict,
    ExpertiseArea,
    ExpertRate,
)
from duidingspool.extensions import db
from duidingspool.hours.models import HourLine, HourStatus
from duidingspool.ical.services import create_feed, feed_events, past_days, resolve
from duidingspool.mail.models import MailStatus, OutboxMessage
from duidingspool.oncall import services as oncall
from duidingspool.referrals.models import OPEN_STATUSES, Referral, ReferralStatus
from duidingspool.timeutil import local_day_bounds, local_to_utc, to_local
from tests.conftest import _empty_all_tables

UTC = timezone.utc
DEMO_LOGINS = demo_data.STAFF + [
    demo_data.DemoUser(e.email, e.name, ("expert",)) for e in demo_data.EXPERTS
]
# The days the lived year is checked on (local time, as `demo --now` takes it): late in the
# year, and early (few sessions lie in the past, so each carries more work) but past the
# point where the previous year is needed.
LIVED_DAYS = {
    "september": "2026-09-15 12:00",
    "march": "2026-03-02 11:00",
}
USERS = len(demo_data.STAFF) + len(demo_data.EXPERTS)


def _row_counts() -> dict[str, int]:
    # The audit trail is append-only: every run adds its own "demo.load" event.
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name != AuditEvent.__tablename__
    }


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _sittings_between(name: str, first: date, last: date) -> list[Sitting]:
    """The case table's sessions from its schedule (not the urgent request's extra one)."""
    start, _ = local_day_bounds(first)
    _, end = local_day_bounds(last)
    return list(db.session.scalars(
        select(Sitting).join(CaseTable).where(CaseTable.name == name, Sitting.starts_at >= start,
                                              Sitting.starts_at < end,
                                              Sitting.origin_uid != URGENT_SESSION_ORIGIN)
        .order_by(Sitting.starts_at)
    ))


def _second_tuesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7 + 7)


def _spent_share(year: int, now: datetime) -> Decimal:
    figures = year_figures(year=year, now=now).total
    return figures.spent / figures.budget


@dataclass
class Lived:
    """The demo loaded at `now` (once per test class and day), for read-only tests."""

    name: str
    now: datetime
    app: Flask
    output: str
    counts: dict[str, int]

    @property
    def today(self) -> date:
        return to_local(self.now).date()

    def client_as(self, email: str):
        """A test client logged in as the demo user with this e-mail address."""
        client = self.app.test_client()
        user = get_by_email(email)
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            stamp(session, user, second_factor=True)
        return client


@pytest.fixture(scope="class", params=list(LIVED_DAYS))
def lived(request, migrated, tmp_path_factory):
    """`duidingspool demo --now` at one of LIVED_DAYS; the tables are emptied after the
    class (loading takes seconds, so the tests that only read share it)."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=migrated)
    app.instance_path = str(tmp_path_factory.mktemp("instance"))

    @app.teardown_request
    def forget_logged_in_user(exc):
        g.pop("_login_user", None)

    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo", "--now", LIVED_DAYS[request.param]])
        assert result.exit_code == 0, result.output
        now = local_to_utc(datetime.fromisoformat(LIVED_DAYS[request.param]))
        yield Lived(request.param, now, app, result.output, _row_counts())
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


class TestLivedYear:
    """The demo at a day in September and in March: what the pages show on first run."""

    def test_spent_share_lands_between_55_and_80_percent(self, lived):
        share = _spent_share(lived.now.year, lived.now)

        assert Decimal("0.55") <= share <= Decimal("0.80")
        assert f"spent ({(share * 100).quantize(Decimal('0.1'))} %)" in lived.output

    def test_spending_is_spread_over_the_months_before_today(self, lived):
        months = year_figures(year=lived.now.year, now=lived.now).total.months
        this_month = lived.today.month
        budget = Decimal(demo_data.BUDGET_AMOUNT)

        assert all(amount == 0 for amount in months[this_month:])
        assert all(amount > budget / 40 for amount in months[:this_month - 1])
        assert max(months) < budget / 2
        assert sum(amount > 0 for amount in months) >= this_month - 1 >= 2

    def test_history_has_cancellations_an_unfilled_request_and_waiting_work(self, lived):
        cancelled_bookings = _count(Booking, Booking.status == BookingStatus.CANCELLED)
        unfilled = _count(Referral, Referral.status == ReferralStatus.UNFILLED)
        submitted = _count(HourLine, HourLine.status == HourStatus.SUBMITTED)
        pending = list(db.session.scalars(
            select(Offer).where(Offer.status == OfferStatus.PENDING)))
        queued = _count(Offer, Offer.status == OfferStatus.QUEUED)
        declined = _count(Offer, Offer.status == OfferStatus.DECLINED)
        expired = _count(Offer, Offer.status == OfferStatus.EXPIRED)
        inbox = _count(Referral, Referral.status == ReferralStatus.SUBMITTED)
        upcoming = _count(Booking, Booking.status == BookingStatus.CONFIRMED,
                          Booking.starts_at > lived.now)
        open_in_the_past = _count(Referral, Referral.status.in_(OPEN_STATUSES),
                                  Referral.sitting_id.in_(select(Sitting.id).where(
                                      Sitting.starts_at <= lived.now)))

        assert cancelled_bookings >= 2
        assert unfilled == 1
        assert submitted >= 1
        assert len(pending) >= 1
        assert all(lived.now < o.expires_at for o in pending)
        # Expired: one of the history, and the urgent request's first offer (escalated).
        assert (queued, expired) == (1, 2)
        assert declined >= 1
        assert inbox >= 1
        assert upcoming >= 2
        assert open_in_the_past == 0

    def test_the_weekly_table_has_a_standing_specialist_with_a_date_to_substitute(self, lived):
        from duidingspool.bookings import standing
        from duidingspool.bookings.models import SeriesStatus, StandingSeries

        [series] = db.session.scalars(select(StandingSeries)).all()
        states = [row.state.state for row in standing.series_dates(series)]

        assert (series.case_table.name, series.status) == ("Casustafel Arnhem",
                                                           SeriesStatus.ACCEPTED)
        assert states[1] == "declined" and states.count("booked") >= 2
        assert f"standing specialist Casustafel Arnhem: {series.expert.user.name}" in lived.output
        page = lived.client_as("coordinator@example.org").get(
            f"/casustafels/{series.case_table_id}/vaste-specialist")
        assert page.status_code == 200
    def test_rota_has_one_gap_and_an_urgent_request_was_booked_by_the_second_expert(
            self, lived):
        gaps = oncall.gaps(now=lived.now, weeks=8)
        urgent = db.session.scalars(select(Referral).where(
            Referral.urgent_answer_hours.is_not(None),
            Referral.status == ReferralStatus.BOOKED)).all()
        stories = []
        for referral in urgent:
            offers = db.session.scalars(select(Offer).where(Offer.referral_id == referral.id)
                                        .order_by(Offer.queue_position)).all()
            if [o.status for o in offers] == [OfferStatus.EXPIRED, OfferStatus.ACCEPTED]:
                stories.append((referral, offers))

        assert len(gaps) == 1
        assert len(stories) == 1
        referral, (first, second) = stories[0]
        assert first.expert_id == oncall.on_duty(referral.created_at)
        assert second.offered_at == first.responded_at
        assert referral.first_booked_at <= lived.now
        assert oncall.get_rota() is not None and len(oncall.members()) == 12

    def test_past_bookings_are_completed_with_their_lived_times(self, lived):
        rows = db.session.execute(
            select(Booking, Referral, Sitting)
            .join(Referral, Referral.id == Booking.referral_id)
            .join(Sitting, Sitting.id == Booking.sitting_id)).all()

        for booking, referral, sitting in rows:
            assert referral.created_at < booking.created_at < sitting.starts_at
            assert booking.created_at < lived.now
            if sitting.ends_at < lived.now - timedelta(hours=1):
                assert booking.status in (BookingStatus.COMPLETED, BookingStatus.CANCELLED)
            elif sitting.starts_at > lived.now:
                assert booking.status == BookingStatus.CONFIRMED
        assert db.session.scalar(select(func.max(HourLine.created_at))) < lived.now
        assert db.session.scalar(select(func.max(Referral.first_booked_at))) < lived.now

    def test_budget_figures_agree_with_the_hour_lines(self, lived):
        year = lived.now.year
        start, _ = local_day_bounds(date(year, 1, 1))
        _, end = local_day_bounds(date(year, 12, 31))
        approved = db.session.scalar(
            select(func.sum(HourLine.amount)).join(Booking)
            .where(HourLine.status == HourStatus.APPROVED, Booking.starts_at >= start,
                   Booking.starts_at < end))

        assert year_figures(year=year, now=lived.now).total.spent == approved

    def test_one_expert_has_a_vog_that_lapses_within_60_days(self, lived):
        soon = lived.today + timedelta(days=60)
        lapsing = list(db.session.scalars(
            select(User.email).join(Expert).where(Expert.vog_expires_on <= soon)))

        assert lapsing == ["senait.tesfaye@example.org"]

    def test_next_year_budget_is_a_draft_with_nothing_booked(self, lived):
        year = lived.now.year + 1
        start, _ = local_day_bounds(date(year, 1, 1))
        budget = db.session.scalar(select(Budget).where(Budget.year == year))
        figures = year_figures(year=year, now=lived.now).total

        assert budget.amount == Decimal("125000.00")
        assert (figures.spent, figures.pending, figures.committed) == (0, 0, 0)
        assert _count(Booking, Booking.starts_at >= start) == 0

    def test_outbox_holds_the_past_as_sent_and_today_as_queued(self, lived):
        sent = _count(OutboxMessage, OutboxMessage.status == MailStatus.SENT)
        late_sent = _count(OutboxMessage, OutboxMessage.status == MailStatus.SENT,
                           OutboxMessage.created_at >= lived.now - timedelta(hours=1))

        assert sent >= 2 * _count(Booking, Booking.created_at < lived.now - timedelta(hours=1))
        assert late_sent == 0

    def test_coordinator_pages_show_the_lived_year(self, lived):
        client = lived.client_as("coordinator@example.org")
        year = lived.now.year
        offer = db.session.scalar(select(Offer).where(Offer.status == OfferStatus.PENDING))
        booked = db.session.scalar(select(Booking).where(Booking.status == BookingStatus.COMPLETED)
                                   .order_by(Booking.id))

        dashboard = client.get("/dashboard")
        budget = client.get(f"/budget/{year}")
        report = client.get(f"/rapportage/{year}")
        outbox = client.get("/postvak-uit/")
        approvals = client.get("/uren/goedkeuren")

        assert [r.status_code for r in (dashboard, budget, report, outbox, approvals)] == [200] * 5
        assert offer.expert.user.name in dashboard.text
        assert offer.referral.reference in dashboard.text
        assert "Enschede" in report.text and "Arnhem" in report.text
        assert booked.expert.user.name in report.text
        assert "Geen verzoeken in dit jaar." not in report.text
        assert booked.expert.user.email in outbox.text
        spent = year_figures(year=year, now=lived.now).total.spent
        assert f"{int(spent):,}".replace(",", ".") in budget.text
        waiting = db.session.scalar(select(HourLine).where(HourLine.status == HourStatus.SUBMITTED))
        assert waiting.booking.expert.user.name in approvals.text

    def test_calendar_feeds_show_the_bookings(self, lived):
        coordinator = get_by_email("coordinator@example.org")
        _feed, token = create_feed(actor=coordinator, scope="all", now=lived.now)
        db.session.commit()

        response = lived.app.test_client().get(f"/calendar/{token}.ics")
        events = feed_events(resolve(token), now=lived.now)

        assert response.status_code == 200
        assert response.mimetype == "text/calendar"
        # The coordinator's feed of every booking looks back FEED_ALL_PAST_DAYS (its cutoff
        # is the local midnight before): every booking not cancelled and ended since then is
        # in it, none that ended a day before.
        window = timedelta(days=past_days(scope="all"))
        recent = _count(Booking, Booking.status != BookingStatus.CANCELLED,
                        Booking.ends_at >= lived.now - window)
        assert len(events) >= recent >= 20
        assert min(e.ends_at for e in events) >= lived.now - window - timedelta(days=1)

    def test_regions_municipalities_and_areas(self, lived):
        regions = db.session.execute(select(SafetyRegion.code, SafetyRegion.name)
                                     .order_by(SafetyRegion.code)).all()
        rows = db.session.execute(
            select(Municipality.name, Municipality.cbs_code, SafetyRegion.code).join(SafetyRegion)
        ).all()
        areas = set(db.session.scalars(select(ExpertiseArea.name_en)))

        assert [tuple(r) for r in regions] == [
            ("VR04", "IJsselland"), ("VR05", "Twente"), ("VR06", "Noord- en Oost-Gelderland"),
            ("VR07", "Gelderland-Midden"), ("VR08", "Gelderland-Zuid"),
        ]
        by_name = {name: (code, region) for name, code, region in rows}
        assert {name: by_name[name] for name in (
            "Enschede", "Hengelo", "Almelo", "Arnhem", "Ede", "Nijmegen", "Apeldoorn",
            "Doetinchem", "Zwolle", "Deventer",
        )} == {
            "Enschede": ("GM0153", "VR05"), "Hengelo": ("GM0164", "VR05"),
            "Almelo": ("GM0141", "VR05"), "Arnhem": ("GM0202", "VR07"), "Ede": ("GM0228", "VR07"),
            "Nijmegen": ("GM0268", "VR08"), "Apeldoorn": ("GM0200", "VR06"),
            "Doetinchem": ("GM0222", "VR06"), "Zwolle": ("GM0193", "VR04"),
            "Deventer": ("GM0150", "VR04"),
        }
        per_region = {}
        for _name, _code, region in rows:
            per_region[region] = per_region.get(region, 0) + 1
        assert per_region == {"VR04": 11, "VR05": 14, "VR06": 22, "VR07": 15, "VR08": 15}
        assert areas == {
            "Jihadism", "Right-wing extremism", "Left-wing extremism", "Anti-government extremism",
            "Islamic theology", "Online radicalisation", "Returnees and travellers",
            "Mental health and radicalisation", "Family and network support", "Polarisation",
        }

    def test_case_tables_with_sessions_through_the_year(self, lived):
        twente = db.session.scalar(select(CaseTable).where(CaseTable.name == "Casustafel Twente"))
        arnhem = db.session.scalar(select(CaseTable).where(CaseTable.name == "Casustafel Arnhem"))
        today, year = lived.today, lived.now.year

        twente_sittings = _sittings_between("Casustafel Twente", today, today + timedelta(365))
        arnhem_sittings = _sittings_between("Casustafel Arnhem", today, today + timedelta(365))
        twente_past = _sittings_between("Casustafel Twente", date(year, 1, 1), today)

        assert (twente.host_municipality.name, twente.rrule) == (
            "Enschede", "FREQ=MONTHLY;BYDAY=2TU")
        assert to_local(twente.first_session_start).time() == time(13, 0)
        assert to_local(twente.first_session_start).date() < date(year, 1, 14)
        assert [m.name for m in twente.municipalities] == [
            "Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn", "Hengelo",
            "Hof van Twente", "Losser", "Oldenzaal", "Rijssen-Holten", "Tubbergen", "Twenterand",
            "Wierden",
        ]
        assert len(twente_sittings) >= 11
        assert len(twente_past) == sum(_second_tuesday(year, month) <= today
                                       for month in range(1, today.month + 1))
        assert {to_local(s.starts_at).time() for s in twente_sittings + twente_past} == {
            time(13, 0)}
        assert {to_local(s.starts_at).weekday() for s in twente_sittings} == {1}
        assert {to_local(s.starts_at).day for s in twente_sittings} <= set(range(8, 15))
        assert {s.ends_at - s.starts_at for s in twente_sittings} == {timedelta(hours=2)}

        assert (arnhem.host_municipality.name, arnhem.rrule) == ("Arnhem", "FREQ=WEEKLY;BYDAY=TH")
        assert {m.safety_region.code for m in arnhem.municipalities} == {"VR07"}
        assert len(arnhem.municipalities) == 15
        assert len(arnhem_sittings) >= 50
        assert to_local(arnhem_sittings[0].starts_at).date() <= today + timedelta(days=7)
        assert {to_local(s.starts_at).time() for s in arnhem_sittings} == {time(10, 0)}
        assert {to_local(s.starts_at).weekday() for s in arnhem_sittings} == {3}

    def test_experts_staff_and_budgets(self, lived):
        today = lived.today
        experts = list(db.session.scalars(select(Expert)))
        yasmina_rate = db.session.scalar(select(ExpertRate).join(Expert).join(User)
                                         .where(User.email == "yasmina.elkhatib@example.org"))
        requesters = {u.email: (u.role_names, u.municipality.name) for u in db.session.scalars(
            select(User).where(User.municipality_id.is_not(None)))}
        budgets = list(db.session.scalars(select(Budget).order_by(Budget.year)))

        assert len(experts) == 12
        for expert in experts:
            assert expert.user.role_names == {Role.EXPERT}
            assert expert.expertise, expert.user.email
            assert {e.level for e in expert.expertise} <= {1, 2, 3}
            assert "nl" in {lang.language for lang in expert.languages}
            assert [r.valid_from for r in expert.rates] == [date(today.year, 1, 1)]
            assert Decimal("85.00") <= expert.rates[0].hourly_rate <= Decimal("140.00")
            assert expert.vog_expires_on > today
            assert expert.confidentiality_expires_on > today
        assert len({e.home_municipality_id for e in experts}) == 12
        assert db.session.scalar(select(func.count()).select_from(AvailabilityWindow)) == 25
        assert db.session.scalar(select(func.count()).select_from(ExpertConflict)) == 3
        assert yasmina_rate.hourly_rate == Decimal("125.00")

        assert requesters == {
            "casustafel.twente@example.org": ({Role.REQUESTER}, "Enschede"),
            "casustafel.arnhem@example.org": ({Role.REQUESTER}, "Arnhem"),
            "veiligheid.hengelo@example.org": ({Role.REQUESTER}, "Hengelo"),
            "veiligheid.almelo@example.org": ({Role.REQUESTER}, "Almelo"),
            "veiligheid.ede@example.org": ({Role.REQUESTER}, "Ede"),
        }
        assert get_by_email("coordinator@example.org").role_names == {Role.COORDINATOR}
        assert get_by_email("beheer@example.org").role_names == {Role.ADMIN}
        assert [(b.year, b.amount, b.km_rate) for b in budgets] == [
            (today.year, Decimal("125000.00"), Decimal("0.23")),
            (today.year + 1, Decimal("125000.00"), Decimal("0.23")),
        ]

    def test_summary_names_the_lived_year_the_draft_budget_and_the_logins(self, lived):
        year = lived.now.year

        assert f"lived year {year}" in lived.output
        assert f"budget {year + 1} (draft)" in lived.output
        assert "EUR 125,000.00" in lived.output
        assert "http://127.0.0.1:5000" in lived.output
        assert lived.output.count(demo_data.DEMO_PASSWORD) == USERS
        for login in DEMO_LOGINS:
            assert f"{login.email}  " in lived.output

    def test_printed_logins_work(self, lived):
        for login in DEMO_LOGINS:
            client = lived.app.test_client()
            response = client.post("/login", data={"email": login.email,
                                                   "password": demo_data.DEMO_PASSWORD})
            assert response.status_code == 302, login.email
            with client.session_transaction() as session:
                assert session["_user_id"] == str(get_by_email(login.email).id)

    def test_loading_again_on_the_same_day_changes_no_rows(self, lived):
        coordinator = get_by_email("coordinator@example.org")
        password_hash, coordinator.password_hash = coordinator.password_hash, "left-as-it-is"
        db.session.commit()

        again = lived.app.test_cli_runner().invoke(
            args=["demo", "--now", LIVED_DAYS[lived.name]])

        assert again.exit_code == 0, again.output
        counts = _row_counts()
        assert counts == {**lived.counts, "calendar_feed": counts["calendar_feed"]}
        assert (counts["safety_region"], counts["municipality"],
                counts["expertise_area"]) == (5, 77, 10)
        assert (counts["case_table"], counts["user_account"], counts["expert"]) == (2, USERS, 12)
        assert get_by_email("coordinator@example.org").password_hash == "left-as-it-is"
        loads = list(db.session.scalars(select(AuditEvent.details)
                                        .where(AuditEvent.action == "demo.load")))
        assert [d["users_created"] for d in loads] == [USERS, 0]
        histories = list(db.session.scalars(select(AuditEvent.details)
                                            .where(AuditEvent.action == "demo.history")))
        assert [d["year"] for d in histories] == [lived.now.year]
        coordinator.password_hash = password_hash
        db.session.commit()


def test_load_demo_early_in_the_year_lives_the_previous_year_too(app):
    # 20 February 2026: fewer than MIN_SETTLED_SESSIONS sessions of the year ended more
    # than a week ago, so 2025 is lived as well (see demo.py, "Early in the year").
    now = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)

    summary = load_demo(now=now)

    assert [y.year for y in summary.lived] == [2025, 2026]
    assert [e.user.email for e in db.session.scalars(select(Expert)) if
            e.vog_expires_on <= date(2026, 4, 21)] == ["senait.tesfaye@example.org"]
    assert Decimal("0.85") <= _spent_share(2025, now) <= Decimal("0.95")
    # 2026 gets what its few past sessions can carry (documented; not checked against 55 %).
    assert Decimal("0") < _spent_share(2026, now) <= Decimal("0.80")
    months_2025 = year_figures(year=2025, now=now).total.months
    assert all(amount > 0 for amount in months_2025)
    assert _count(Referral, Referral.status == ReferralStatus.UNFILLED) == 1
    assert _count(Offer, Offer.status == OfferStatus.PENDING) >= 1
    assert [b.year for b in db.session.scalars(select(Budget).order_by(Budget.year))] == [
        2025, 2026, 2027]
    assert {r.valid_from for r in db.session.scalars(select(ExpertRate))} == {
        date(2025, 1, 1), date(2026, 1, 1)}
    # The rule runs in local wall-clock time across the daylight-saving change.
    starts = [to_local(s.starts_at) for s in _sittings_between(
        "Casustafel Twente", date(2026, 3, 1), date(2026, 11, 30))]
    assert [s.date() for s in starts] == [
        date(2026, 3, 10), date(2026, 4, 14), date(2026, 5, 12), date(2026, 6, 9),
        date(2026, 7, 14), date(2026, 8, 11), date(2026, 9, 8), date(2026, 10, 13),
        date(2026, 11, 10),
    ]
    assert {s.time() for s in starts} == {time(13, 0)}


def test_demo_command_refuses_a_malformed_now(runner):
    result = runner.invoke(args=["demo", "--now", "15-09-2026"])

    assert result.exit_code == 2
    assert "2026-09-15" in result.output
    assert _count(User) == 0
