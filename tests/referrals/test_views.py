import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.audit.models import AuditEvent
from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.mail.models import OutboxMessage
from duidingspool.referrals.models import Referral
from tests import factories
from tests.factories import count
from tests.referrals.helpers import world


def form(w, **overrides) -> dict:
    data = {
        "case_table_id": str(w.table.id), "session_id": str(w.session.id),
        "area": [str(w.area.id)], f"level_{w.area.id}": "2", "language": "ar",
        "mode": "online", "estimated_hours": "2,5", "urgency": "high",
        "case_code": "CT-2026-014",
        "question": "Duiding van teksten op sociale media over de strijd in Syrië.",
    }
    data.update(overrides)
    return data


def test_create_form_lists_own_case_table_sessions_and_areas(login_as):
    w = world()
    foreign = factories.case_table(name="Casustafel Elders")
    factories.sitting(foreign)

    db.session.commit()
    response = login_as(w.requester).get("/verzoeken/nieuw")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<optgroup label="{w.table.name}">' in page
    assert f'<option value="{w.session.id}"' in page
    assert "Casustafel Elders" not in page
    assert f'name="area" value="{w.area.id}"' in page
    assert "never WHO" in page


def test_create_form_post_stores_request_and_redirects(login_as):
    w = world()

    db.session.commit()
    response = login_as(w.requester).post("/verzoeken/nieuw", data=form(w))

    referral = db.session.scalar(select(Referral))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verzoeken/{referral.id}")
    assert (referral.mode, referral.language, referral.estimated_minutes, referral.urgency) == (
        "online", "ar", 150, "high")
    assert [(e.expertise_area_id, e.min_level) for e in referral.expertise] == [(w.area.id, 2)]


def test_create_form_with_personal_data_rerenders_with_typed_text(login_as):
    w = world()
    question = "Jongen, BSN 1234.56.782, woont Dorpsstraat 12, 7511 JA; duiding gevraagd."

    db.session.commit()
    response = login_as(w.requester).post("/verzoeken/nieuw",
                                          data=form(w, question=question))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Contains a BSN (12*****82)." in page
    assert "Contains a postcode with house number (12****JA)." in page
    assert f">{question}</textarea>" in page
    assert 'value="CT-2026-014"' in page
    assert f'value="{w.area.id}" checked' in page
    assert f'<option value="{w.session.id}" selected' in page
    assert count(Referral) == 0


