"""Duidingspool: scheduling and referral service of the Oost-Nederland interpretation pool."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, request, session
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.exc import DBAPIError

from duidingspool import schema_defaults

# Before any schema is defined: marshmallow's fields copy their messages when created.
schema_defaults.install()

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
# An installed wheel carries the checkout's top-level folders inside the package (setup.py).
SHIPPED_DIR = PACKAGE_DIR / "_shipped"


def _resource_dir(name: str) -> Path:
    """`templates`, `config` or `migrations`: the wheel's copy when installed, else the
    checkout's folder."""
    shipped = SHIPPED_DIR / name
    return shipped if shipped.is_dir() else ROOT / name


CONFIG_DIR = _resource_dir("config")
TEMPLATES_DIR = _resource_dir("templates")
MIGRATIONS_DIR = _resource_dir("migrations")
CONFIG_NAMES = ("development", "testing", "production")
ENV_SETTINGS = ("DATABASE_URL", "SECRET_KEY", "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME",
                "SMTP_PASSWORD", "SMTP_STARTTLS", "MAIL_FROM", "PUBLIC_BASE_URL")


class _JSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a body nested too deeply to read is a malformed body (400), not
    a RecursionError (500): Flask turns only ValueError into a 400."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc


class DuidingspoolApp(Flask):
    """Flask with one unit of work per request, as Indico's request handler has.

    A view or API handler that returns normally is committed; one that raises is rolled
    back (a `DomainError` or validation error then answers 4xx through the error handlers
    in `web`, anything else 500). Views, API handlers and services never commit. A view
    marked `extensions.read_only` writes nothing and is not wrapped.

    A unit of work that PostgreSQL aborts as a deadlock victim or a serialisation failure
    (two transactions that locked the same tally rows in opposite orders) is rolled back
    and run once more, from the start, after the other transaction has gone through
    (DEADLOCK_RETRIES, default 1): the user sees the result, not the error.
    """

    json_provider_class = _JSONProvider

    def dispatch_request(self):
        from duidingspool.extensions import retryable_conflict, unit_of_work

        view = self.view_functions.get(request.endpoint)
        if getattr(view, "read_only", False):
            # A read-only view (see `extensions.read_only`): no session to commit, so none
            # is opened; the app context's teardown discards one if the view used it.
            return super().dispatch_request()
        retries = int(self.config.get("DEADLOCK_RETRIES", 1))
        flashes = list(session.get("_flashes", ()))
        for attempt in range(retries + 1):
            try:
                with unit_of_work():
                    return super().dispatch_request()
            except DBAPIError as exc:
                if attempt == retries or not retryable_conflict(exc):
                    raise
                self.logger.warning("%s %s: %s, running the request again", request.method,
                                    request.endpoint, type(exc.orig).__name__)
                # Messages flashed by the attempt that was rolled back are not shown twice.
                if list(session.get("_flashes", ())) != flashes:
                    session["_flashes"] = list(flashes)


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app: config from config/ and the environment, extensions, blueprints."""
    app = DuidingspoolApp(
        __name__,
        template_folder=str(TEMPLATES_DIR),
        instance_path=os.environ.get("DUIDINGSPOOL_INSTANCE_PATH") or str(ROOT / "instance"),
    )
    _configure(app, config_name or os.environ.get("DUIDINGSPOOL_CONFIG", "development"), overrides)

    from duidingspool import models  # noqa: F401  (every model registered on the metadata)
    from duidingspool.extensions import babel, csrf, db, login_manager, migrate
    from duidingspool.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), compare_type=True,
                    render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)

    from duidingspool import web
    from duidingspool.accounts import access
    from duidingspool.accounts.views import bp as accounts_bp
    from duidingspool.audit.views import bp as audit_bp
    from duidingspool.api import bp as api_bp
    from duidingspool.bookings.views import bp as bookings_bp
    from duidingspool.casetables.views import bp as casetables_bp
    from duidingspool.experts.views import bp as experts_bp
    from duidingspool.ical.views import bp as ical_bp
    from duidingspool.mail.views import bp as mail_bp
    from duidingspool.referrals.views import bp as referrals_bp
    from duidingspool.hours.views import bp as hours_bp
    from duidingspool.budget.views import bp as budget_bp
    from duidingspool.reports.views import bp as reports_bp
    from duidingspool.results.views import bp as results_bp
    from duidingspool.oncall.views import bp as oncall_bp
    from duidingspool.health import bp as health_bp

    access.init_app(app)
    web.init_app(app)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(casetables_bp)
    app.register_blueprint(experts_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(bookings_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(hours_bp)
    app.register_blueprint(budget_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(ical_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(oncall_bp)
    app.register_blueprint(health_bp)

    from duidingspool.cli import register_commands

    register_commands(app)
    return app


def _configure(app: Flask, config_name: str, overrides: dict) -> None:
    if config_name not in CONFIG_NAMES:
        raise RuntimeError(f"unknown configuration {config_name!r}; use one of {CONFIG_NAMES}")
    app.config.from_pyfile(str(CONFIG_DIR / "default.py"))
    app.config.from_pyfile(str(CONFIG_DIR / f"{config_name}.py"))
    app.config["CONFIG_NAME"] = config_name
    for name in ENV_SETTINGS:
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.from_prefixed_env("DUIDINGSPOOL")
    app.config.update(overrides)

    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if app.config.get("REQUIRE_SECRETS") and not (
        app.config.get("SECRET_KEY") and app.config.get("SQLALCHEMY_DATABASE_URI")
    ):
        raise RuntimeError("production needs SECRET_KEY and DATABASE_URL in the environment")
    if not app.config.get("SQLALCHEMY_DATABASE_URI") or not app.config.get("SECRET_KEY"):
        os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = Path(app.instance_path) / "duidingspool.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
            "connect_args": {"timeout": 30},
            # A file on this machine: no server can drop a pooled connection, so the
            # pre-ping would only add a statement to every checkout (every feed poll).
            "pool_pre_ping": False,
        }


def _instance_secret(path: Path) -> str:
    """A random secret kept in the instance folder, so development sessions survive restarts."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
