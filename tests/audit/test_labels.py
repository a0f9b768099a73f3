"""The audit trail in words: every recorded action has a label; details are not JSON."""

from __future__ import annotations

import re
from pathlib import Path

from duidingspool.accounts.models import Role
from duidingspool.audit import labels
from duidingspool.audit.services import record
from duidingspool.extensions import db
from tests import factories as f

PACKAGE = Path(__file__).resolve().parents[2] / "duidingspool"
_CODE = re.compile(r'"([a-z_]+\.[a-z_]+)"')


def recorded_actions() -> set[str]:
    """Every action code the app records: the string literals inside record(...) calls,
    the demo's history and the exports (`<what>.export`)."""
    found = {"demo.history", "audit_trail.export", "year_report.export"}
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        for match in re.finditer(r"\brecord\(", text):
            call = text[match.end():match.end() + 300].split("details=")[0]
            found.update(_CODE.findall(call.split("obj=")[0]))
    return found


def test_every_recorded_action_has_a_label():
    actions = recorded_actions()

    assert len(actions) > 60
    assert sorted(actions - set(labels.ACTIONS)) == []


def test_unknown_codes_are_shown_readable(app):
    with app.test_request_context():
        assert labels.action_label("thing.do_something") == "Thing do something"
        assert labels.object_label("hour_tally") == "Hour tally"


def test_trail_page_shows_actions_objects_and_details_in_words(login_as):
    coordinator = f.user(Role.COORDINATOR, locale="en")
    line_owner = f.user(Role.EXPERT)
    record(actor=coordinator, action="hours.approve", object_type="hour_line", object_id=7,
           details={"amount": "1250.00", "minutes": 90})
    record(actor=coordinator, action="user.locale", obj=line_owner, details={"locale": "nl"})
    record(actor=coordinator, action="user.roles", obj=line_owner,
           details={"old_roles": ["expert"], "new_roles": ["expert", "coordinator"]})
    db.session.commit()

    html = login_as(coordinator).get("/logboek/").get_data(as_text=True)

    assert "Hours approved" in html and "hours.approve" not in html
    assert "Hour line #7" in html
    assert "<dt>Amount</dt><dd>€1,250.00</dd>" in html
    assert "<dt>Duration</dt><dd>1:30</dd>" in html
    assert "<dt>Language</dt><dd>Dutch</dd>" in html
    assert "<dt>New roles</dt><dd>Expert, Coordinator</dd>" in html
    assert "{&#34;" not in html and '{"' not in html
    assert '<option value="hour_line">Hour line</option>' in html
