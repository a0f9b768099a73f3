"""Numbers, amounts, percentages and language names in the interface language (Babel)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from duidingspool import formats
from duidingspool.accounts.models import Role
from duidingspool.audit.services import record
from duidingspool.extensions import db
from tests import factories as f


@pytest.mark.parametrize(("locale", "expected"), [
    ("nl", ["1.250,5", "60,0", "60%", "0,2%", "€\xa0125.000,00", "€\xa0131.250", "Nederlands",
            "Arabisch", "xx"]),
    ("en", ["1,250.5", "60.0", "60%", "0.2%", "€125,000.00", "€131,250", "Dutch", "Arabic",
            "xx"]),
])
def test_formats_follow_the_interface_language(app, locale, expected):
    with app.test_request_context(), force_locale(locale):
        assert [
            formats.number(Decimal("1250.5")), formats.number(60, 1), formats.percent(60.0),
            formats.percent(Decimal("0.2")), formats.money(Decimal("125000")),
            formats.money(Decimal("131250"), whole=True), formats.language_name("nl"),
            formats.language_name("ar"), formats.language_name("xx"),
        ] == expected


def test_remembered_numbers_keep_their_language_and_pattern(app):
    """Numbers are written once per value, locale and pattern (formats._MEMO): the same
    amount asked in another language, another pattern or as another type is written anew."""
    with app.test_request_context():
        seen = []
        for locale in ("nl", "en", "nl"):
            with force_locale(locale):
                seen.append((formats.money(Decimal("1250.5")),
                             formats.money(Decimal("1250.5"), whole=True),
                             formats.number(Decimal("2.5")), formats.number(Decimal("2.5"), 2),
                             formats.number(2), formats.number(2.0, 1)))
    assert seen == [("€\xa01.250,50", "€\xa01.250", "2,5", "2,50", "2", "2,0"),
                    ("€1,250.50", "€1,250", "2.5", "2.50", "2", "2.0"),
                    ("€\xa01.250,50", "€\xa01.250", "2,5", "2,50", "2", "2,0")]


def test_empty_values_stay_empty(app):
    with app.test_request_context():
        assert [formats.number(None), formats.percent(None), formats.money(None),
                formats.hours(None), formats.language_name(None)] == [""] * 5


def test_trail_page_in_dutch(login_as):
    coordinator = f.user(Role.COORDINATOR, locale="nl")
    record(actor=coordinator, action="hours.approve", object_type="hour_line", object_id=7,
           details={"amount": "1250.00"})
    db.session.commit()

    html = login_as(coordinator).get("/logboek/").get_data(as_text=True)

    assert "Uren goedgekeurd" in html
    assert "<dt>Bedrag</dt><dd>€\xa01.250,00</dd>" in html


@pytest.mark.parametrize(("locale", "typed", "plain"), [
    ("nl", "125.000,00", "125000.00"), ("nl", "125000,00", "125000.00"),
    ("nl", "125000.00", "125000.00"), ("nl", "125.000", "125000"), ("nl", "0,23", "0.23"),
    ("nl", "0.23", "0.23"), ("nl", "€ 1.250,5", "1250.5"), ("nl", "1 250,00", "1250.00"),
    ("en", "125,000.00", "125000.00"), ("en", "125,000", "125000"), ("en", "0.23", "0.23"),
    ("en", "0,23", "0.23"), ("nl", "abc", "abc"), ("nl", "1,2,3", "1,2,3"),
    ("nl", "12.34.56", "12.34.56"), ("nl", "-5", "-5"),
])
def test_parse_decimal_input_reads_what_the_user_typed(app, locale, typed, plain):
    with app.test_request_context(), force_locale(locale):
        assert formats.parse_decimal_input(typed) == plain


def test_budget_form_shows_and_reads_dutch_numbers(login_as):
    from tests.hours.helpers import Priced
    from duidingspool.budget.models import Budget

    world = Priced(amount="125000.00", locale="nl")
    db.session.commit()
    client = login_as(world.coordinator)
    region = world.town.safety_region_id

    page = client.get("/budget/2026").get_data(as_text=True)
    saved = client.post("/budget/2027", data={
        "amount": "125.000,00", "km_rate": "0,23", "thresholds": "75%, 90%, 100%",
        f"allocation_{region}": "12.500,50"})

    assert 'id="amount" name="amount" value="125.000,00"' in page
    assert 'id="km_rate" name="km_rate" value="0,23"' in page
    assert saved.status_code == 302
    budget = db.session.scalar(db.select(Budget).where(Budget.year == 2027))
    assert (budget.amount, budget.km_rate, budget.thresholds) == (
        Decimal("125000.00"), Decimal("0.23"), [75, 90, 100])
    assert [a.amount for a in budget.allocations] == [Decimal("12500.50")]


def test_budget_page_numbers_in_dutch(login_as):
    from tests.hours.helpers import Priced

    world = Priced(amount="125000.00", locale="nl")
    world.line(world.booking("2026-03-10T13:00"), minutes=60, amount="250.00")
    db.session.commit()

    html = login_as(world.coordinator).get("/budget/2026").get_data(as_text=True)

    # 250 of 125.000 spent: 0,2% (was "0.2%"); the chart's axis in whole euros.
    assert ">0,2%<" in html
    assert "0,2% uitgegeven of vastgelegd" in html
    assert ">€\xa0131.250</text>" in html
    assert ">131250<" not in html
