"""Services of case tables: recurrence generation, ICS import, moving and cancelling."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.audit.models import AuditEvent
from duidingspool.casetables import services
from duidingspool.casetables.models import Sitting, SittingStatus
from duidingspool.errors import Conflict, ValidationFailed
from duidingspool.extensions import db
from duidingspool.timeutil import LOCAL_TZ, local_to_utc
from tests import factories as f
from tests.casetables.helpers import (
    ALL_DAY,
    JULY_CANCELLED,
    JUNE_MOVED,
    MONTHLY_SERIES,
    SINGLE,
    VTIMEZONE_AMSTERDAM,
    calendar,
    ics_table,
    serving,
    sitting_count,
    sittings_of,
)
from tests.factories import audit_actions, utc


def local(*args) -> datetime:
    return local_to_utc(datetime(*args))


def weekly_table(rule="FREQ=WEEKLY;BYDAY=TU;COUNT=6", first=(2027, 3, 9, 13, 0)):
    return f.case_table(rrule=rule, first_session_start=local(*first), duration_minutes=120)


# --- recurrence ------------------------------------------------------------------------------

def test_generate_sessions_keeps_local_time_across_spring_dst(app):
    table = weekly_table()

    created = services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1))

    found = sittings_of(table)
    assert created == 6
    assert [s.starts_at for s in found] == [
        utc(2027, 3, 9, 12), utc(2027, 3, 16, 12), utc(2027, 3, 23, 12),
        utc(2027, 3, 30, 11), utc(2027, 4, 6, 11), utc(2027, 4, 13, 11),
    ]
    assert {s.starts_at.astimezone(LOCAL_TZ).strftime("%H:%M") for s in found} == {"13:00"}
    assert {s.ends_at - s.starts_at for s in found} == {timedelta(hours=2)}
    assert {(s.origin_uid, s.status, s.sequence, s.location) for s in found} == {
        ("rrule", "scheduled", 0, table.address)}
    assert [s.origin_start for s in found] == [s.starts_at for s in found]


def test_generate_sessions_keeps_local_time_across_autumn_dst(app):
    table = weekly_table(rule="FREQ=WEEKLY;BYDAY=TU;COUNT=4", first=(2026, 10, 13, 13, 0))

    services.generate_sessions(actor=None, case_table=table, now=utc(2026, 10, 1))

    assert [s.starts_at for s in sittings_of(table)] == [
        utc(2026, 10, 13, 11), utc(2026, 10, 20, 11), utc(2026, 10, 27, 12), utc(2026, 11, 3, 12),
    ]


def test_generate_sessions_twice_creates_nothing_new(app):
    table = weekly_table()
    services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1))

    again = services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1))

    assert again == 0
    assert sitting_count() == 6
    assert audit_actions() == ["case_table.generate_sessions"]


def test_generate_sessions_never_overwrites_moved_or_cancelled(app):
    table = weekly_table()
    services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1))
    first, second = sittings_of(table)[:2]
    services.move_sitting(actor=None, sitting=first, starts_at=utc(2027, 3, 10, 8),
                          ends_at=utc(2027, 3, 10, 10))
    services.cancel_sitting(actor=None, sitting=second, reason="Feestdag")

    created = services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1))

    assert created == 0
    assert (first.status, first.starts_at, first.sequence) == ("moved", utc(2027, 3, 10, 8), 1)
    assert (second.status, second.sequence) == ("cancelled", 1)
    assert sitting_count() == 6


def test_generate_sessions_skips_the_past(app):
    table = weekly_table()

    created = services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 20))

    assert created == 4
    assert sittings_of(table)[0].starts_at == utc(2027, 3, 23, 12)


def test_generate_sessions_stops_at_the_horizon(app):
    table = weekly_table(rule="FREQ=WEEKLY;BYDAY=TU")

    created = services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1),
                                         horizon_days=20)

    assert created == 2
    assert [s.starts_at for s in sittings_of(table)] == [utc(2027, 3, 9, 12), utc(2027, 3, 16, 12)]


def test_generate_sessions_horizon_from_config(app):
    app.config["SESSION_HORIZON_DAYS"] = 10
    table = weekly_table(rule="FREQ=WEEKLY;BYDAY=TU")

    assert services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1)) == 1


def test_generate_sessions_rule_change_deletes_or_cancels_old_sessions(app):
    table = weekly_table(rule="FREQ=WEEKLY;BYDAY=TU;COUNT=4")
    services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1))
    tue9, tue16, tue23, tue30 = sittings_of(table)
    requester = f.user(Role.REQUESTER, municipality_obj=table.municipalities[0])
    f.referral(requester=requester, on=tue16)
    services.move_sitting(actor=None, sitting=tue23, starts_at=utc(2027, 3, 24, 12),
                          ends_at=utc(2027, 3, 24, 14))
    tue16_id, tue9_id = tue16.id, tue9.id

    table.rrule = "FREQ=WEEKLY;BYDAY=TH;COUNT=2"
    created = services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1))

    rows = [(s.starts_at, s.status) for s in sittings_of(table)]
    assert created == 2
    assert rows == [
        (utc(2027, 3, 11, 12), "scheduled"),  # new Thursdays
        (utc(2027, 3, 16, 12), "cancelled"),  # referred to by a request: kept, cancelled
        (utc(2027, 3, 18, 12), "scheduled"),
        (utc(2027, 3, 24, 12), "moved"),  # moved by hand: left alone
    ]
    assert db.session.get(Sitting, tue9_id) is None
    assert db.session.get(Sitting, tue16_id).sequence == 1
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "case_table.generate_sessions").order_by(AuditEvent.id.desc())).first()
    assert event.details == {"created": 2, "updated": 0, "deleted": 2, "cancelled": 1}


def test_generate_sessions_follows_a_changed_duration(app):
    table = weekly_table(rule="FREQ=WEEKLY;BYDAY=TU;COUNT=2")
    services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1))

    table.duration_minutes = 90
    services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1))

    assert [(s.ends_at - s.starts_at, s.sequence) for s in sittings_of(table)] == [
        (timedelta(minutes=90), 1), (timedelta(minutes=90), 1)]


@pytest.mark.parametrize("rule", ["FREQ=HOURLY", "FREQ=MINUTELY;COUNT=3", "FREQ=SECONDLY",
                                  "FREQ=FOO", "BYDAY=TU", "FREQ=WEEKLY;BYDAY=XX",
                                  "FREQ=DAILY;BYHOUR=9,10", "", "FREQ=WEEKLY\nRRULE:FREQ=DAILY",
                                  "FREQ=WEEKLY;INTERVAL=0"])
def test_create_case_table_refuses_a_bad_rule(app, rule):
    member = f.municipality()

    with pytest.raises(ValidationFailed) as caught:
        services.create_case_table(
            actor=None, name="Casustafel Test", host_organisation="Veiligheidshuis",
            host_municipality_id=member.id, address="Markt 1", municipality_ids=[member.id],
            schedule_source="recurrence", rrule=rule, first_session_start=local(2027, 1, 12, 13))

    assert list(caught.value.fields) == ["rrule"]
    assert sitting_count() == 0


def test_create_case_table_generates_sessions_and_adds_host(app):
    host, other = f.municipality(), f.municipality()

    table = services.create_case_table(
        actor=None, name="Casustafel Twente", host_organisation="Veiligheidshuis Twente",
        host_municipality_id=host.id, address="Hengelosestraat 1, Enschede",
        municipality_ids=[other.id], schedule_source="recurrence",
        rrule="RRULE:FREQ=MONTHLY;BYDAY=2TU", first_session_start=local(2027, 1, 12, 13),
        duration_minutes=120, now=utc(2027, 1, 1))

    assert table.rrule == "FREQ=MONTHLY;BYDAY=2TU"
    assert {m.id for m in table.municipalities} == {host.id, other.id}
    assert sitting_count() == 12
    assert audit_actions() == ["case_table.create", "case_table.generate_sessions"]


def test_update_case_table_with_new_rule_regenerates(app):
    host = f.municipality()
    table = services.create_case_table(
        actor=None, name="Casustafel Arnhem", host_organisation="Gemeente Arnhem",
        host_municipality_id=host.id, address="Koningstraat 2", municipality_ids=[host.id],
        schedule_source="recurrence", rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=3",
        first_session_start=local(2027, 3, 9, 13), now=utc(2027, 3, 1))

    services.update_case_table(
        actor=None, case_table=table, name="Casustafel Arnhem", host_organisation="Gemeente Arnhem",
        host_municipality_id=host.id, address="Koningstraat 2", municipality_ids=[host.id],
        schedule_source="recurrence", rrule="FREQ=WEEKLY;BYDAY=WE;COUNT=3",
        first_session_start=local(2027, 3, 10, 13), now=utc(2027, 3, 1))

    assert [s.starts_at for s in sittings_of(table)] == [
        utc(2027, 3, 10, 12), utc(2027, 3, 17, 12), utc(2027, 3, 24, 12)]
    update = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case_table.update")).one()
    assert update.details == {"fields": ["first_session_start", "rrule"]}


# --- ICS import ------------------------------------------------------------------------------

FEED = calendar(MONTHLY_SERIES, JUNE_MOVED, JULY_CANCELLED, SINGLE, ALL_DAY)
NOW = utc(2027, 1, 1)


def test_import_ics_honours_timezones_exdate_overrides_and_cancellations(app):
    table = ics_table()

    result = services.import_ics(actor=None, case_table=table, data=FEED, now=NOW)

    rows = [(s.starts_at, s.ends_at - s.starts_at, s.location, s.status, s.origin_uid)
            for s in sittings_of(table)]
    series, two = "twente-monthly@example.org", timedelta(hours=2)
    assert result == services.ImportResult(created=9, updated=0, cancelled=0, unchanged=0)
    assert rows == [
        (utc(2027, 2, 9, 12), two, "Stadhuis Enschede", "scheduled", series),
        (utc(2027, 3, 9, 12), two, "Stadhuis Enschede", "scheduled", series),
        (utc(2027, 3, 16, 9), two, "Online", "scheduled", "extra-session@example.org"),
        (utc(2027, 4, 13, 11), two, "Stadhuis Enschede", "scheduled", series),  # summer time
        # 11 May is an EXDATE; 8 June moved to 9 June 10:00 in Hengelo; 13 July cancelled
        (utc(2027, 6, 9, 8), two, "Veiligheidshuis Hengelo", "scheduled", series),
        (utc(2027, 8, 10, 11), two, "Stadhuis Enschede", "scheduled", series),
        (utc(2027, 9, 14, 11), two, "Stadhuis Enschede", "scheduled", series),
        (utc(2027, 10, 12, 11), two, "Stadhuis Enschede", "scheduled", series),
        (utc(2027, 11, 9, 12), two, "Stadhuis Enschede", "scheduled", series),  # winter time
    ]
    june = sittings_of(table)[4]
    assert june.origin_start == utc(2027, 6, 8, 11)  # keyed by its RECURRENCE-ID
    assert table.ics_imported_at is not None
    assert {s.note for s in sittings_of(table)} == {None}  # no SUMMARY or DESCRIPTION kept


PAST_SINGLE = """UID:last-year@example.org
DTSTAMP:20261201T000000Z
DTSTART:20260316T090000Z
DTEND:20260316T110000Z
"""
PAST_SERIES = """UID:ended-series@example.org
DTSTAMP:20261201T000000Z
DTSTART:20260105T090000Z
DTEND:20260105T110000Z
RRULE:FREQ=WEEKLY;UNTIL=20260601T000000Z
"""
ENDLESS_SERIES = """UID:endless@example.org
DTSTAMP:20261201T000000Z
DTSTART:20200105T090000Z
DTEND:20200105T110000Z
RRULE:FREQ=YEARLY;BYMONTH=1
"""


def test_import_ics_says_how_many_past_events_it_skipped(app):
    table = ics_table()

    result = services.import_ics(actor=None, case_table=table,
                                 data=calendar(PAST_SINGLE, PAST_SERIES), now=NOW)

    assert result == services.ImportResult(created=0, updated=0, cancelled=0, unchanged=0,
                                           skipped_past=2)
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "case_table.import_ics")).one()
    assert event.details["skipped_past"] == 2


def test_import_ics_does_not_count_series_with_sessions_or_without_an_end_as_past(app):
    table = ics_table()

    result = services.import_ics(actor=None, case_table=table,
                                 data=calendar(PAST_SINGLE, ENDLESS_SERIES, SINGLE), now=NOW)

    # The endless series has its 2027 session within the horizon; SINGLE is in 2027.
    assert (result.created, result.skipped_past) == (2, 1)


def test_import_ics_twice_changes_nothing(app):
    table = ics_table()
    services.import_ics(actor=None, case_table=table, data=FEED, now=NOW)

    result = services.import_ics(actor=None, case_table=table, data=FEED, now=NOW)

    assert result == services.ImportResult(created=0, updated=0, cancelled=0, unchanged=9)
    assert {s.sequence for s in sittings_of(table)} == {0}
    assert sitting_count() == 9


def test_import_ics_updates_moves_and_cancels(app):
    table = ics_table()
    services.import_ics(actor=None, case_table=table, data=FEED, now=NOW)
    june_later = JUNE_MOVED.replace("20270609T100000", "20270610T140000").replace(
        "20270609T120000", "20270610T160000")
    august_cancelled = JULY_CANCELLED.replace("20270713", "20270810")

    result = services.import_ics(actor=None, case_table=table, now=NOW, data=calendar(
        MONTHLY_SERIES, june_later, JULY_CANCELLED, august_cancelled))

    assert result == services.ImportResult(created=0, updated=1, cancelled=2, unchanged=6)
    june = db.session.scalars(select(Sitting).where(
        Sitting.origin_start == utc(2027, 6, 8, 11))).one()
    assert (june.starts_at, june.status, june.sequence) == (utc(2027, 6, 10, 12), "moved", 1)
    single = db.session.scalars(select(Sitting).where(
        Sitting.origin_uid == "extra-session@example.org")).one()
    august = db.session.scalars(select(Sitting).where(
        Sitting.origin_start == utc(2027, 8, 10, 11))).one()
    assert (single.status, single.sequence) == ("cancelled", 1)  # gone from the feed
    assert (august.status, august.sequence) == ("cancelled", 1)  # STATUS:CANCELLED
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "case_table.import_ics").order_by(AuditEvent.id.desc())).first()
    assert event.details == {"source": "upload", "created": 0, "updated": 1, "cancelled": 2,
                             "unchanged": 6, "skipped_past": 0}


def test_import_ics_location_change_keeps_status(app):
    table = ics_table()
    services.import_ics(actor=None, case_table=table, data=calendar(SINGLE), now=NOW)

    services.import_ics(actor=None, case_table=table, now=NOW,
                        data=calendar(SINGLE.replace("LOCATION:Online", "LOCATION:Raadzaal")))

    (only,) = sittings_of(table)
    assert (only.location, only.status, only.sequence) == ("Raadzaal", "scheduled", 1)


def test_import_ics_leaves_past_and_generated_sessions_alone(app):
    table = ics_table()
    past = f.sitting(table, starts_at=utc(2026, 12, 1, 12), origin_uid="old@example.org")
    generated = f.sitting(table, starts_at=utc(2027, 2, 1, 12), origin_uid="rrule")

    services.import_ics(actor=None, case_table=table, data=calendar(SINGLE), now=NOW)

    assert (past.status, generated.status) == ("scheduled", "scheduled")


def test_import_ics_reads_iana_tzid_without_vtimezone(app):
    table = ics_table()
    event = """UID:iana@example.org
