"""Each role's main flow, walked at 1280x800 and at 390x844 (the `viewport` fixture), by
visible labels, roles and addresses as a new user finds them. Every page loaded on the way
is checked by the Visitor (tests/browser/checks.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .checks import viewports
from .live import Codes, log_in, totp_secret
from .world import PASSWORD


def _rx(text: str) -> re.Pattern:
    return re.compile(text, re.I)


def _button_or_link(page, name: re.Pattern):
    return page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name)).first


def _confirm_if_asked(visitor, name: re.Pattern):
    """Destructive actions go through a confirmation step: confirm it when it is shown."""
    confirm = visitor.page.get_by_role("button", name=name)
    if confirm.count():
        visitor.click(confirm.first)


# --- requester ---------------------------------------------------------------------------------

def test_requester_files_a_request(open_as, seeded, viewport):
    visitor = open_as("requester")
    page = visitor.page
    visitor.goto("/verzoeken/nieuw")  # the menu's "Nieuw verzoek" (a phone may fold the menu)
    table = seeded.table("Aanvraag", viewport)
    page.get_by_label(_rx(r"^casustafel$")).select_option(label=table)
    sessions = page.get_by_label(_rx(r"^zitting"))
    session_value = sessions.locator("option", has_text=table).first.get_attribute("value")
    sessions.select_option(session_value)
    page.get_by_label(seeded.area_name, exact=True).check()
    page.get_by_label(_rx(r"^geschatte uren")).fill("3,5" if viewport == "phone" else "3")
    page.get_by_label(_rx(r"^casuscode")).fill(f"BRW-{viewport}")
    page.get_by_label(_rx(r"^vraagstelling")).fill(
        "Duiding gevraagd van online uitingen in een besloten groep.")
    visitor.click(page.get_by_role("button", name=_rx(r"verzoek indienen")))

    assert re.search(r"/verzoeken/\d+$", page.url), page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text(_rx(r"verzoek"))
    expect(page.get_by_text(f"BRW-{viewport}")).to_be_visible()
    visitor.goto("/verzoeken/")
    expect(page.get_by_text(table).first).to_be_visible()


# --- coordinator -------------------------------------------------------------------------------

@viewports()
def test_coordinator_offers_a_request(open_as, seeded, viewport):
    visitor = open_as("coordinator")
    page = visitor.page
    visitor.goto("/verzoeken/inbox")
    reference = f"DV-AANBOD-{viewport[0].upper()}"
    visitor.click(page.get_by_role("link", name=reference))
    page.get_by_label(_rx(f"aanbieden aan {seeded.expert_name}")).check()
    visitor.click(page.get_by_role("button", name=_rx(r"aanbieden aan de gekozen")))

    # The offer is listed with its state: waiting for the expert's answer.
    offered = page.get_by_role("row").filter(has_text=seeded.expert_name).filter(
        has_text=_rx(r"wacht op antwoord"))
    expect(offered.first).to_be_visible()


def test_coordinator_approves_hours(open_as, seeded, viewport):
    visitor = open_as("coordinator")
    page = visitor.page
    visitor.goto("/uren/goedkeuren")
    table = seeded.table("Goedkeuring", viewport)
    row = page.get_by_role("row").filter(has_text=table)
    row.get_by_role("checkbox").check()
    visitor.click(page.get_by_role("button", name=_rx(r"regels goedkeuren")))

    expect(page.get_by_role("row").filter(has_text=table)).to_have_count(0)


# --- expert (on a phone as well as at a desk) ---------------------------------------------------

def test_expert_accepts_an_offer(open_as, seeded, viewport):
    visitor = open_as("expert")
    page = visitor.page
    visitor.goto("/aanbiedingen")
    table = seeded.table("Aanname", viewport)
    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=table))
    visitor.click(card.get_by_role("button", name=_rx(r"^aannemen$")))

    visitor.goto("/boekingen/mijn")
    expect(page.get_by_text(table).first).to_be_visible()


@viewports()
def test_expert_subscribes_to_the_calendar(open_as, seeded, viewport):
    visitor = open_as("expert")
    page = visitor.page
    visitor.goto("/profiel")
    # In the page's own list, not the menu's item of the same name.
    mine = page.get_by_role("main").get_by_role("listitem").filter(
        has_text=_rx(r"^\s*mijn boekingen")).first
    visitor.click(mine.get_by_role("button", name=_rx(r"link maken|nieuwe link")))
    # Replacing a live link asks first (the old link stops working).
    confirm = page.get_by_role("main").get_by_role("button", name=_rx(r"^ja\b"))
    if confirm.count():
        visitor.click(confirm.first)

    link = page.get_by_label(_rx(r"^link")).input_value()
    assert re.match(r"https?://.+\.ics$", link), link
    feed = page.request.get(link)
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in feed.text() and "BEGIN:VEVENT" in feed.text()


@viewports()
def test_expert_logs_hours(open_as, seeded, viewport):
    visitor = open_as("expert")
    page = visitor.page
    visitor.goto("/mijn-uren")
    table = seeded.table("Uren", viewport)
    visitor.click(page.get_by_role("link", name=table, exact=True))
    page.get_by_label(_rx(r"^categorie")).select_option(label="Voorbereiding")
    page.get_by_label(_rx(r"^uren")).fill("1,5")
    page.get_by_label(_rx(r"^kilometers")).fill("24")
    visitor.click(page.get_by_role("button", name=_rx(r"opslaan en indienen")))

    expect(page.get_by_role("row").filter(has_text="Voorbereiding")).to_contain_text(
        _rx(r"ingediend|wacht"))


# --- administrator -----------------------------------------------------------------------------

@viewports()
def test_admin_creates_and_deactivates_a_user(open_as, seeded, viewport):
    visitor = open_as("admin")
    page = visitor.page
    visitor.goto("/beheer/gebruikers")
    visitor.click(_button_or_link(page, _rx(r"nieuwe gebruiker")))
    name = f"Tessa Proefmeijer {viewport}"
    page.get_by_label(_rx(r"^naam")).fill(name)
    page.get_by_label(_rx(r"^e-?mail")).fill(f"tessa.{viewport}@example.org")
    page.get_by_role("checkbox", name=_rx(r"^co[öo]rdinator$")).check()
    visitor.click(page.get_by_role("button", name=_rx(r"toevoegen")))
    expect(page.get_by_text(name).first).to_be_visible()

    visitor.click(_button_or_link(page, _rx(r"^deactiveren")))
    _confirm_if_asked(visitor, _rx(r"ja, deactiveren"))
    expect(_button_or_link(page, _rx(r"weer activeren"))).to_be_visible()


def test_admin_adds_a_case_table(open_as, seeded, viewport):
    visitor = open_as("admin")
    page = visitor.page
    visitor.goto("/beheer/casustafels")
    visitor.click(_button_or_link(page, _rx(r"casustafel toevoegen")))
    name = f"Casustafel Nieuw {viewport}"
    page.get_by_label(_rx(r"^naam")).fill(name)
    page.get_by_label(_rx(r"^gastheerorganisatie")).fill("Veiligheidshuis Proefstad")
    page.get_by_label(_rx(r"^gastheergemeente")).select_option(label="Enschede-Zuid")
    page.get_by_label(_rx(r"^adres")).fill("Stationsplein 1, Enschede")
    page.get_by_label(_rx(r"^deelnemende gemeenten")).select_option(label="Enschede-Zuid")
    page.get_by_label(_rx(r"herhaalregel \(")).fill("FREQ=MONTHLY;BYDAY=2TU")
    page.get_by_label(_rx(r"^datum van de eerste zitting")).fill("2027-01-12")
    page.get_by_label(_rx(r"^begintijd")).fill("13:00")
    page.get_by_label(_rx(r"^duur")).fill("120")
    page.get_by_role("checkbox", name=_rx(r"^actief$")).check()
    visitor.click(page.get_by_role("button", name=_rx(r"^opslaan$")))

    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    visitor.goto("/beheer/casustafels")
    expect(page.get_by_role("link", name=name)).to_be_visible()


# --- logging in with the second factor -----------------------------------------------------------

@viewports()
def test_admin_sets_up_two_factor_login(open_as, seeded, live_server, viewport):
    email = seeded.login_email("admin", viewport)
    log_in(open_as(None), email, PASSWORD,
           setup_secret=lambda: totp_secret(live_server.app, email))


def test_coordinator_logs_in_with_a_code(open_as, seeded, viewport):
    email = seeded.login_email("coordinator", viewport)
    log_in(open_as(None), email, PASSWORD, codes=Codes(seeded.secrets[email]))


@pytest.mark.parametrize("path", ["/login", "/wachtwoord/vergeten"])
def test_public_pages(open_as, path):
    open_as(None).goto(path)
