"""JSON API for the year report."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _

from duidingspool.accounts.models import Role
from duidingspool.api.core import dump, route
from duidingspool.errors import NotFound
from duidingspool.reports.queries import year_report
from duidingspool.reports.schemas import YearReportSchema

TAG = "budget and reports"


@route("/reports/<int:year>", roles=[Role.COORDINATOR], tag=TAG,
       summary="The year report: requests per safety region, municipality and expertise "
               "area, fill rate, median time to booking, hours and cost per category and "
               "expert, budget use; no question text or case code",
       response=YearReportSchema())
def report_year(year: int):
    if not 2000 <= year <= 2100:
        raise NotFound(_("No such year."))
    return dump(YearReportSchema(), year_report(year=year, locale=str(get_locale())))
