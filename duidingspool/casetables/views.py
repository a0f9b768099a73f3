"""Admin screens for municipalities, case tables and sessions."""

from flask import Blueprint, render_template

from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role

bp = Blueprint("casetables", __name__, url_prefix="/beheer")


@bp.get("/")
@roles_required(Role.ADMIN)
def admin_index():
    """Administration start page."""
    return render_template("error.html", status=200, message="placeholder")
