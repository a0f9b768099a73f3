"""The JSON API under /api/v1; each feature's api.py adds its endpoints to `bp`."""

from duidingspool.api.core import bp  # noqa: F401
from duidingspool.casetables import api as _casetables_api  # noqa: F401
from duidingspool.referrals import api as _referrals_api  # noqa: F401
from duidingspool.bookings import api as _bookings_api  # noqa: F401,E402
from duidingspool.experts import api as _experts_api  # noqa: F401,E402
from duidingspool.hours import api as _hours_api  # noqa: F401,E402
from duidingspool.budget import api as _budget_api  # noqa: F401,E402
from duidingspool.ical import api as _ical_api  # noqa: F401,E402
from duidingspool.reports import api as _reports_api  # noqa: F401,E402
from duidingspool.accounts import api as _accounts_api  # noqa: F401,E402
from duidingspool.oncall import api as _oncall_api  # noqa: F401,E402
