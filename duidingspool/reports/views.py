"""The year report as a printable page and as CSV downloads (one per table)."""

from __future__ import annotations

import io

from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from duidingspool import csvexport
from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role
from duidingspool.audit.services import record_export
from duidingspool.db import utcnow
from duidingspool.errors import NotFound
from duidingspool.reports.queries import YearReport, year_report
from duidingspool.results.services import kind_labels, status_labels
from duidingspool.timeutil import to_local

bp = Blueprint("reports", __name__, url_prefix="/rapportage")

TABLES = ("regions", "municipalities", "areas", "categories", "experts", "budget", "urgent",
          "results_areas", "results_regions", "complaints")


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise NotFound(_("No such year."))


def _hm(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def csv_rows(report: YearReport, table: str) -> list[list]:
    """The rows of one report table for CSV, header first; amounts as plain decimals."""
    request_header = [_("Name"), _("Requested"), _("Booked"), _("Cancelled"), _("Unfilled"),
                      _("Fill rate (%)")]

    def request_rows(rows, with_region=False):
        header = ([_("Safety region")] if with_region else []) + request_header
        return [header] + [([r.region] if with_region else []) +
                           [r.name, r.requested, r.booked, r.cancelled, r.unfilled,
                            r.fill_rate if r.fill_rate is not None else ""] for r in rows]

    def cost_rows(rows):
        return [[_("Name"), _("Approved lines"), _("Approved hours"), _("Approved amount"),
                 _("Pending hours"), _("Pending amount")]] + [
            [r.name, r.lines, _hm(r.minutes), r.amount, _hm(r.pending_minutes),
             r.pending_amount] for r in rows]

    def score_rows(rows):
        return [[_("Name"), _("Sessions held"), _("Evaluations"), _("Response rate (%)"),
                 _("Average usefulness (1-5)"), _("On time"), _("Prepared")]] + [
            [r.name, r.sessions, r.evaluations,
             r.response_rate if r.response_rate is not None else "",
             r.average if r.average is not None else "", r.on_time, r.prepared] for r in rows]

    if table == "results_areas":
        return score_rows(report.results.areas)
    if table == "results_regions":
        return score_rows(report.results.regions)
    if table == "complaints":
        kinds, statuses = kind_labels(), status_labels()
        return [[_("About"), *statuses.values(), _("Total")]] + [
            [kinds[kind], *(by_status[s] for s in statuses), sum(by_status.values())]
            for kind, by_status in report.results.complaints.items()]
    if table == "regions":
        return request_rows(report.regions)
    if table == "municipalities":
        return request_rows(report.municipalities, with_region=True)
    if table == "areas":
        return request_rows(report.areas)
    if table == "categories":
        return cost_rows(report.categories)
    if table == "experts":
        return cost_rows(report.experts)
    if table == "urgent":
        u = report.urgent
        return [[_("Urgent requests"), _("Booked"), _("Booked by the answer deadline"),
                 _("Answered in time (%)"), _("Median hours to booking")],
                [u.requested, u.booked, u.in_time,
                 u.in_time_share if u.in_time_share is not None else "",
                 u.median_hours_to_booking if u.median_hours_to_booking is not None else ""]]
    figures = report.budget
    return [[_("Budget line"), _("Budget"), _("Spent"), _("Pending"), _("Committed"),
             _("Remaining"), _("Forecast at year end"), _("Used (%)")]] + [
        [f.label or _("Whole year"), f.budget, f.spent, f.pending, f.committed, f.remaining,
         f.forecast, f.used_percent if f.used_percent is not None else ""]
        for f in [figures.total, *figures.allocations]]


@bp.get("/")
@roles_required(Role.COORDINATOR)
def index():
    """The report of the year asked for (?year=), else of the current year."""
    year = request.args.get("year", type=int) or to_local(utcnow()).year
    return year_page(year)


@bp.get("/<int:year>")
@roles_required(Role.COORDINATOR)
def year(year: int):
    """The year report: requests, fill rate, time to booking, hours, cost, budget use."""
    return year_page(year)


def year_page(year: int):
    _check_year(year)
    report = year_report(year=year, locale=str(get_locale()))
    return render_template("reports/year.html", report=report, tables=TABLES,
                           generated_at=utcnow())


@bp.get("/<int:year>/<table>.csv")
@roles_required(Role.COORDINATOR)
def year_csv(year: int, table: str):
    """One table of the year report as CSV (semicolon separated, as Dutch Excel expects)."""
    _check_year(year)
    if table not in TABLES:
        raise NotFound(_("This page does not exist or is not available to you."))
    report = year_report(year=year, locale=str(get_locale()))
    out = io.StringIO()
    csvexport.Writer(out).writerows(csv_rows(report, table))
    record_export(actor=current_user, what="year_report", details={"year": year, "table": table})
    return Response(
        csvexport.BOM + out.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="jaarrapportage-{year}-{table}.csv"'})
