"""Expertise area services."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from duidingspool.audit.models import AuditEvent
from duidingspool.casetables.ics import ExpansionBudget
from duidingspool.errors import ValidationFailed
from duidingspool.experts import services
from duidingspool.extensions import db
from tests import factories as f


def test_create_area(app):
    area = services.create_area(actor=None, code="Online-Radicalisation",
                                name_nl="Online radicalisering", name_en="Online radicalisation",
                                description="  ")

    assert (area.code, area.name_nl, area.description, area.is_active) == (
        "online-radicalisation", "Online radicalisering", None, True)
    assert db.session.scalars(select(AuditEvent.action)).all() == ["expertise_area.create"]


def test_create_area_duplicates_refused(app):
    existing = f.expertise_area()

    with pytest.raises(ValidationFailed) as caught:
        services.create_area(actor=None, code=existing.code, name_nl=existing.name_nl.upper(),
                             name_en="Something new")

    assert sorted(caught.value.fields) == ["code", "name_nl"]


def test_update_area_records_changed_fields(app):
    area = f.expertise_area()

    services.update_area(actor=None, area=area, code=area.code, name_nl="Jihadisme",
                         name_en="Jihadism", description="Salafi-jihadist movements")

    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.details) == (
        "expertise_area.update", {"fields": ["description", "name_en", "name_nl"]})


def test_deactivate_and_reactivate_area(app):
    area = f.expertise_area()

    services.set_area_active(actor=None, area=area, active=False)
    services.set_area_active(actor=None, area=area, active=False)
    assert services.list_areas(include_inactive=False) == []
    services.set_area_active(actor=None, area=area, active=True)

    assert area.is_active is True
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
        "expertise_area.deactivate", "expertise_area.activate"]


# --- Expert profiles, rates, vetting, availability, busy calendar ----------------------------

from datetime import date, datetime, timedelta, timezone  # noqa: E402
from decimal import Decimal  # noqa: E402

from duidingspool.accounts.models import Role  # noqa: E402
from duidingspool.errors import Conflict, NotFound  # noqa: E402
from duidingspool.experts.models import (  # noqa: E402
    Absence,
    AvailabilityWindow,
    BusyInterval,
    ExpertConflict,
    ExpertRate,
)
from tests.casetables.helpers import calendar, serving  # noqa: E402

TODAY = date(2027, 3, 10)
UTC = timezone.utc


def busy_rows():
    return db.session.execute(select(BusyInterval.expert_id, BusyInterval.starts_at,
                                     BusyInterval.ends_at).order_by(BusyInterval.starts_at)).all()


def test_create_expert_with_new_account(app):
    coordinator = f.user(Role.COORDINATOR)
    home, other = f.municipality(), f.municipality()
    area = f.expertise_area()

    expert = services.create_expert(
        actor=coordinator, email="Noor.Vermeulen@Example.org", name="Noor Vermeulen",
        password="a-long-password-1", home_municipality_id=home.id, languages=["nl", "ar"],
        areas={area.id: 3}, conflict_municipality_ids=[other.id], max_travel_km=80,
        max_hours_per_month=16)

    assert (expert.user.email, expert.user.role_names) == ("noor.vermeulen@example.org",
                                                         {Role.EXPERT})
    assert sorted(lang.language for lang in expert.languages) == ["ar", "nl"]
    assert [(e.expertise_area_id, e.level) for e in expert.expertise] == [(area.id, 3)]
    assert db.session.scalars(select(ExpertConflict.municipality_id)).all() == [other.id]
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
        "user.create", "expert.create"]


def test_create_expert_links_existing_user_and_adds_role(app):
    person = f.user(Role.REQUESTER)

    expert = services.create_expert(actor=None, account="existing", email=person.email,
                                    home_municipality_id=f.municipality().id)

    assert expert.user_id == person.id
    assert person.role_names == {Role.REQUESTER, Role.EXPERT}


def test_create_expert_existing_user_already_expert_refused(app):
    existing = f.expert()

    with pytest.raises(ValidationFailed) as caught:
        services.create_expert(actor=None, account="existing", email=existing.user.email,
                               home_municipality_id=existing.home_municipality_id)

    assert list(caught.value.fields) == ["email"]


def test_update_expert_unknown_language_and_bad_dates_refused(app):
    expert = f.expert()

    with pytest.raises(ValidationFailed) as caught:
        services.update_expert(actor=None, expert=expert,
                               home_municipality_id=expert.home_municipality_id,
                               max_travel_km=10, max_hours_per_month=10, is_active=True,
                               languages=["nl", "xx"], areas={}, conflict_municipality_ids=[],
                               vog_issued_on=date(2027, 1, 1), vog_expires_on=date(2026, 1, 1))

    assert sorted(caught.value.fields) == ["languages", "vog_expires_on"]


def test_update_expert_records_changed_fields(app):
    expert = f.expert(max_travel_km=100)
    area = f.expertise_area()

    services.update_expert(actor=None, expert=expert,
                           home_municipality_id=expert.home_municipality_id, max_travel_km=50,
                           max_hours_per_month=expert.max_hours_per_month, is_active=True,
                           languages=["tr"], areas={area.id: 2}, conflict_municipality_ids=[],
                           vog_issued_on=expert.vog_issued_on, vog_expires_on=expert.vog_expires_on,
                           confidentiality_signed_on=expert.confidentiality_signed_on,
                           confidentiality_expires_on=expert.confidentiality_expires_on)

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "expert.update")).one()
    assert event.details == {"fields": ["areas", "languages", "max_travel_km"]}


def test_rate_on_a_date_is_the_latest_from_that_date_or_before(app):
    expert = f.expert()
    services.add_rate(actor=None, expert=expert, valid_from=date(2027, 1, 1),
                      hourly_rate=Decimal("100"), today=date(2026, 12, 1))
    services.add_rate(actor=None, expert=expert, valid_from=date(2027, 7, 1),
                      hourly_rate=Decimal("112.50"), today=date(2026, 12, 1))

    assert services.rate_on(expert, date(2026, 12, 31)) is None
    assert services.rate_on(expert, date(2027, 6, 30)).hourly_rate == Decimal("100.00")
    assert services.rate_on(expert, date(2027, 7, 1)).hourly_rate == Decimal("112.50")


def test_add_rate_in_the_past_refused_once_a_rate_exists(app):
    expert = f.expert()
    services.add_rate(actor=None, expert=expert, valid_from=date(2026, 1, 1),
                      hourly_rate=Decimal("90"), today=TODAY)

    with pytest.raises(ValidationFailed) as caught:
        services.add_rate(actor=None, expert=expert, valid_from=TODAY - timedelta(days=1),
                          hourly_rate=Decimal("95"), today=TODAY)

    assert list(caught.value.fields) == ["valid_from"]
    assert db.session.scalars(select(ExpertRate.hourly_rate)).all() == [Decimal("90.00")]


def test_past_rate_cannot_be_changed_or_removed(app):
    expert = f.expert()
    rate = services.add_rate(actor=None, expert=expert, valid_from=TODAY - timedelta(days=1),
                             hourly_rate=Decimal("90"), today=TODAY)

    with pytest.raises(Conflict):
        services.delete_rate(actor=None, expert=expert, rate=rate, today=TODAY)
    with pytest.raises(Conflict):
        services.update_rate(actor=None, rate=rate, hourly_rate=Decimal("1"), today=TODAY)

    assert db.session.execute(select(ExpertRate.valid_from, ExpertRate.hourly_rate)).all() == [
        (TODAY - timedelta(days=1), Decimal("90.00"))]


def test_future_rate_can_be_removed(app):
    expert = f.expert()
    rate = services.add_rate(actor=None, expert=expert, valid_from=TODAY + timedelta(days=20),
                             hourly_rate=Decimal("120"), today=TODAY)

    services.delete_rate(actor=None, expert=expert, rate=rate, today=TODAY)

    assert db.session.scalars(select(ExpertRate)).all() == []
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
        "expert.rate_add", "expert.rate_delete"]


def test_vetting_notices_at_the_60_day_boundary(app):
    on_limit = f.expert(vog_expires_on=TODAY + timedelta(days=60))
    f.expert(vog_expires_on=TODAY + timedelta(days=61))
    lapsed = f.expert(confidentiality_expires_on=TODAY - timedelta(days=1))
    f.expert(vog_expires_on=TODAY, is_active=False)

    notices = services.vetting_notices(today=TODAY)

    assert sorted((n.expert.id, n.document, n.expires_on, n.lapsed) for n in notices) == sorted([
        (on_limit.id, "vog", TODAY + timedelta(days=60), False),
        (lapsed.id, "confidentiality", TODAY - timedelta(days=1), True)])


def test_add_window_overlapping_refused(app):
    expert = f.expert()
    services.add_window(actor=None, expert=expert, weekday=1, start_minute=540, end_minute=720)

    with pytest.raises(ValidationFailed) as caught:
        services.add_window(actor=None, expert=expert, weekday=1, start_minute=660,
                            end_minute=840)

    assert "overlaps" in caught.value.fields["start"][0]
    services.add_window(actor=None, expert=expert, weekday=1, start_minute=720, end_minute=840)
    services.add_window(actor=None, expert=expert, weekday=2, start_minute=660, end_minute=840)
    assert db.session.execute(select(AvailabilityWindow.weekday, AvailabilityWindow.start_minute,
                                     AvailabilityWindow.end_minute)
                              .order_by(AvailabilityWindow.weekday,
                                        AvailabilityWindow.start_minute)).all() == [
        (1, 540, 720), (1, 720, 840), (2, 660, 840)]


def test_remove_window_of_another_expert_not_found(app):
    mine, theirs = f.expert(), f.expert()
    window = services.add_window(actor=None, expert=theirs, weekday=0, start_minute=0,
                                 end_minute=60)

    with pytest.raises(NotFound):
        services.remove_window(actor=None, expert=mine, window_id=window.id)


def test_replace_availability_overlap_refused_keeps_old(app):
    expert = f.expert()
    services.add_window(actor=None, expert=expert, weekday=0, start_minute=540, end_minute=1020)

    with pytest.raises(ValidationFailed) as caught:
        services.replace_availability(actor=None, expert=expert, absences=[], windows=[
            {"weekday": 3, "start_minute": 540, "end_minute": 720},
            {"weekday": 3, "start_minute": 700, "end_minute": 800}])

    assert list(caught.value.fields) == ["windows.1"]
    assert db.session.execute(select(AvailabilityWindow.weekday)).scalars().all() == [0]


def test_absence_end_before_start_refused(app):
    expert = f.expert()
    start = datetime(2027, 4, 1, 8, tzinfo=UTC)

    with pytest.raises(ValidationFailed):
        services.add_absence(actor=None, expert=expert, starts_at=start, ends_at=start)

    assert db.session.scalars(select(Absence)).all() == []


BUSY_FEED = calendar(
    # A weekly meeting 09:00-10:00 Amsterdam time across the change to summer time (28 March).
    """UID:weekly@example.org
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Amsterdam:20270322T090000
DTEND;TZID=Europe/Amsterdam:20270322T100000
RRULE:FREQ=WEEKLY;COUNT=2
SUMMARY:Secret meeting title
DESCRIPTION:Very private description
LOCATION:Somewhere private""",
    """UID:free@example.org
