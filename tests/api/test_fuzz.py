"""The JSON API fuzzed from its own OpenAPI document (schemathesis, through the WSGI app).

Every operation gets a bounded number of generated requests, valid ones (path ids drawn half
the time from objects that exist) and schema-violating ones, each sent with the bearer token
of a coordinator, a requester and an expert (and of an administrator, for the operations an
administrator may use): no answer may be a 500, every answer must match the document (status
code, content type, body schema), and input the document forbids must be refused.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from flask import current_app

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from duidingspool.accounts import services as accounts
from duidingspool.accounts.models import Role
from duidingspool.extensions import db
from tests import factories as f
from duidingspool.bookings.models import Offer, OfferStatus
from duidingspool.db import utcnow
from duidingspool.experts.models import Absence, AvailabilityWindow
from duidingspool.ical import services as ical
from tests.hours.helpers import Priced

MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


@pytest.fixture
def api_schema(app):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: bearer calls need no CSRF
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def world(app):
    """Objects for every kind of path id, and bearer tokens of a coordinator, a requester
    and an expert who can reach them: a past booking with hour lines (draft and submitted),
    an upcoming request with a pending offer, the case table, the expert, the year."""
    w = Priced()
    past = w.booking("2026-10-06T13:00")
    draft = w.line(past, minutes=60, status="draft", category="preparation")
    submitted = w.line(past, minutes=120, status="submitted", amount="160.00")
    referral = f.referral(requester=w.requester, on=f.sitting(w.table), areas=[w.area])
    offer = Offer(referral_id=referral.id, expert_id=w.expert.id, status=OfferStatus.PENDING,
                  offered_at=utcnow(), expires_at=utcnow() + timedelta(days=2),
                  created_by_id=w.coordinator.id)
    db.session.add(offer)
    db.session.flush()
    window = AvailabilityWindow(expert_id=w.expert.id, weekday=1, start_minute=540,
                                end_minute=1020)
    absence = Absence(expert_id=w.expert.id, starts_at=utcnow() + timedelta(days=30),
                      ends_at=utcnow() + timedelta(days=31))
    db.session.add_all([window, absence])
    db.session.flush()
    feed, _token = ical.create_feed(actor=w.expert.user, scope="expert")
    admin = f.user(Role.ADMIN)
    # The user that user administration reads and changes (not a caller: its token stays).
    target = f.user(Role.COORDINATOR)
    tokens = {}
    for role, user in (("coordinator", w.coordinator), ("requester", w.requester),
                       ("expert", w.expert.user), ("admin", admin)):
        tokens[role] = accounts.create_token(actor=user, user=user, name="fuzz")[1]
    db.session.commit()
    ids = {"booking_id": [past.id], "line_id": [draft.id, submitted.id],
           "request_id": [referral.id, past.referral_id], "offer_id": [offer.id],
           "case_table_id": [w.table.id], "expert_id": [w.expert.id], "year": [2026],
           "sitting_id": [referral.sitting_id], "feed_id": [feed.id],
           "window_id": [window.id], "absence_id": [absence.id],
           "user_id": [target.id]}
    return tokens, ids


def _document() -> dict:
    """The OpenAPI document of a throwaway app."""
    from duidingspool import create_app
    from duidingspool.api.core import build_spec

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.test_request_context():
        return build_spec()


_DOCUMENT = _document()


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every documented operation."""
    return sorted((method.upper(), path) for path, operations in _DOCUMENT["paths"].items()
                  for method in operations)


def _callers(method: str, path: str) -> tuple[str, ...]:
    """The roles whose tokens call the operation: always three, and an administrator where
    the operation allows one."""
    roles = _DOCUMENT["paths"][path][method.lower()]["x-roles"]
    return ("coordinator", "requester", "expert") + (("admin",) if "admin" in roles else ())


@pytest.mark.parametrize(("method", "path"), _operations())
def test_api_answers_as_documented(api_schema, world, method, path):
    tokens, ids = world
    callers = _callers(method, path)

    @api_schema.hook
    def flatmap_path_parameters(context, path_parameters):
        # Half the time an id of an object that exists, so the calls reach the services.
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries({
            name: st.sampled_from(ids[name]) | st.just(value) if name in ids else st.just(value)
            for name, value in path_parameters.items()})

    operation = api_schema[path][method]
    # Negative cases (schema-violating input, which must be refused with a documented 4xx)
    # come from a schema without the hook, so that an invalid id stays invalid.
    unhooked = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", current_app)[path][method]

    @given(case=operation.as_strategy(GenerationMode.POSITIVE)
           | unhooked.as_strategy(GenerationMode.NEGATIVE))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def call(case):
        for role in callers:
            case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"},
                                   checks=CHECKS)

    call()
