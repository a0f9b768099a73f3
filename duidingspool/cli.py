"""The `duidingspool` command: Flask's CLI on the app factory plus the project's commands."""

from __future__ import annotations

import functools
from datetime import timedelta

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from duidingspool.accounts.models import Role
from duidingspool.db import utcnow
from duidingspool.errors import DomainError
from duidingspool.extensions import db, unit_of_work


def _create_app():
    from duidingspool import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             load_dotenv=False)
def main():
    """Duidingspool: scheduling and referral service of the interpretation pool."""


users = click.Group("users", help="Manage user accounts.")
tokens = click.Group("tokens", help="Manage API tokens.")


def _fail(exc: DomainError):
    details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.message} {details}".strip())


def one_unit_of_work(command):
    """The command is one unit of work: committed when it ends normally, rolled back when it
    raises; a refused business rule becomes the command's error message."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            with unit_of_work():
                return command(*args, **kwargs)
        except DomainError as exc:
            _fail(exc)

    return run


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([r.value for r in Role]), help="Repeat for several roles.")
@click.option("--municipality", help="Municipality name or CBS code (requesters).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@with_appcontext
@one_unit_of_work
def users_create(email, name, roles, municipality, password):
    """Create a user."""
    from duidingspool.accounts import services as accounts
    from duidingspool.casetables import queries as casetables

    municipality_id = None
    if municipality:
        found = casetables.find_municipality(municipality)
        if found is None:
            raise click.ClickException(f"unknown municipality {municipality!r}")
        municipality_id = found.id
    user = accounts.create(actor=None, email=email, name=name, password=password,
                           roles=[Role(r) for r in roles], municipality_id=municipality_id)
    click.echo(f"created user {user.id} <{user.email}> with roles {', '.join(sorted(roles))}")


def _user(email: str):
    """The user with this e-mail address, or the command's error."""
    from duidingspool.accounts import services as accounts

    user = accounts.get_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    return user


@users.command("deactivate")
@click.option("--email", required=True)
@with_appcontext
@one_unit_of_work
def users_deactivate(email):
    """Deactivate a user: every session ends, calendar feeds and API tokens are revoked."""
    from duidingspool.accounts import services as accounts

    user = _user(email)
    accounts.deactivate(actor=None, user=user)
    click.echo(f"deactivated user {user.id} <{user.email}>")


@users.command("reactivate")
@click.option("--email", required=True)
@with_appcontext
@one_unit_of_work
def users_reactivate(email):
    """Let a deactivated user log in again (revoked feeds and tokens stay revoked)."""
    from duidingspool.accounts import services as accounts

    user = _user(email)
    accounts.reactivate(actor=None, user=user)
    click.echo(f"reactivated user {user.id} <{user.email}>")


@users.command("reset-two-factor")
@click.option("--email", required=True)
@with_appcontext
@one_unit_of_work
def users_reset_two_factor(email):
    """Turn off a user's two-factor login (lost phone and codes); they set it up again."""
    from duidingspool.accounts import twofactor

    user = _user(email)
    twofactor.reset(actor=None, user=user)
    click.echo(f"two-factor login reset for user {user.id} <{user.email}>")


@tokens.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="A label, e.g. the client's name.")
@click.option("--days", type=click.IntRange(1, 3650), default=365, show_default=True,
              help="Days until the token expires.")
@with_appcontext
@one_unit_of_work
def tokens_create(email, name, days):
    """Create an API token; it is printed once and never stored."""
    from duidingspool.accounts import services as accounts

    user = _user(email)
    _token, raw = accounts.create_token(actor=None, user=user, name=name,
                                        expires_at=utcnow() + timedelta(days=days))
    click.echo(raw)


sessions = click.Group("sessions", help="Case table sessions.")


@sessions.command("generate")
@click.option("--case-table", "case_table_id", type=int, help="Only this case table (id).")
@with_appcontext
def sessions_generate(case_table_id):
    """Generate sessions from the recurrence rules of active case tables, up to the horizon."""
    from duidingspool.casetables import services as casetables
    from duidingspool.casetables.models import CaseTable, ScheduleSource

    query = select(CaseTable).where(CaseTable.schedule_source == ScheduleSource.RECURRENCE,
                                    CaseTable.is_active.is_(True)).order_by(CaseTable.id)
    if case_table_id is not None:
        query = select(CaseTable).where(CaseTable.id == case_table_id)
    table_ids = list(db.session.scalars(query.with_only_columns(CaseTable.id)))
    if case_table_id is not None and not table_ids:
        raise click.ClickException(f"no case table with id {case_table_id}")
    for table_id in table_ids:  # each table its own unit of work
        try:
            with unit_of_work():
                created = casetables.generate_sessions(
                    actor=None, case_table=db.session.get(CaseTable, table_id))
        except DomainError as exc:
            raise click.ClickException(f"case table {table_id}: {exc.message}") from exc
        click.echo(f"case table {table_id}: {created} sessions created")


def register_commands(app: Flask) -> None:
    from duidingspool.demo import demo_command
    from duidingspool.jobs.cli import jobs_command, scheduler_command

    app.cli.add_command(users)
    app.cli.add_command(tokens)
    app.cli.add_command(demo_command)
    app.cli.add_command(sessions)
    app.cli.add_command(jobs_command)
    app.cli.add_command(scheduler_command)