DTSTAMP:20270101T000000Z
DTSTART:20270323T120000Z
DTEND:20270323T130000Z
TRANSP:TRANSPARENT
SUMMARY:Free time""",
    """UID:cancelled@example.org
DTSTAMP:20270101T000000Z
DTSTART:20270324T120000Z
DTEND:20270324T130000Z
STATUS:CANCELLED""",
    """UID:holiday@example.org
DTSTAMP:20270101T000000Z
DTSTART;VALUE=DATE:20270401
DTEND;VALUE=DATE:20270402
SUMMARY:Day off""",
)
NOW = datetime(2027, 3, 20, 12, tzinfo=UTC)
EXPECTED_BUSY = [
    (datetime(2027, 3, 22, 8, tzinfo=UTC), datetime(2027, 3, 22, 9, tzinfo=UTC)),  # CET
    (datetime(2027, 3, 29, 7, tzinfo=UTC), datetime(2027, 3, 29, 8, tzinfo=UTC)),  # CEST
    (datetime(2027, 3, 31, 22, tzinfo=UTC), datetime(2027, 4, 1, 22, tzinfo=UTC)),  # all day
]


def test_refresh_busy_calendar_stores_only_busy_times(app):
    expert = f.expert()
    with serving({"/busy.ics": (200, BUSY_FEED)}) as base:
        expert.busy_ics_url = f"{base}/busy.ics"

        count = services.refresh_busy_calendar(actor=None, expert=expert, now=NOW)

    assert count == 3
    assert busy_rows() == [(expert.id, s, e) for s, e in EXPECTED_BUSY]
    assert expert.busy_refreshed_at == NOW
    assert set(BusyInterval.__table__.columns.keys()) == {"id", "expert_id", "starts_at",
                                                          "ends_at"}
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "expert.busy_refresh")).all()
    assert [e.details for e in events] == [{"intervals": 3}]


def test_refresh_busy_calendar_replaces_old_intervals(app):
    expert = f.expert()
    db.session.add(BusyInterval(expert_id=expert.id, starts_at=datetime(2027, 5, 1, tzinfo=UTC),
                                ends_at=datetime(2027, 5, 2, tzinfo=UTC)))
    other = f.expert()
    db.session.add(BusyInterval(expert_id=other.id, starts_at=datetime(2027, 5, 1, tzinfo=UTC),
                                ends_at=datetime(2027, 5, 2, tzinfo=UTC)))
    with serving({"/busy.ics": (200, BUSY_FEED)}) as base:
        expert.busy_ics_url = f"{base}/busy.ics"
        services.refresh_busy_calendar(actor=None, expert=expert, now=NOW)

    assert busy_rows() == sorted(
        [(expert.id, s, e) for s, e in EXPECTED_BUSY]
        + [(other.id, datetime(2027, 5, 1, tzinfo=UTC), datetime(2027, 5, 2, tzinfo=UTC))],
        key=lambda row: row[1])


def _budget(occurrences: int = 50000, seconds: float = 5) -> ExpansionBudget:
    return ExpansionBudget(occurrences=occurrences, seconds=seconds)


def test_busy_intervals_outside_the_horizon_left_out(app):
    app.config["EXPERT_BUSY_HORIZON_DAYS"] = 5

    assert services.busy_intervals_from_ics(BUSY_FEED, start=NOW, end=NOW + timedelta(days=5),
                                            budget=_budget()) == EXPECTED_BUSY[:1]


def test_busy_intervals_overlapping_are_merged(app):
    feed = calendar("""UID:a@example.org
