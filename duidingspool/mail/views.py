"""The coordinator's view of the outbox: what was (or will be) sent to whom."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role
from duidingspool.mail import results as _results  # noqa: F401  (connects its receivers)
from duidingspool.mail import services
from duidingspool.web import page_number

bp = Blueprint("mail", __name__, url_prefix="/postvak-uit")

PER_PAGE = 50


@bp.get("/")
@roles_required(Role.COORDINATOR)
def outbox():
    """Outgoing messages, newest first, with their delivery status, a page at a time."""
    page = page_number()
    pagination = services.list_messages(page=page, per_page=PER_PAGE)
    if page != 1 and not pagination.items:
        abort(404)  # no such page
    return render_template("mail/outbox.html", pagination=pagination,
                           messages=pagination.items)


@bp.get("/<int:message_id>")
@roles_required(Role.COORDINATOR)
def message(message_id: int):
    """One message as it is sent, including its calendar attachment."""
    return render_template("mail/message.html", message=services.get_message(message_id))
