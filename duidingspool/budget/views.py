"""The coordinator's dashboard and the budget page of a year (figures and settings)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE
from sqlalchemy import select

from duidingspool import formats
from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role
from duidingspool.budget import services
from duidingspool.budget.models import DEFAULT_KM_RATE
from duidingspool.budget.schemas import BudgetFormSchema
from duidingspool.casetables.models import SafetyRegion
from duidingspool.db import utcnow
from duidingspool.extensions import db
from duidingspool.oncall import services as oncall
from duidingspool.timeutil import to_local
from duidingspool.web import INPUT_ERRORS, rejected

bp = Blueprint("budget", __name__)

# Chart geometry (SVG user units).
WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 640, 260, 70, 16, 30


@dataclass
class Chart:
    width: int
    height: int
    left: int
    baseline: float
    bars: list[dict]
    line_points: str
    budget_y: float | None
    ticks: list[dict]


def _scale(values: list[Decimal], budget: Decimal) -> Decimal:
    top = max([budget, *values, Decimal(1)])
    return top * Decimal("1.05")


def chart_of(figures: services.YearFigures, month_names: list[str]) -> Chart:
    """Monthly spending bars, the cumulative spending line and the budget line, as SVG
    coordinates (the template draws them; no JavaScript)."""
    monthly = figures.total.months
    cumulative = figures.cumulative
    top = _scale(cumulative, figures.total.budget)
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    step = (WIDTH - LEFT - 10) / 12

    def y(value: Decimal) -> float:
        return round(baseline - float(value / top) * plot_h, 1)

    bars, points = [], []
    for i, (amount, running) in enumerate(zip(monthly, cumulative, strict=True)):
        x = LEFT + i * step
        bars.append({"x": round(x + step * 0.2, 1), "y": y(amount), "w": round(step * 0.6, 1),
                     "h": round(baseline - y(amount), 1), "label": month_names[i],
                     "label_x": round(x + step / 2, 1), "amount": amount,
                     "running": running})
        points.append(f"{round(x + step / 2, 1)},{y(running)}")
    ticks = [{"y": y(top * k / 4), "value": (top * k / 4).quantize(Decimal("1"))}
             for k in range(0, 5)]
    budget_y = y(figures.total.budget) if figures.budget is not None else None
    return Chart(width=WIDTH, height=HEIGHT, left=LEFT, baseline=baseline, bars=bars,
                 line_points=" ".join(points), budget_y=budget_y, ticks=ticks)


def gauge_of(fig: services.Figures, width: int = 300) -> dict:
    """Widths of the spent and committed parts of a budget gauge bar."""
    if fig.budget <= 0:
        return {"width": width, "spent": 0, "committed": 0, "over": fig.spent + fig.committed > 0}
    spent = min(float(fig.spent / fig.budget), 1.0) * width
    committed = min(float((fig.spent + fig.committed) / fig.budget), 1.0) * width - spent
    return {"width": width, "spent": round(spent, 1), "committed": round(max(committed, 0), 1),
            "over": fig.spent + fig.committed > fig.budget}


def _month_names() -> list[str]:
    from babel.dates import get_month_names
    from flask_babel import get_locale

    names = get_month_names("abbreviated", locale=get_locale())
    return [names[m] for m in range(1, 13)]


@bp.get("/dashboard")
@roles_required(Role.COORDINATOR)
def dashboard():
    """The coordinator's start page: open requests, waiting offers, this week, the budget."""
    data = services.dashboard()
    gap_weeks = int(current_app.config["ONCALL_GAP_WEEKS"])
    return render_template("budget/dashboard.html", data=data,
                           chart=chart_of(data.figures, _month_names()),
                           total_gauge=gauge_of(data.figures.total),
                           rota_gaps=oncall.gaps(weeks=gap_weeks), rota_gap_weeks=gap_weeks)


def _render_year(year: int, *, values=None, errors=None, status: int = 200):
    figures = services.year_figures(year=year)
    regions = db.session.scalars(select(SafetyRegion).order_by(SafetyRegion.name)).all()
    if values is None:
        budget = figures.budget
        # As the user would type them: 125.000,00 and 0,23 in Dutch.
        values = {"amount": formats.decimal_input(budget.amount) if budget else "",
                  "km_rate": formats.decimal_input(budget.km_rate if budget
                                                   else DEFAULT_KM_RATE),
                  "thresholds": ", ".join(str(t) for t in services.thresholds_of(budget))}
        for a in (budget.allocations if budget else []):
            values[f"allocation_{a.safety_region_id}"] = formats.decimal_input(a.amount)
    return render_template(
        "budget/year.html", year=year, figures=figures, regions=regions, values=values,
        errors=errors or {}, chart=chart_of(figures, _month_names()),
        gauges={f.key: gauge_of(f) for f in [figures.total, *figures.allocations]},
        warnings=services.warnings_of(year=year),
        standing=services.standing_commitments(year=year)), status


def _typed_numbers(form) -> dict:
    """The filled-in fields of the budget form, amounts read the way the user typed them
    (125.000,00 or 125000.00; the thresholds may carry a % sign)."""
    data = {}
    for key, value in form.items():
        if not value.strip():
            continue
        if key in ("amount", "km_rate") or key.startswith("allocation_"):
            value = formats.parse_decimal_input(value)
        elif key == "thresholds":
            value = value.replace("%", "")
        data[key] = value
    return data


@bp.get("/budget")
@roles_required(Role.COORDINATOR)
def current():
    """The budget page of the current year."""
    return redirect(url_for("budget.year", year=to_local(utcnow()).year))


@bp.get("/budget/<int:year>")
@roles_required(Role.COORDINATOR)
def year(year: int):
    """A year's budget figures, per allocation, with the settings form."""
    services.check_year(year)
    return _render_year(year)


@bp.post("/budget/<int:year>")
@roles_required(Role.COORDINATOR)
def year_save(year: int):
    """Set the year's budget, km rate, thresholds and allocations per safety region."""
    services.check_year(year)
    try:
        data = BudgetFormSchema().load(_typed_numbers(request.form), unknown=EXCLUDE)
        services.set_budget(actor=current_user, year=year, **data)
    except INPUT_ERRORS as exc:
        return _render_year(year, values=request.form, **rejected(exc, field="_form"))
    flash(_("The budget for %(year)s has been saved.", year=year), "info")
    return redirect(url_for("budget.year", year=year))