def test_create_form_names_personal_data_even_with_other_errors(login_as):
    w = world()

    db.session.commit()
    response = login_as(w.requester).post(
        "/verzoeken/nieuw", data=form(w, estimated_hours="", area=[], case_code="0612345678"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Estimate the hours needed." in page
    assert "Choose at least one expertise area." in page
    assert "Contains a phone number (06******78)." in page


def test_create_form_for_foreign_case_table_is_not_found(login_as):
    w = world()
    foreign = factories.case_table()

    db.session.commit()
    response = login_as(w.requester).post("/verzoeken/nieuw",
                                          data=form(w, case_table_id=str(foreign.id)))

    assert response.status_code == 404
    assert count(Referral) == 0


def test_index_lists_only_own_municipality_requests(login_as):
    w = world()
    own = factories.referral(requester=w.requester, on=w.session)
    foreign = factories.referral(requester=factories.user(Role.REQUESTER))

    db.session.commit()
    page = login_as(w.requester).get("/verzoeken/").get_data(as_text=True)

    assert own.reference in page
    assert foreign.reference not in page


def test_create_form_offers_the_municipalitys_earlier_requests_newest_first(login_as):
    w = world()
    # Made first (the lower id), filed later: the order is by filing time.
    newer = factories.referral(requester=w.requester, on=w.session,
                               created_at=utcnow() - timedelta(days=1))
    older = factories.referral(requester=w.requester, on=w.session, case_code="ZAAK-1",
                               created_at=utcnow() - timedelta(days=2))
    foreign = factories.referral(requester=factories.user(Role.REQUESTER))
    db.session.commit()

    page = login_as(w.requester).get("/verzoeken/nieuw").get_data(as_text=True)

    choice = page.split('name="previous_id"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', choice)
    assert options == [(str(newer.id), f"{newer.reference} · {w.table.name} · {newer.case_code}"),
                       (str(older.id), f"{older.reference} · {w.table.name} · ZAAK-1")]
    assert foreign.reference not in page


@pytest.mark.parametrize("page", ["abc", "0", "-2", "999", str(10**30)])
def test_request_lists_take_any_page_number(login_as, page):
    w = world()
    referral = factories.referral(requester=w.requester, on=w.session)
    coordinator = factories.user(Role.COORDINATOR)
    db.session.add(OutboxMessage(to_address="iemand@example.org", subject="Onderwerp",
                                 body_text="Tekst"))
    db.session.commit()
    first_page = page in ("abc", "0", "-2")  # unreadable or before the first: the first

    # A huge number overflowed the database's offset (a 500); now it is a page past the end.
    mine = login_as(w.requester).get(f"/verzoeken/?page={page}")
    inbox = login_as(coordinator).get(f"/verzoeken/inbox?page={page}")
    outbox = login_as(coordinator).get(f"/postvak-uit/?page={page}")

    assert (mine.status_code, inbox.status_code) == (200, 200)
    assert (referral.reference in mine.get_data(as_text=True)) is first_page
    assert (referral.reference in inbox.get_data(as_text=True)) is first_page
    assert outbox.status_code == (200 if first_page else 404)  # the outbox: no such page


def test_detail_of_other_municipality_request_is_not_found(login_as):
    w = world()
    foreign = factories.referral(requester=factories.user(Role.REQUESTER))
    db.session.commit()
    client = login_as(w.requester)

    assert client.get(f"/verzoeken/{foreign.id}").status_code == 404
    assert client.get(f"/verzoeken/{foreign.id}/annuleren").status_code == 404
    response = client.post(f"/verzoeken/{foreign.id}/annuleren", data={"reason": "Weg"})
    assert response.status_code == 404
    assert db.session.get(Referral, foreign.id).status == "submitted"


@pytest.mark.parametrize("role", [Role.EXPERT, Role.ADMIN])
def test_request_pages_refuse_expert_and_admin(login_as, role):
    w = world()
    referral = factories.referral(requester=w.requester, on=w.session)
    outsider = factories.user(role)
    db.session.commit()

    client = login_as(outsider)

    for path in ("/verzoeken/", "/verzoeken/nieuw", "/verzoeken/inbox"):
        assert client.get(path).status_code == 403, path
    for path in (f"/verzoeken/{referral.id}", f"/verzoeken/{referral.id}/annuleren"):
        assert client.get(path).status_code == 404, path


def test_detail_by_coordinator_shows_question_and_is_audited(login_as):
    w = world()
    referral = factories.referral(requester=w.requester, on=w.session)
    coordinator = factories.user(Role.COORDINATOR, locale="en")

    db.session.commit()
    response = login_as(coordinator).get(f"/verzoeken/{referral.id}")

    assert response.status_code == 200
    assert referral.question in response.get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "referral.view_question"))
    assert (event.actor_id, event.object_id) == (coordinator.id, referral.id)


def test_cancel_with_reason_cancels(login_as):
    w = world()
    referral = factories.referral(requester=w.requester, on=w.session)

    db.session.commit()
    response = login_as(w.requester).post(f"/verzoeken/{referral.id}/annuleren",
                                          data={"reason": "Casus is afgesloten"})

    assert response.status_code == 302
    db.session.refresh(referral)
    assert (referral.status, referral.cancel_reason) == ("cancelled", "Casus is afgesloten")


