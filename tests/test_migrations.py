"""The migrations build exactly the schema the models describe, on each database, and are
history: they import nothing of the app, whose code may change after them."""

import ast
import sys
from pathlib import Path

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


VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
# Migrations may use these and the standard library, nothing else (above all not the app).
MIGRATION_LIBRARIES = {"alembic", "sqlalchemy"}


def _imported_modules(tree: ast.AST) -> list[str]:
    """Every module a parsed file imports, wherever the import is (also inside functions),
    including `importlib.import_module("...")` and `__import__("...")` with a literal name."""
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__"):
                first = node.args[0]
                modules.append(first.value if isinstance(first, ast.Constant)
                               else ast.unparse(first))
    return modules


def test_migrations_import_nothing_of_the_app():
    files = sorted(VERSIONS.glob("*.py"))
    allowed = MIGRATION_LIBRARIES | set(sys.stdlib_module_names)
    found = {
        path.name: [module for module in _imported_modules(ast.parse(path.read_text()))
                    if module.split(".")[0] not in allowed]
        for path in files
    }
    assert files, f"no migrations found in {VERSIONS}"
    assert {name: modules for name, modules in found.items() if modules} == {}


def test_migration_import_check_sees_imports_inside_functions():
    tree = ast.parse(
        "import sqlalchemy as sa\n"
        "def upgrade():\n"
        "    from duidingspool.db import Money\n"
        "    import duidingspool.triggers\n"
        "    importlib.import_module('duidingspool.timeutil')\n"
        "    from . import helpers\n")
    assert sorted(_imported_modules(tree)) == [
        ".", "duidingspool.db", "duidingspool.timeutil", "duidingspool.triggers", "sqlalchemy"]
