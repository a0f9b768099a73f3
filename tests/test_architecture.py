"""The shape the code keeps: one unit of work at the edges, and feature packages that import
only downwards (the latter is import-linter's contract, run by `make lint`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Blueprint
from sqlalchemy import select

from duidingspool.accounts.access import public
from duidingspool.casetables.models import Municipality
from duidingspool.errors import Conflict
from duidingspool.extensions import db, unit_of_work
from tests import factories as f

PACKAGE = Path(__file__).resolve().parent.parent / "duidingspool"

# The edges that own a unit of work, and why each may end a transaction.
TRANSACTION_EDGES = {
    "extensions.py",        # unit_of_work(): requests, jobs and commands all go through it
    "web.py",               # rejected()/refused(): a form or button shown again after a refusal
    "jobs/registry.py",     # _committed(): a job's units of work that a service yields
    "jobs/runner.py",       # the advisory lock's own connection
}


def _transaction_calls(path: Path) -> list[str]:
    calls = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("commit", "rollback")):
            calls.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.func.attr}()")
    return calls


def test_commit_and_rollback_only_at_the_edges():
    outside = [call for path in sorted(PACKAGE.rglob("*.py"))
               if str(path.relative_to(PACKAGE)) not in TRANSACTION_EDGES
               for call in _transaction_calls(path)]

    assert outside == []


def test_unit_of_work_commits_when_the_block_ends(app):
    with unit_of_work():
        f.municipality(name="Werkhoven")

    db.session.expunge_all()
    assert db.session.scalar(select(Municipality.name).where(Municipality.name == "Werkhoven"))


def test_unit_of_work_rolls_back_when_the_block_raises(app):
    with pytest.raises(Conflict), unit_of_work():
        f.municipality(name="Halfweg")
        db.session.flush()
        raise Conflict("refused")

    assert db.session.scalar(
        select(Municipality.name).where(Municipality.name == "Halfweg")) is None


@pytest.fixture
def probe_app(app):
    """Two routes that write a municipality: one returns, one raises after the write."""
    probe = Blueprint("probe", __name__)

    @probe.post("/probe/ok")
    @public
    def ok():
        f.municipality(name="Ooij")
        return "ok"

    @probe.post("/probe/refused")
    @public
    def refused():
        f.municipality(name="Persingen")
        db.session.flush()
        raise Conflict("refused after the write")

    app.register_blueprint(probe)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_request_that_returns_is_committed_and_one_that_raises_is_rolled_back(probe_app):
    client = probe_app.test_client()

    assert client.post("/probe/ok").status_code == 200
    assert client.post("/probe/refused").status_code == 409

    db.session.expunge_all()
    names = set(db.session.scalars(
        select(Municipality.name).where(Municipality.name.in_(["Ooij", "Persingen"]))))
    assert names == {"Ooij"}
