"""The interface frame and form components: NL Design System markup, skip link, the header
during two-factor setup, error summaries that name and link their fields, confirmation
steps for destructive buttons, and the vendored design system files."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.bookings import services as booking_services
from duidingspool.bookings.models import Offer, OfferStatus
from duidingspool.db import utcnow
from duidingspool.experts.models import Absence, AvailabilityWindow, ExpertiseArea, ExpertRate
from duidingspool.extensions import db
from duidingspool.hours.models import HourLine
from duidingspool.ical import services as ical_services
from duidingspool.ical.models import CalendarFeed
from tests import factories as f
from tests.bookings.helpers import World, direct_booking
from tests.hours.helpers import Priced

STATIC = Path(__file__).resolve().parents[1] / "duidingspool" / "static"


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- the page frame ----------------------------------------------------------------------------

def test_every_page_has_a_skip_link_to_the_main_content(client):
    page = _text(client.get("/login"))

    skip = re.search(r'<a class="utrecht-skip-link[^"]*" href="#main">([^<]+)</a>', page)
    assert skip is not None and skip[1] == "Naar de hoofdinhoud"
    assert '<main id="main"' in page
    assert page.index("utrecht-skip-link") < page.index("<header")


def test_page_uses_the_design_system_document_theme_and_own_stylesheets(client):
    page = _text(client.get("/login"))

    assert ('<body class="utrecht-document utrecht-document--surface voorbeeld-theme '
            'duidingspool-theme">') in page
    for path in ("vendor/utrecht/component-library.css", "vendor/voorbeeld/theme.css",
                 "vendor/noto-sans/latin-400.css", "pool.css"):
        assert f'<link rel="stylesheet" href="/static/{path}">' in page
    assert '<script src="/static/pool.js" defer></script>' in page
    assert "https://" not in re.sub(r"<main.*</main>", "", page, flags=re.S)  # no CDN
    assert "style=" not in page  # the CSP allows no inline styles


def test_csp_stays_strict(client):
    csp = client.get("/login").headers["Content-Security-Policy"]

    assert csp == ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                   "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'")


@pytest.mark.parametrize("path", ["vendor/utrecht/component-library.css",
                                  "vendor/voorbeeld/theme.css",
                                  "vendor/noto-sans/latin-400.css",
                                  "vendor/noto-sans/files/noto-sans-latin-400-normal.woff2"])
def test_make_install_vendor_files_are_served(client, path):
    assert (STATIC / path).is_file(), "run `make install` (npm ci copies the design system files)"

    response = client.get(f"/static/{path}")

    assert response.status_code == 200
    assert response.data == (STATIC / path).read_bytes()
    response.close()


def test_vendor_component_css_has_the_classes_the_templates_use():
    css_file = STATIC / "vendor/utrecht/component-library.css"
    assert css_file.is_file(), "run `make install` (npm ci copies the design system files)"
    css = css_file.read_text()
    templates = Path(__file__).resolve().parents[1] / "templates"
    used = set()
    for template in templates.rglob("*.html"):
        used |= set(re.findall(r"\butrecht-[a-z0-9_-]*[a-z0-9]", template.read_text()))

    missing = sorted(name for name in used if f".{name}" not in css)

    assert missing == []


def test_header_during_required_two_factor_setup_offers_only_setup_and_log_out(client):
    from duidingspool.accounts.sessions import stamp

    coordinator = f.user(Role.COORDINATOR)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(coordinator.id)
        session["_fresh"] = True
        stamp(session, coordinator, second_factor=False)

    page = _text(client.get("/account/two-factor/setup"))

    header = page[page.index("<header"):page.index("</header>")]
    links = set(re.findall(r'<a class="utrecht-nav-list__link[^"]*" href="([^"]+)"', header))
    assert links == {"/account/two-factor/setup"}
    assert 'action="/logout"' in header
    assert "/verzoeken/inbox" not in header and "/profiel" not in header


def test_header_of_a_logged_in_coordinator_has_the_menu_twice_wide_and_in_a_details_button(
        as_user):
    page = _text(as_user(f.user(Role.COORDINATOR)).get("/verzoeken/inbox"))

    header = page[page.index("<header"):page.index("</header>")]
    assert header.count('href="/verzoeken/inbox"') == 2
    assert '<details class="pool-menu">' in header
    assert 'aria-current="page"' in header


# --- field errors: at the field, tied to it, named in the summary --------------------------------

def test_field_error_is_tied_to_its_input_and_named_in_the_summary(as_user):
    expert = f.expert()
    expert.user.locale = "en"
    client = as_user(expert.user)

    response = client.post("/beschikbaarheid/vensters",
                           data={"weekday": "1", "start": "", "end": "17:00"})

    page = _text(response)
    assert response.status_code == 422
    assert ('<input class="utrecht-textbox utrecht-textbox--html-input utrecht-textbox--invalid" '
            'id="start" name="start" type="time" value="" required '
            'aria-describedby="start-errors" aria-invalid="true">') in page
    assert 'id="start-errors"' in page
    summary = page[page.index("data-error-summary"):]
    summary = summary[:summary.index("</ul>")]
    assert re.search(r'<a class="utrecht-link utrecht-link--html-a" href="#start">From: [^<]+</a>',
                     summary)
    assert 'value="17:00"' in page  # what was typed stays


def test_field_with_a_hint_and_an_error_is_described_by_both(as_user):
    world = Priced()
    booking = world.booking("2026-06-30T10:00")
    client = as_user(world.expert.user)

    page = _text(client.post(f"/boekingen/{booking.id}/uren",
                             data={"category": "attendance", "hours": "anderhalf"}))

    assert 'aria-describedby="hours-hint hours-errors" aria-invalid="true"' in page
    assert 'href="#hours">Hours: Give hours as 1.5 or 1:30.</a>' in page


def test_rejecting_hours_without_a_reason_says_it_once(as_user):
    world = Priced()
    booking = world.booking("2026-06-30T10:00")
    line = world.line(booking, minutes=60, status="submitted", amount="80.00")
    client = as_user(world.coordinator)

    response = client.post("/uren/besluiten", data={"line_ids": str(line.id),
                                                    "decision": "reject", "reason": ""})

    page = _text(response)
    assert response.status_code == 422
    assert page.count("Give a reason for rejecting.") == 2  # at the field and in the summary
    assert page.count("Give a reason") == 2
    assert 'href="#reason">Reason (needed to reject): Give a reason for rejecting.</a>' in page
    db.session.refresh(line)
    assert line.status == "submitted"


def test_request_form_reports_every_error_in_one_round(as_user):
    world = World()
    world.requester.locale = "en"
    client = as_user(world.requester)

    # The hours fail the schema; the missing areas, question and date window are rules of
    # the service, which are checked in the same round.
    response = client.post("/verzoeken/nieuw", data={
        "case_table_id": str(world.table.id), "estimated_hours": "veel", "mode": "online"})

    page = _text(response)
    assert response.status_code == 422
    for field in ("estimated_hours", "areas", "question", "window_start"):
        assert f'id="{field}-errors"' in page, field
    assert 'href="#areas-group">Expertise needed: Choose at least one expertise area.</a>' in page
    assert 'href="#question">Question: Describe what must be interpreted.</a>' in page


# --- destructive buttons go through a confirmation page -----------------------------------------

def _confirm_form(page: str, action: str) -> bool:
    """The page is a confirmation form posting to `action` with a "Yes, ..." button."""
    return (f'<form method="post" action="{action}"' in page
            and re.search(r'<button type="submit" class="utrecht-button utrecht-button--primary-'
                          r'action pool-button--danger" name="confirm" value="yes">Yes, [^<]+'
                          r'</button>', page) is not None)


def test_deleting_an_hour_line_asks_first(as_user):
    world = Priced()
    booking = world.booking("2026-06-30T10:00")
    line = world.line(booking, minutes=90, status="draft", amount="120.00")
    client = as_user(world.expert.user)
    url = f"/uren/{line.id}/verwijderen"

    listed = _text(client.get(f"/boekingen/{booking.id}/uren"))
    asked = client.get(url)
    unconfirmed = client.post(url)
    still_there = db.session.get(HourLine, line.id) is not None
    confirmed = client.post(url, data={"confirm": "yes"})

    assert f'href="{url}"' in listed
    assert asked.status_code == 200 and _confirm_form(_text(asked), url)
    assert "1:30" in _text(asked)
    assert unconfirmed.status_code == 422 and still_there
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(HourLine, line.id) is None


def test_removing_availability_and_absence_asks_first(as_user):
    expert = f.expert()
    expert.user.locale = "en"
    window = AvailabilityWindow(expert_id=expert.id, weekday=1, start_minute=540, end_minute=1020)
    absence = Absence(expert_id=expert.id, starts_at=utcnow() + timedelta(days=3),
                      ends_at=utcnow() + timedelta(days=4))
    db.session.add_all([window, absence])
    db.session.flush()
    client = as_user(expert.user)
    window_url = f"/beschikbaarheid/vensters/{window.id}/verwijderen"
    absence_url = f"/beschikbaarheid/afwezigheden/{absence.id}/verwijderen"

    listed = _text(client.get("/beschikbaarheid"))
    asked_window, asked_absence = client.get(window_url), client.get(absence_url)
    unconfirmed = [client.post(window_url).status_code, client.post(absence_url).status_code]
    kept = (db.session.scalars(select(AvailabilityWindow.id)).all(),
            db.session.scalars(select(Absence.id)).all())
    confirmed = [client.post(window_url, data={"confirm": "yes"}).status_code,
                 client.post(absence_url, data={"confirm": "yes"}).status_code]

    assert f'href="{window_url}"' in listed and f'href="{absence_url}"' in listed
    assert _confirm_form(_text(asked_window), window_url)
    assert "Tuesday 09:00–17:00" in _text(asked_window)
    assert _confirm_form(_text(asked_absence), absence_url)
    assert unconfirmed == [422, 422] and kept == ([window.id], [absence.id])
    assert confirmed == [302, 302]
    db.session.expire_all()
    assert db.session.scalars(select(AvailabilityWindow.id)).all() == []
    assert db.session.scalars(select(Absence.id)).all() == []


def test_confirmation_page_of_another_experts_window_is_404(as_user):
    mine, theirs = f.expert(), f.expert()
    window = AvailabilityWindow(expert_id=theirs.id, weekday=0, start_minute=0, end_minute=60)
    db.session.add(window)
    db.session.flush()

    response = as_user(mine.user).get(f"/beschikbaarheid/vensters/{window.id}/verwijderen")

    assert response.status_code == 404


def test_removing_a_rate_asks_first(as_user):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    expert = f.expert()
    rate = ExpertRate(expert_id=expert.id, valid_from=date.today() + timedelta(days=30),
                      hourly_rate=Decimal("99.00"))
    db.session.add(rate)
    db.session.flush()
    client = as_user(coordinator)
    url = f"/deskundigen/{expert.id}/tarieven/{rate.id}/verwijderen"

    listed = _text(client.get(f"/deskundigen/{expert.id}"))
    asked = client.get(url)
    unconfirmed = client.post(url)
    kept = db.session.scalars(select(ExpertRate.id)).all()
    confirmed = client.post(url, data={"confirm": "yes"})

    assert f'href="{url}"' in listed
    assert asked.status_code == 200 and _confirm_form(_text(asked), url)
    assert unconfirmed.status_code == 422 and kept == [rate.id]
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(ExpertRate.id)).all() == []


def test_deactivating_an_expertise_area_asks_first_and_activating_does_not(as_user, admin):
    area = f.expertise_area()
    client = as_user(admin)
    url = f"/beheer/expertisegebieden/{area.id}/actief"

    listed = _text(client.get("/beheer/expertisegebieden"))
    asked = client.get(url, query_string={"active": "0"})
    unconfirmed = client.post(url, data={"active": "0"})
    still_active = db.session.scalar(select(ExpertiseArea.is_active).where(
        ExpertiseArea.id == area.id))
    confirmed = client.post(url, data={"active": "0", "confirm": "yes"})
    db.session.expire_all()
    deactivated = not db.session.get(ExpertiseArea, area.id).is_active
    activated = client.post(url, data={"active": "1"})

    assert f'href="{url}?active=0"' in listed
    assert asked.status_code == 200 and _confirm_form(_text(asked), url)
    assert unconfirmed.status_code == 422 and still_active is True
    assert confirmed.status_code == 302 and deactivated
    assert activated.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExpertiseArea, area.id).is_active is True


def test_revoking_a_calendar_link_asks_first(as_user):
    world = World()
    expert = world.expert()
    expert.user.locale = "en"
    feed, _token = ical_services.create_feed(actor=expert.user, scope="expert")
    client = as_user(expert.user)
    url = f"/profiel/kalenders/{feed.id}/intrekken"

    listed = _text(client.get("/profiel"))
    asked = client.get(url)
    unconfirmed = client.post(url)
    live_after_unconfirmed = db.session.scalar(
        select(CalendarFeed.revoked_at).where(CalendarFeed.id == feed.id)) is None
    confirmed = client.post(url, data={"confirm": "yes"})

    assert f'href="{url}"' in listed
    assert asked.status_code == 200 and _confirm_form(_text(asked), url)
    assert unconfirmed.status_code == 422 and live_after_unconfirmed
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(CalendarFeed, feed.id).revoked_at is not None


def test_making_a_new_calendar_link_asks_first_when_it_replaces_the_live_one(as_user):
    world = World()
    expert = world.expert()
    expert.user.locale = "en"
    feed, _token = ical_services.create_feed(actor=expert.user, scope="expert")
    client = as_user(expert.user)

    # A case table sent along with an expert feed changes nothing: it still replaces the
    # live expert link (the service's key ignores it), so it still asks.
    asked = client.post("/profiel/kalenders",
                        data={"scope": "expert", "case_table_id": str(world.table.id)})
    live_after_asking = db.session.scalar(
        select(CalendarFeed.revoked_at).where(CalendarFeed.id == feed.id)) is None
    confirmed = client.post("/profiel/kalenders", data={"scope": "expert", "confirm": "yes"})

    page = _text(asked)
    assert asked.status_code == 200 and _confirm_form(page, "/profiel/kalenders")
    assert '<input type="hidden" name="scope" value="expert">' in page
    assert live_after_asking
    assert confirmed.status_code == 200 and 'id="new-feed"' in _text(confirmed)
    db.session.expire_all()
    assert db.session.get(CalendarFeed, feed.id).revoked_at is not None
    assert db.session.query(CalendarFeed).filter(CalendarFeed.revoked_at.is_(None)).count() == 1


def test_withdrawing_an_offer_asks_first(as_user):
    world = World()
    world.coordinator.locale = "en"
    referral = world.request()
    first, second = world.expert(), world.expert()
    offers = booking_services.make_offers(actor=world.coordinator, referral=referral,
                                          expert_ids=[first.id, second.id])
    client = as_user(world.coordinator)
    url = f"/aanbiedingen/{offers[1].id}/intrekken"

    listed = _text(client.get(f"/verzoeken/{referral.id}"))
    asked = client.get(url)
    unconfirmed = client.post(url)
    status_after = db.session.scalar(select(Offer.status).where(Offer.id == offers[1].id))

    assert f'href="{url}"' in listed
    assert asked.status_code == 200 and _confirm_form(_text(asked), url)
    assert second.user.name in _text(asked)
    assert unconfirmed.status_code == 422 and status_after == OfferStatus.QUEUED


def test_cancelling_a_booking_from_the_request_page_goes_through_its_confirmation_page(as_user):
    world = World()
    referral = world.request()
    booking = direct_booking(referral, world.expert(), created_by=world.coordinator)
    client = as_user(world.coordinator)

    page = _text(client.get(f"/verzoeken/{referral.id}"))
    asked = client.get(f"/boekingen/{booking.id}/annuleren")

    assert f'href="/boekingen/{booking.id}/annuleren"' in page
    assert f'<form method="post" action="/boekingen/{booking.id}/annuleren"' not in page
    assert asked.status_code == 200
    assert f'<form method="post" action="/boekingen/{booking.id}/annuleren"' in _text(asked)


# --- tables that stack on a phone ----------------------------------------------------------------

def test_table_rows_get_the_component_classes_and_each_cell_its_column_header():
    from duidingspool.ui import with_cell_labels

    rows = with_cell_labels('<tr id="x"><td>a</td><td class="num"> </td><td colspan="2">b</td>'
                            '<th scope="row">c</th></tr>', ["A", "B", "C & D", "D", "E"])

    assert str(rows) == (
        '<tr class="utrecht-table__row" id="x">'
        '<td class="utrecht-table__cell" data-label="A">a</td>'
        '<td class="pool-table__blank utrecht-table__cell num" data-label="B"> </td>'
        '<td class="utrecht-table__cell" colspan="2" data-label="C &amp; D">b</td>'
        '<th class="utrecht-table__header-cell" scope="row" data-label="E">c</th></tr>')


def test_a_table_labels_every_row_from_its_first_column_and_says_when_it_is_empty(app):
    from flask import render_template_string

    page = ('{% from "_table.html" import data_table %}'
            '{% call(r) data_table(["A", "B"], rows, empty="Nothing yet.") %}'
            '<tr><td>{{ r }}</td><td>{{ r }}!</td></tr>{% endcall %}')
    with app.test_request_context():
        filled = render_template_string(page, rows=["x", "y"])
        empty = render_template_string(page, rows=[])

    # The rows are labelled in one pass: the second row starts again at the first column.
    assert re.findall(r'data-label="(\w)">(\w!?)<', filled) == [
        ("A", "x"), ("B", "x!"), ("A", "y"), ("B", "y!")]
    assert "Nothing yet." not in filled
    assert re.search(r'<tr class="utrecht-table__row pool-table__empty"><td colspan="2"[^>]*>'
                     r'Nothing yet\.</td></tr>', empty)


def test_hours_table_cells_carry_their_headers_for_the_phone_layout(as_user):
    world = Priced()
    booking = world.booking("2026-06-30T10:00")
    world.line(booking, minutes=90, status="draft", amount="120.00")
    page = _text(as_user(world.expert.user).get(f"/boekingen/{booking.id}/uren"))

    table = page[page.index('id="hour-lines"'):page.index("</table>")]
    assert '<td class="utrecht-table__cell" data-label="Category">' in table
    assert re.search(r'<td class="utrecht-table__cell num" data-label="Amount">[^<]*120', table)
    assert '<th scope="col" class="utrecht-table__header-cell">Category</th>' in page
