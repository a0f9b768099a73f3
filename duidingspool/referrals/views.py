"""Request pages for requesters, and the coordinator's inbox."""

from flask import Blueprint, render_template

from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role

bp = Blueprint("referrals", __name__, url_prefix="/verzoeken")


@bp.get("/")
@roles_required(Role.REQUESTER)
def index():
    return render_template("error.html", status=200, message="placeholder")


@bp.get("/nieuw")
@roles_required(Role.REQUESTER)
def create():
    return render_template("error.html", status=200, message="placeholder")


@bp.get("/inbox")
@roles_required(Role.COORDINATOR)
def inbox():
    return render_template("error.html", status=200, message="placeholder")