DTSTART;TZID=Europe/Amsterdam:20270706T130000
DTEND;TZID=Europe/Amsterdam:20270706T150000"""

    services.import_ics(actor=None, case_table=table, data=calendar(event, timezone=""), now=NOW)

    assert [s.starts_at for s in sittings_of(table)] == [utc(2027, 7, 6, 11)]


def test_import_ics_without_end_uses_the_case_table_duration(app):
    table = ics_table()
    event = "UID:noend@example.org\nDTSTART:20270706T110000Z"

    services.import_ics(actor=None, case_table=table, data=calendar(event), now=NOW)

    assert [s.ends_at for s in sittings_of(table)] == [utc(2027, 7, 6, 13)]


MALFORMED = {
    "not_icalendar": b"this is not a calendar",
    "empty": b"",
    "no_vcalendar": b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20270706T110000Z\r\nEND:VEVENT\r\n",
    "unterminated": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n",
    "no_dtstart": calendar("UID:a@example.org\nDTEND:20270706T110000Z"),
    "no_uid": calendar("DTSTART:20270706T110000Z"),
    "bad_rrule": calendar("UID:a@example.org\nDTSTART:20270706T110000Z\nRRULE:FREQ=SOMETIMES"),
    "rrule_without_freq": calendar("UID:a@example.org\nDTSTART:20270706T110000Z\nRRULE:COUNT=3"),
    "secondly": calendar("UID:a@example.org\nDTSTART:20270706T110000Z\nRRULE:FREQ=SECONDLY"),
    "bad_dtstart": calendar("UID:a@example.org\nDTSTART:2027-07-06"),
    "unknown_tzid": calendar("UID:a@example.org\nDTSTART;TZID=Mars/Olympus:20270706T110000"),
    "interval_zero": calendar("UID:a@example.org\nDTSTART:20270706T110000Z\n"
                              "RRULE:FREQ=WEEKLY;INTERVAL=0"),
    "no_events": b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nEND:VCALENDAR\r\n",
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_import_ics_malformed_changes_nothing(app, kind):
    table = ics_table()
    services.import_ics(actor=None, case_table=table, data=FEED, now=NOW)
    imported_at = table.ics_imported_at
    before = [(s.id, s.starts_at, s.status, s.sequence) for s in sittings_of(table)]

    with pytest.raises(ValidationFailed) as caught:
        services.import_ics(actor=None, case_table=table, data=MALFORMED[kind], now=NOW)

    assert caught.value.message.startswith("The calendar file is not valid: ")
    assert list(caught.value.fields) == ["file"]
    assert [(s.id, s.starts_at, s.status, s.sequence) for s in sittings_of(table)] == before
    assert table.ics_imported_at == imported_at
    assert audit_actions() == ["case_table.import_ics"]


def test_import_ics_url_fetches_and_imports(app):
    table = ics_table()
    with serving({"/twente.ics": (200, FEED)}) as base:
        result = services.import_ics_url(actor=None, case_table=table,
                                         url=f"{base}/twente.ics", now=NOW)

    assert result.created == 9
    assert table.ics_imported_at is not None
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "case_table.import_ics")).one()
    assert event.details["source"] == "url"


def test_import_ics_url_uses_the_case_table_address(app):
    table = ics_table()
    with serving({"/feed.ics": (200, calendar(SINGLE))}) as base:
        table.ics_url = f"{base}/feed.ics"
        result = services.import_ics_url(actor=None, case_table=table, now=NOW)

    assert result.created == 1


def test_import_ics_url_http_error_changes_nothing(app):
    table = ics_table()
    with serving({}) as base:
        with pytest.raises(ValidationFailed) as caught:
            services.import_ics_url(actor=None, case_table=table, url=f"{base}/missing.ics",
                                    now=NOW)

    assert caught.value.message == "The calendar could not be fetched: the server answered 404"
    assert (sitting_count(), table.ics_imported_at) == (0, None)


def test_import_ics_url_unreachable_changes_nothing(app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nobody listens there
    table = ics_table()

    with pytest.raises(ValidationFailed) as caught:
        services.import_ics_url(actor=None, case_table=table, url=f"http://127.0.0.1:{port}/x.ics",
                                now=NOW, timeout=2)

    assert caught.value.message.startswith("The calendar could not be fetched: it could not be reached")
    assert (sitting_count(), table.ics_imported_at) == (0, None)


def test_import_ics_url_too_large_changes_nothing(app):
    table = ics_table()
    with serving({"/big.ics": (200, FEED)}) as base:
        with pytest.raises(ValidationFailed) as caught:
            services.import_ics_url(actor=None, case_table=table, url=f"{base}/big.ics",
                                    now=NOW, max_bytes=100)

    assert caught.value.fields == {"url": ["the calendar is larger than 100 bytes"]}
    assert sitting_count() == 0


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a.ics", "twente.ics"])
def test_import_ics_url_refuses_other_schemes(app, url):
    table = ics_table()

    with pytest.raises(ValidationFailed) as caught:
        services.import_ics_url(actor=None, case_table=table, url=url, now=NOW)

    assert list(caught.value.fields) == ["url"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/a.ics", "http://10.1.2.3/a.ics",
                                 "http://[::1]/a.ics", "http://169.254.169.254/latest"])
def test_import_ics_url_refuses_internal_addresses(app, url):
    app.config["ICS_FETCH_ALLOW_PRIVATE"] = False
    table = ics_table()

    with pytest.raises(ValidationFailed) as caught:
        services.import_ics_url(actor=None, case_table=table, url=url, now=NOW)

    assert "not a public address" in caught.value.fields["url"][0]
    assert sitting_count() == 0


def test_import_ics_url_invalid_feed_changes_nothing(app):
    table = ics_table()
    with serving({"/bad.ics": (200, b"<html>not a calendar</html>")}) as base:
        with pytest.raises(ValidationFailed):
            services.import_ics_url(actor=None, case_table=table, url=f"{base}/bad.ics", now=NOW)

    assert (sitting_count(), table.ics_imported_at) == (0, None)


# --- move and cancel -------------------------------------------------------------------------

def test_move_sitting_sets_status_and_sequence(app):
    table = f.case_table()
    found = f.sitting(table, starts_at=utc(2027, 5, 4, 11))

    services.move_sitting(actor=None, sitting=found, starts_at=utc(2027, 5, 5, 8),
                          ends_at=utc(2027, 5, 5, 10), location="Raadzaal", is_online=True)

    assert (found.starts_at, found.ends_at, found.location, found.is_online, found.status,
            found.sequence) == (utc(2027, 5, 5, 8), utc(2027, 5, 5, 10), "Raadzaal", True,
                                "moved", 1)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sitting.move")).one()
    assert event.details == {"fields": ["ends_at", "is_online", "location", "starts_at"]}


def test_move_sitting_end_before_start_refused(app):
    found = f.sitting(f.case_table(), starts_at=utc(2027, 5, 4, 11))

    with pytest.raises(ValidationFailed):
        services.move_sitting(actor=None, sitting=found, starts_at=utc(2027, 5, 5, 10),
                              ends_at=utc(2027, 5, 5, 9))

    assert found.status == "scheduled"


def test_move_cancelled_sitting_is_a_conflict(app):
    found = f.sitting(f.case_table(), status=SittingStatus.CANCELLED)

    with pytest.raises(Conflict):
        services.move_sitting(actor=None, sitting=found, starts_at=utc(2027, 5, 5, 8),
                              ends_at=utc(2027, 5, 5, 10))


def test_cancel_sitting_sets_status_sequence_and_note(app):
    found = f.sitting(f.case_table())

    services.cancel_sitting(actor=None, sitting=found, reason="Zaal niet beschikbaar")

    assert (found.status, found.sequence, found.note) == ("cancelled", 1, "Zaal niet beschikbaar")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sitting.cancel")).one()
    assert event.details is None  # the reason is free text: not in the audit trail


def test_cancel_sitting_twice_is_a_conflict(app):
    found = f.sitting(f.case_table())
    services.cancel_sitting(actor=None, sitting=found, reason="Zaal niet beschikbaar")

    with pytest.raises(Conflict):
        services.cancel_sitting(actor=None, sitting=found, reason="Nogmaals")

    assert found.sequence == 1


def test_generate_sessions_accepts_a_local_until(app):
    table = weekly_table(rule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20270323")

    created = services.generate_sessions(actor=None, case_table=table, now=utc(2027, 3, 1))

    assert created == 2  # 9 and 16 March; UNTIL is midnight at the start of 23 March


def test_import_ics_reads_a_windows_tzid_with_its_vtimezone(app):
    table = ics_table()
    windows_zone = VTIMEZONE_AMSTERDAM.replace("TZID:Europe/Amsterdam",
                                               "TZID:W. Europe Standard Time")
    event = """UID:outlook@example.org
DTSTART;TZID=W. Europe Standard Time:20271102T130000
DTEND;TZID=W. Europe Standard Time:20271102T150000"""

    services.import_ics(actor=None, case_table=table, now=NOW,
                        data=calendar(event, timezone=windows_zone))

    assert [s.starts_at for s in sittings_of(table)] == [utc(2027, 11, 2, 12)]
