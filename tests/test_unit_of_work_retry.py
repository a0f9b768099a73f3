"""The unit of work runs a request once more when the database aborted it as a deadlock
victim or a serialisation failure, and only then (tests/test_deadlocks.py shows the real
deadlock on PostgreSQL)."""

from __future__ import annotations

from flask import flash, get_flashed_messages
from sqlalchemy.exc import OperationalError

from duidingspool.accounts.access import public


class _DriverError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _route(app, sqlstate: str, failures: int):
    calls = []

    @public
    def flaky():
        calls.append(1)
        flash("done once", "info")
        if len(calls) <= failures:
            raise OperationalError("UPDATE hour_tally ...", {}, _DriverError(sqlstate))
        return "ok"

    @public
    def messages():
        return "|".join(get_flashed_messages())

    app.add_url_rule("/_test/flaky", "test_flaky", flaky)
    app.add_url_rule("/_test/messages", "test_messages", messages)
    return calls


def test_a_deadlock_victim_runs_once_more_and_flashes_once(app, client):
    calls = _route(app, "40P01", failures=1)
    response = client.get("/_test/flaky")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")
    assert len(calls) == 2
    assert client.get("/_test/messages").get_data(as_text=True) == "done once"


def test_a_second_failure_reaches_the_error_handler(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    calls = _route(app, "40001", failures=2)
    assert client.get("/_test/flaky").status_code == 500
    assert len(calls) == 2


def test_other_database_errors_are_not_retried(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    calls = _route(app, "23505", failures=1)
    assert client.get("/_test/flaky").status_code == 500
    assert len(calls) == 1

