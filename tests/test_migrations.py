"""The migrations build exactly the schema the models describe, on each database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from duidingspool.extensions import db


def test_migrations_match_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrations_downgrade_and_upgrade_again(app):
    downgrade(revision="base")
    assert inspect(db.engine).get_table_names() in ([], ["alembic_version"])
    upgrade()
    assert "referral" in inspect(db.engine).get_table_names()