DTSTAMP:20270101T000000Z
DTSTART:20270401T090000Z
DTEND:20270401T110000Z""", """UID:b@example.org
DTSTAMP:20270101T000000Z
DTSTART:20270401T100000Z
DTEND:20270401T120000Z""")

    assert services.busy_intervals_from_ics(feed, start=NOW, end=NOW + timedelta(days=30),
                                            budget=_budget()) == [
        (datetime(2027, 4, 1, 9, tzinfo=UTC), datetime(2027, 4, 1, 12, tzinfo=UTC))]


@pytest.mark.parametrize("status, body", [(500, b"oops"), (200, b"this is not a calendar")])
def test_refresh_busy_calendar_failure_keeps_old_intervals(app, status, body):
    expert = f.expert()
    old = (datetime(2027, 5, 1, tzinfo=UTC), datetime(2027, 5, 2, tzinfo=UTC))
    db.session.add(BusyInterval(expert_id=expert.id, starts_at=old[0], ends_at=old[1]))
    with serving({"/busy.ics": (status, body)}) as base:
        expert.busy_ics_url = f"{base}/busy.ics"

        with pytest.raises(ValidationFailed) as caught:
            services.refresh_busy_calendar(actor=None, expert=expert, now=NOW)

    assert list(caught.value.fields) == ["busy_ics_url"]
    assert busy_rows() == [(expert.id, *old)]
    assert expert.busy_refreshed_at is None
