"""The year report's urgent requests: count, share answered in time, median time to
booking; on the page, in the CSV and in the API."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from duidingspool.extensions import db
from duidingspool.reports.queries import year_report
from tests.hours.helpers import Priced


@pytest.fixture
def world(app):
    world = Priced(amount="1000.00")
    filed = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    # Urgent, booked after 1 hour with 2 hours to answer: in time.
    quick = world.booking("2026-03-02T13:00")
    # Urgent, booked after 5 hours with 4 hours to answer: late.
    late = world.booking("2026-03-03T13:00")
    # Urgent, never booked.
    unbooked = world.booking("2026-03-03T15:00", status="cancelled")
    unbooked.referral.status = "unfilled"
    # Not urgent, booked after 30 hours.
    normal = world.booking("2026-04-10T13:00")
    for booking, hours, booked_after in ((quick, 2, 1), (late, 4, 5), (unbooked, 4, 1),
                                         (normal, None, 30)):
        referral = booking.referral
        referral.created_at = filed
        referral.urgent_answer_hours = hours
        referral.answer_due_at = filed + timedelta(hours=hours) if hours else None
        booking.created_at = filed + timedelta(hours=booked_after)
    db.session.commit()
    return world


def test_urgent_figures(world):
    urgent = year_report(year=2026).urgent

    assert (urgent.requested, urgent.booked, urgent.in_time) == (3, 2, 1)
    assert str(urgent.in_time_share) == "33.3"
    assert str(urgent.median_hours_to_booking) == "3.0"  # of 1 h and 5 h, not the 30 h


def test_urgent_figures_on_the_page_in_the_csv_and_the_api(world, login_as):
    client = login_as(world.coordinator)

    html = client.get("/rapportage/2026").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(
        client.get("/rapportage/2026/urgent.csv").get_data(as_text=True).lstrip("\ufeff")),
        delimiter=";"))
    body = client.get("/api/v1/reports/2026").get_json()

    assert '<dd id="urgent-requested">3</dd>' in html
    assert '<dd id="urgent-in-time">1 (33.3%)</dd>' in html
    assert rows[1] == ["3", "2", "1", "33.3", "3.0"]
    assert body["urgent"] == {"requested": 3, "booked": 2, "in_time": 1,
                              "in_time_percent": "33.3", "median_hours_to_booking": "3.0"}
