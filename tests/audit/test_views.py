"""The audit trail page and its CSV export; exports and reads are audited with the address."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from duidingspool.accounts import services as accounts
from duidingspool.accounts.models import Role
from duidingspool.audit.models import AuditEvent
from duidingspool.audit.services import record
from duidingspool.extensions import db
from tests import factories as f
from tests.referrals.helpers import world


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def test_trail_page_filters_by_user_and_object(login_as):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    other = f.user(Role.ADMIN)
    area = f.expertise_area()
    mine = record(actor=coordinator, action="expertise_area.update", obj=area)
    theirs = record(actor=other, action="expertise_area.update", obj=area)
    db.session.commit()

    response = login_as(coordinator).get(
        f"/logboek/?user_id={coordinator.id}&object_type=expertise_area&object_id={area.id}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="event-{mine.id}"' in page
    assert f'id="event-{theirs.id}"' not in page
    assert "1 events found." in page


def test_trail_page_answers_422_to_a_period_that_ends_before_it_starts(login_as):
    admin = f.user(Role.ADMIN, locale="en")
    db.session.commit()

    response = login_as(admin).get("/logboek/?date_from=2026-03-10&date_to=2026-03-01")

    assert response.status_code == 422
    assert "The end lies before the start." in response.get_data(as_text=True)


def test_trail_is_closed_to_requesters_and_experts(login_as):
    requester, expert = f.user(Role.REQUESTER), f.user(Role.EXPERT)
    db.session.commit()

    assert login_as(requester).get("/logboek/").status_code == 403
    assert login_as(expert).get("/logboek/export.csv").status_code == 403


def test_export_is_csv_of_the_filtered_trail_and_is_itself_audited(login_as):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    user = f.user(Role.REQUESTER, name="=HYPERLINK(\"http://evil.example\")")
    record(actor=user, action="user.password", obj=user)
    record(actor=coordinator, action="user.create", obj=user)
    db.session.commit()

    response = login_as(coordinator).get(f"/logboek/export.csv?user_id={user.id}")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="logboek.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0] == ["Time", "User ID", "User", "Action", "Object type", "Object ID",
                       "Address", "Details"]
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows[1:]] == [
        (str(user.id), user.email, "user.password", "user_account", str(user.id))]
    export = events("audit_trail.export")
    assert len(export) == 1
    assert (export[0].actor_id, export[0].remote_addr, export[0].details) == (
        coordinator.id, "127.0.0.1", {"filters": {"user_id": user.id}, "rows": 1})


def test_export_neutralises_cells_a_spreadsheet_would_run(login_as):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    record(actor=None, action="demo.load", details={"x": 1})
    db.session.commit()
    from duidingspool.csvexport import cell as _cell

    assert _cell("=1+1") == "'=1+1"
    assert _cell("-2") == "'-2"
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("\tx") == "'\tx" and _cell("\rx") == "'\rx"
    assert _cell("user.create") == "user.create"
    assert _cell(-2) == -2 and _cell(None) == ""
    assert login_as(coordinator).get("/logboek/export.csv").status_code == 200


def test_year_report_csv_download_is_audited(login_as):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    db.session.commit()

    response = login_as(coordinator).get("/rapportage/2026/regions.csv")

    assert response.status_code == 200
    event = events("year_report.export")[0]
    assert (event.actor_id, event.object_type, event.remote_addr, event.details) == (
        coordinator.id, "year_report", "127.0.0.1", {"year": 2026, "table": "regions"})


def test_login_success_and_failure_are_audited_with_the_address(client):
    user = f.user(Role.REQUESTER)
    db.session.commit()

    client.post("/login", data={"email": user.email, "password": "wrong-password-here"})
    client.post("/login", data={"email": user.email, "password": f.PASSWORD})

    found = [(e.action, e.actor_id, e.object_id, e.remote_addr) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("login.%")).order_by(AuditEvent.id))]
    assert found == [("login.failure", user.id, user.id, "127.0.0.1"),
                     ("login.success", user.id, user.id, "127.0.0.1")]


def test_trail_never_holds_question_text_case_code_or_tokens(login_as):
    w = world()
    coordinator = f.user(Role.COORDINATOR, locale="en")
    token, raw = accounts.create_token(actor=coordinator, user=coordinator, name="script")
    db.session.commit()
    question = "Duiding van uitingen op sociale media over een beweging."
    case_code = "CT-2026-777"

    created = login_as(w.requester).post("/api/v1/requests", json={
        "case_table_id": w.table.id, "session_id": w.session.id,
        "areas": [{"area_id": w.area.id, "min_level": 2}], "mode": "in_person",
        "estimated_hours": 2, "urgency": "normal", "case_code": case_code,
        "question": question})
    assert created.status_code == 201
    request_id = created.get_json()["id"]
    login_as(None)
    read = login_as(coordinator).get(f"/api/v1/requests/{request_id}")
    assert read.status_code == 200
    feed = login_as(coordinator).post("/profiel/kalenders", data={"scope": "all"})
    assert feed.status_code == 200

    trail = [(e.action, repr(e.details)) for e in db.session.scalars(select(AuditEvent))]
    assert {"token.create", "referral.create", "referral.view_question",
            "calendar_feed.create"} <= {action for action, _ in trail}
    dumped = " ".join(details for _, details in trail)
    assert question not in dumped and case_code not in dumped and raw not in dumped
    assert token.token_hash not in dumped
