"""JSON API for the budget figures of a year."""

from __future__ import annotations

from flask_babel import gettext as _

from duidingspool.accounts.models import Role
from duidingspool.api.core import dump, route
from duidingspool.budget.schemas import YearFiguresSchema
from duidingspool.budget.services import year_figures
from duidingspool.errors import NotFound

TAG = "budget and reports"


@route("/budgets/<int:year>", roles=[Role.COORDINATOR], tag=TAG,
       summary="The year's budget figures: budget, spent, pending, committed, remaining and "
               "forecast, for the year and each allocation (amounts as strings)",
       response=YearFiguresSchema())
def budget_year(year: int):
    if not 2000 <= year <= 2100:
        raise NotFound(_("No such year."))
    return dump(YearFiguresSchema(), year_figures(year=year))
