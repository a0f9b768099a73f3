"""Year report page, CSV and API: figures, access, and nothing personal in them."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from duidingspool.extensions import db
from tests.hours.helpers import Priced


@pytest.fixture
def world(app):
    world = Priced(amount="1000.00")
    booking = world.booking("2026-03-10T13:00")
    world.line(booking, minutes=90, amount="120.00")
    world.line(booking, minutes=30, status="submitted", amount="40.00", category="travel")
    referral = booking.referral
    referral.created_at = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    booking.created_at = referral.created_at + timedelta(hours=10)
    other = world.booking("2026-04-10T13:00")
    other.referral.created_at = datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)
    other.created_at = other.referral.created_at + timedelta(hours=20)
    unbooked = world.booking("2026-05-10T13:00", status="cancelled")
    unbooked.referral.status = "unfilled"
    unbooked.referral.created_at = datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc)
    db.session.commit()
    return world


def test_report_page_figures_and_print_css(world, login_as):
    page = login_as(world.coordinator).get("/rapportage/2026")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert ' id="total-requested">3</dd>' in html
    assert ' id="fill-rate">66.7%</dd>' in html
    assert "15.0 hours" in html  # median of 10 h and 20 h
    assert "reports.css" in html


def test_report_has_no_question_text_or_case_code(world, login_as):
    client = login_as(world.coordinator)
    texts = [client.get("/rapportage/2026").get_data(as_text=True),
             client.get("/api/v1/reports/2026").get_data(as_text=True)]
    texts += [client.get(f"/rapportage/2026/{t}.csv").get_data(as_text=True)
              for t in ("regions", "municipalities", "areas", "categories", "experts", "budget")]
    for text in texts:
        assert "GEHEIM-CODE-42" not in text
        assert "Jan Modaal" not in text and "online uitingen" not in text


def test_csv_categories_content(world, login_as):
    response = login_as(world.coordinator).get("/rapportage/2026/categories.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))

    assert response.mimetype == "text/csv"
    assert rows[0] == ["Name", "Approved lines", "Approved hours", "Approved amount",
                       "Pending hours", "Pending amount"]
    assert rows[1:] == [
        ["preparation", "0", "0:00", "0.00", "0:00", "0.00"],
        ["attendance", "1", "1:30", "120.00", "0:00", "0.00"],
        ["travel", "0", "0:00", "0.00", "0:30", "40.00"],
        ["written_advice", "0", "0:00", "0.00", "0:00", "0.00"],
        ["follow_up", "0", "0:00", "0.00", "0:00", "0.00"],
    ]


def test_a_csv_download_reads_only_its_own_table(world, login_as):
    client = login_as(world.coordinator)
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert client.get("/rapportage/2026/categories.csv").status_code == 200
        categories = list(statements)
        statements.clear()
        assert client.get("/rapportage/2026").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)

    # The hours per category come from the hour tallies; the request counts, the results
    # and the budget are left alone (the page reads them all).
    def reading(sql, table):
        return [s for s in sql if f"FROM {table}" in s or f"JOIN {table}" in s]

    assert reading(categories, "hour_tally")
    for table in ("evaluation", "money_tally", "referral_expertise"):
        assert reading(statements, table) and not reading(categories, table), table


def test_report_api_figures(world, login_as):
    body = login_as(world.coordinator).get("/api/v1/reports/2026").json

    assert body["totals"] == {"requested": 3, "booked": 2, "cancelled": 0, "unfilled": 1,
                              "fill_rate_percent": "66.7"}
    assert body["median_hours_to_booking"] == "15.0"
    assert body["hours_per_expert"][0]["approved_amount"] == "120.00"
    assert body["budget"]["total"]["spent"] == "120.00"


def test_report_refused_for_expert_and_requester(world, login_as):
    assert login_as(world.expert.user).get("/rapportage/2026").status_code == 403
    assert login_as(world.requester).get("/rapportage/2026/regions.csv").status_code == 403
    assert login_as(world.expert.user).get("/api/v1/reports/2026").status_code == 403


def test_unknown_csv_table_is_404(world, login_as):
    assert login_as(world.coordinator).get("/rapportage/2026/secrets.csv").status_code == 404


def test_csv_neutralises_formulas_in_names(world, login_as):
    world.town.name = '=HYPERLINK("http://evil.example","x")'
    world.town.safety_region.name = "-2+3"
    world.area.name_nl = world.area.name_en = "+SUM(A1:A9)"
    world.expert.user.name = "@cmd|' /c calc'!A0"
    db.session.commit()
    client = login_as(world.coordinator)

    def rows(table):
        text = client.get(f"/rapportage/2026/{table}.csv").get_data(as_text=True)
        return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))

    municipalities, regions, areas, experts = (rows(t) for t in (
        "municipalities", "regions", "areas", "experts"))
    budget = rows("budget")

    assert municipalities[1][:2] == ["'-2+3", '\'=HYPERLINK("http://evil.example","x")']
    assert regions[1][0] == "'-2+3"
    assert areas[1][0] == "'+SUM(A1:A9)"
    assert experts[1][0] == "'@cmd|' /c calc'!A0"
    # Numbers stay numbers, a negative amount too.
    assert budget[1][1] == "1000.00"


def test_every_csv_writer_in_the_code_is_the_neutralising_one():
    from pathlib import Path

    import duidingspool

    root = Path(duidingspool.__file__).parent
    users = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                   if "csv.writer(" in p.read_text(encoding="utf-8"))

    assert users == ["csvexport.py"]
