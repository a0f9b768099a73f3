"""JSON API for the budget figures of a year."""

from __future__ import annotations


from duidingspool.accounts.models import Role
from duidingspool.api.core import dump, route
from duidingspool.budget.schemas import YearFiguresSchema
from duidingspool.budget.services import check_year, year_figures

TAG = "budget and reports"


@route("/budgets/<int:year>", roles=[Role.COORDINATOR], tag=TAG,
       summary="The year's budget figures: budget, spent, pending, committed, remaining and "
               "forecast, for the year and each allocation (amounts as strings)",
       response=YearFiguresSchema())
def budget_year(year: int):
    check_year(year)
    return dump(YearFiguresSchema(), year_figures(year=year))
