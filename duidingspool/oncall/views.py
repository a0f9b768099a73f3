"""The coordinator's rota page: the weekly pattern, overrides, and the coming weeks."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role
from duidingspool.db import utcnow
from duidingspool.experts.services import list_experts
from duidingspool.oncall import services
from duidingspool.oncall.models import OverrideKind
from duidingspool.oncall.schemas import OverrideSchema, PatternSchema
from duidingspool.timeutil import local_date
from duidingspool.web import INPUT_ERRORS, load_form, rejected

bp = Blueprint("oncall", __name__)

# The rota page shows this many weeks from this week (half a year).
SHOWN_WEEKS = 26


def _render(*, form=None, values=None, errors=None, status=200):
    today = local_date(utcnow())
    rota = services.get_rota()
    experts = [e for e in list_experts() if e.is_active]
    members = services.members()
    # The pattern's turns as the form shows them: what was typed, else what is saved.
    chosen = (list(values.getlist("expert_ids")) if form == "pattern" and values is not None
              else [str(m.expert_id) for m in members])
    return render_template(
        "oncall/rota.html", rota=rota, chosen=chosen, experts=experts,
        expert_options=[(e.id, e.user.name) for e in experts],
        weeks=services.duty_weeks(today, SHOWN_WEEKS), this_week=services.week_of(today),
        kinds=[(k.value, label) for k, label in kind_labels().items()],
        form=form, values=values or {}, errors=errors or {}), status


def kind_labels() -> dict:
    return {OverrideKind.HOLIDAY: _("Holiday"), OverrideKind.SWAP: _("Swap"),
            OverrideKind.OTHER: _("Other")}


@bp.get("/rooster")
@roles_required(Role.COORDINATOR)
def rota():
    """The on-call rota: who is on duty for urgent requests, week by week."""
    return _render()


@bp.post("/rooster/patroon")
@roles_required(Role.COORDINATOR)
def set_pattern():
    """Replace the weekly pattern."""
    try:
        services.set_pattern(actor=current_user, **load_form(PatternSchema()))
    except INPUT_ERRORS as exc:
        return _render(form="pattern", values=request.form, **rejected(exc))
    flash(_("The rota's pattern has been saved."), "info")
    return redirect(url_for("oncall.rota"))


@bp.post("/rooster/wijzigingen")
@roles_required(Role.COORDINATOR)
def add_override():
    """Give one week to another expert, or to nobody."""
    try:
        services.set_override(actor=current_user, **load_form(OverrideSchema()))
    except INPUT_ERRORS as exc:
        return _render(form="override", values=request.form, **rejected(exc))
    flash(_("The change of the rota has been saved."), "info")
    return redirect(url_for("oncall.rota"))


@bp.route("/rooster/wijzigingen/<int:override_id>/verwijderen", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def delete_override(override_id: int):
    """Remove an override after a confirmation: the week follows the pattern again."""
    override = services.get_override(override_id)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("oncall/confirm_delete.html", override=override,
                               kind=kind_labels().get(override.kind, override.kind))
    services.delete_override(actor=current_user, override=override)
    flash(_("The change of the rota has been removed; the week follows the pattern again."),
          "info")
    return redirect(url_for("oncall.rota"))