def test_cancel_without_reason_rerenders(login_as):
    w = world()
    referral = factories.referral(requester=w.requester, on=w.session)

    db.session.commit()
    response = login_as(w.requester).post(f"/verzoeken/{referral.id}/annuleren",
                                          data={"reason": "  "})

    assert response.status_code == 422
    assert "Give a reason." in response.get_data(as_text=True)
    db.session.refresh(referral)
    assert referral.status == "submitted"


def test_inbox_lists_urgent_first_then_newest(login_as):
    w = world()
    now = utcnow()
    normal_new = factories.referral(requester=w.requester, created_at=now)
    urgent_old = factories.referral(requester=w.requester, urgency="urgent", urgency_rank=0,
                                    created_at=now - timedelta(days=2))
    urgent_new = factories.referral(requester=w.requester, urgency="urgent", urgency_rank=0,
                                    created_at=now - timedelta(days=1))
    booked = factories.referral(requester=w.requester, status="booked")
    coordinator = factories.user(Role.COORDINATOR)
    db.session.commit()
    client = login_as(coordinator)

    page = client.get("/verzoeken/inbox").get_data(as_text=True)
    all_page = client.get("/verzoeken/inbox?status=all").get_data(as_text=True)

    positions = [page.index(r.reference) for r in (urgent_new, urgent_old, normal_new)]
    assert positions == sorted(positions)
    assert booked.reference not in page
    assert booked.reference in all_page


def test_create_form_preselects_the_next_session(login_as):
    w = world()
    later = factories.sitting(w.table, starts_at=w.session.starts_at + timedelta(days=7))
    earlier = factories.sitting(w.table, starts_at=w.session.starts_at - timedelta(days=7))
    db.session.commit()

    page = login_as(w.requester).get("/verzoeken/nieuw").get_data(as_text=True)

    assert f'<option value="{earlier.id}" selected>' in page
    assert f'<option value="{later.id}">' in page
    assert f'<option value="{w.session.id}">' in page
    assert '<option value="" selected>' not in page


def test_create_form_without_sessions_falls_back_to_the_date_window(login_as):
    w = world()
    w.session.starts_at = utcnow() - timedelta(days=1)
    db.session.commit()

    response = login_as(w.requester).get("/verzoeken/nieuw")

    assert response.status_code == 200
    select = response.get_data(as_text=True).split('id="session_id"')[1].split("</select>")[0]
    assert " selected>" not in select


def test_create_form_level_select_beside_its_checkbox_with_script_to_hide_it(login_as, client):
    w = world()
    db.session.commit()

    page = login_as(w.requester).get("/verzoeken/nieuw").get_data(as_text=True)

    # Without the script every level select stays usable beside its own checkbox ...
    row = page.split('<div class="area-choice">')[1].split("</div>")[0]
    assert f'name="area" value="{w.area.id}"' in row
    assert f'id="level_{w.area.id}" name="level_{w.area.id}"' in row
    assert " hidden" not in row
    # ... and an external script (the CSP allows no inline script) hides the select of an
    # area that is not ticked.
    assert '<script src="/static/request-form.js" defer></script>' in page
    script = client.get("/static/request-form.js")
    assert script.status_code == 200
    code = script.get_data(as_text=True)
    assert '"level_" + box.value' in code and "level.hidden = !box.checked" in code


def test_create_form_with_an_oversized_question_shows_the_length_at_the_field(login_as):
    w = world()
    db.session.commit()

    response = login_as(w.requester).post("/verzoeken/nieuw", data=form(
        w, question="BSN 123456782. " + "a" * 400_000))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "2000" in page  # the length message, at the field
    assert "12*****82" not in page  # never scanned for personal data
    assert count(Referral) == 0


def test_create_form_with_two_megabytes_is_refused(login_as):
    w = world()
    db.session.commit()

    response = login_as(w.requester).post("/verzoeken/nieuw", data=form(
        w, question="a" * 2_000_000))

    assert response.status_code in (413, 422)
    assert count(Referral) == 0
