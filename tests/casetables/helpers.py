"""Test helpers of the case table tests: calendars, a case table fed by one, and a local HTTP
server."""

from __future__ import annotations

import http.server
import threading
from contextlib import contextmanager

from sqlalchemy import select

from duidingspool.casetables.models import ScheduleSource, Sitting
from duidingspool.extensions import db
from tests import factories as f

VTIMEZONE_AMSTERDAM = """BEGIN:VTIMEZONE
TZID:Europe/Amsterdam
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


def calendar(*events: str, timezone: str = VTIMEZONE_AMSTERDAM) -> bytes:
    """A VCALENDAR around `events` (VEVENT bodies without BEGIN/END), CRLF line ends."""
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Duidingspool tests//EN\n{timezone}{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


# The second Tuesday of each month of 2027 from February, 13:00-15:00 Amsterdam time: the
# series crosses the change to summer time (28 March) and back (31 October).
MONTHLY_SERIES = """UID:twente-monthly@example.org
DTSTAMP:20261201T000000Z
DTSTART;TZID=Europe/Amsterdam:20270209T130000
DTEND;TZID=Europe/Amsterdam:20270209T150000
RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=10
EXDATE;TZID=Europe/Amsterdam:20270511T130000
LOCATION:Stadhuis Enschede
SUMMARY:Casustafel Twente
DESCRIPTION:Not to be stored
"""
# The June occurrence moved to Wednesday morning elsewhere.
JUNE_MOVED = """UID:twente-monthly@example.org
DTSTAMP:20261201T000000Z
RECURRENCE-ID;TZID=Europe/Amsterdam:20270608T130000
DTSTART;TZID=Europe/Amsterdam:20270609T100000
DTEND;TZID=Europe/Amsterdam:20270609T120000
LOCATION:Veiligheidshuis Hengelo
"""
JULY_CANCELLED = """UID:twente-monthly@example.org
DTSTAMP:20261201T000000Z
RECURRENCE-ID;TZID=Europe/Amsterdam:20270713T130000
DTSTART;TZID=Europe/Amsterdam:20270713T130000
DTEND;TZID=Europe/Amsterdam:20270713T150000
STATUS:CANCELLED
"""
SINGLE = """UID:extra-session@example.org
DTSTAMP:20261201T000000Z
DTSTART:20270316T090000Z
DTEND:20270316T110000Z
LOCATION:Online
"""
ALL_DAY = """UID:holiday@example.org
DTSTAMP:20261201T000000Z
DTSTART;VALUE=DATE:20270427
"""


def ics_table():
    """A case table whose sessions come from a calendar, not from a rule."""
    return f.case_table(schedule_source=ScheduleSource.ICS, rrule=None, first_session_start=None)


def sitting_count() -> int:
    return f.count(Sitting)


def sittings_of(table) -> list[Sitting]:
    return list(db.session.scalars(
        select(Sitting).where(Sitting.case_table_id == table.id).order_by(Sitting.starts_at)))


@contextmanager
def serving(routes: dict[str, tuple[int, bytes]]):
    """A local HTTP server on 127.0.0.1 answering `routes` {path: (status, body)}; yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            status, body = routes.get(self.path, (404, b"not found"))
            self.send_response(status)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
