"""The pure builder: structure, time zones, folding, and what three parsers read back."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import vobject

from duidingspool.ical import builder
from tests.ical.helpers import AMS, local, read_all

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def _event(uid="0123456789abcdef0123456789abcdef", starts_at=None, *, hours=2, sequence=0,
           cancelled=False, summary="Interpretation request DV-2027-00012 — Casustafel Twente"):
    starts_at = starts_at or local(2027, 2, 9)
    return builder.FeedEvent(
        uid=uid, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
        sequence=sequence, cancelled=cancelled, summary=summary, location="Stationsplein 1",
        url="https://duidingspool.example.org/boekingen/mijn#booking-7",
        description="Details in Duidingspool: https://duidingspool.example.org/boekingen/mijn",
        last_modified=datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc),
        created=datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc))


def _text(events, **kw) -> str:
    return builder.build_feed(events, name="Duidingspool: my bookings", now=NOW,
                              **kw).to_ical().decode()


def test_feed_has_calendar_properties_and_refresh_hints():
    text = _text([_event()])

    lines = text.split("\r\n")
    assert lines[:5] == ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{builder.PRODID}",
                         "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines
    assert "X-WR-CALNAME:Duidingspool: my bookings" in lines
    assert "BEGIN:VTIMEZONE" in lines and "TZID:Europe/Amsterdam" in lines


def test_event_carries_uid_stamps_sequence_status_and_local_times():
    text = _text([_event(sequence=3)])

    lines = text.split("\r\n")
    assert "UID:0123456789abcdef0123456789abcdef" in lines
    assert "DTSTART;TZID=Europe/Amsterdam:20270209T140000" in lines
    assert "DTEND;TZID=Europe/Amsterdam:20270209T160000" in lines
    assert "DTSTAMP:20261101T080000Z" in lines
    assert "LAST-MODIFIED:20261101T080000Z" in lines
    assert "SEQUENCE:3" in lines
    assert "STATUS:CONFIRMED" in lines
    assert "URL:https://duidingspool.example.org/boekingen/mijn#booking-7" in lines


def test_refresh_interval_follows_the_setting():
    text = _text([], refresh=timedelta(minutes=30))

    assert "REFRESH-INTERVAL;VALUE=DURATION:PT30M" in text.split("\r\n")


def test_same_data_renders_to_the_same_bytes():
    first = _text([_event()])
    again = builder.build_feed([_event()], name="Duidingspool: my bookings",
                               now=NOW + timedelta(hours=5)).to_ical().decode()

    assert first == again


def test_fourteen_hundred_local_stays_local_across_both_dst_changes():
    # 2027: summer time starts on 28 March, ends on 31 October.
    days = [date(2027, 3, 26), date(2027, 3, 29), date(2027, 10, 29), date(2027, 11, 1)]
    events = [_event(uid=f"{i:032x}", starts_at=local(d.year, d.month, d.day))
              for i, d in enumerate(days)]

    seen = read_all(_text(events))

    for parser, found in seen.items():
        for event in events:
            start = found[event.uid].start
            assert start.astimezone(AMS).time().isoformat() == "14:00:00", parser
            assert start.astimezone(timezone.utc) == event.starts_at, parser


def test_vtimezone_agrees_with_zoneinfo_every_day_in_its_range():
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n"
            + builder.vtimezone(2024, 2031).to_ical().decode() + "END:VCALENDAR\r\n")
    tzinfo = vobject.readOne(text).vtimezone.gettzinfo()

    day = datetime(2024, 1, 1, 12)
    while day.year < 2032:
        assert day.replace(tzinfo=tzinfo).utcoffset() == day.replace(tzinfo=AMS).utcoffset(), day
        day += timedelta(days=1)


def test_long_summary_with_diacritics_and_emoji_is_folded_and_round_trips():
    summary = ("Interpretation request DV-2027-00012-AANVULLING-BIJZONDERE-ZITTING — "
               "Casustafel Zuid-Oost Gelderland – Dieren/Brummen 🌍 çàé… ; met, komma's\\")
    text = _text([_event(summary=summary)])

    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert any(line.startswith(" ") for line in text.split("\r\n"))
    for parser, found in read_all(text).items():
        assert found["0123456789abcdef0123456789abcdef"].summary == summary, parser


def test_empty_feed_is_a_valid_calendar_in_every_parser():
    text = _text([])

    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "BEGIN:VTIMEZONE" in text
    assert read_all(text) == {"icalendar": {}, "vobject": {}, "ics": {}}


def test_cancelled_event_is_marked_cancelled_and_free():
    text = _text([_event(cancelled=True, sequence=2)])

    lines = text.split("\r\n")
    assert "STATUS:CANCELLED" in lines and "TRANSP:TRANSPARENT" in lines
    for parser, found in read_all(text).items():
        assert found["0123456789abcdef0123456789abcdef"].status == "CANCELLED", parser


def test_itip_request_has_organizer_attendee_and_the_feeds_uid_and_sequence():
    event = _event(sequence=4)

    cal = builder.build_itip(event, method="REQUEST", organizer_email="pool@example.org",
                             organizer_name="Duidingspool",
                             attendees=[builder.Attendee("expert@example.org", "E. Xpert", True)],
                             now=NOW)

    text = cal.to_ical().decode()
    unfolded = text.replace("\r\n ", "")
    assert "METHOD:REQUEST" in text.split("\r\n")
    assert "ORGANIZER;CN=Duidingspool:mailto:pool@example.org" in unfolded
    assert ("ATTENDEE;CN=\"E. Xpert\";PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;RSVP=FALSE:"
            "mailto:expert@example.org") in unfolded
    assert "DTSTAMP:20261120T093000Z" in text
    assert read_all(text)["vobject"][event.uid].sequence == 4
    assert read_all(text)["ics"][event.uid].sequence == 4


def test_render_feed_gives_the_same_bytes_as_the_built_calendar():
    events = [_event(uid=f"{i:032x}", starts_at=local(2027 + i % 3, 1 + i % 12, 10), sequence=i)
              for i in range(30)] + [_event(uid="f" * 32, cancelled=True)]

    for batch in (events, events[:1], []):
        rendered = builder.render_feed(batch, name="Duidingspool: my bookings", now=NOW)
        again = builder.render_feed(batch, name="Duidingspool: my bookings", now=NOW)
        built = builder.build_feed(batch, name="Duidingspool: my bookings", now=NOW).to_ical()
        assert rendered == again == built
