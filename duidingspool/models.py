"""Imports every feature's models so that the metadata (and Alembic) sees the whole domain."""

from duidingspool.accounts.models import ApiToken, RecoveryCode, Role, User, UserRole  # noqa: F401
from duidingspool.audit.models import AuditEvent  # noqa: F401
from duidingspool.bookings.models import Booking, Offer  # noqa: F401
from duidingspool.budget.models import Budget, BudgetAllocation, BudgetWarning  # noqa: F401
from duidingspool.casetables.models import (  # noqa: F401
    CaseTable,
    Municipality,
    SafetyRegion,
    Sitting,
    case_table_municipality,
)
from duidingspool.experts.models import (  # noqa: F401
    Absence,
    AvailabilityWindow,
    BusyInterval,
    Expert,
    ExpertConflict,
    ExpertExpertise,
    ExpertiseArea,
    ExpertLanguage,
    ExpertRate,
)
from duidingspool.hours.models import HourLine  # noqa: F401
from duidingspool.referrals.models import Referral, ReferralExpertise  # noqa: F401
from duidingspool.ical.models import CalendarFeed  # noqa: F401,E402
from duidingspool.mail.models import OutboxMessage  # noqa: F401,E402
from duidingspool.jobs.models import JobRun  # noqa: F401,E402
from duidingspool.results.models import Complaint, Evaluation, ProcessNote  # noqa: F401,E402
from duidingspool.oncall.models import OnCallMember, OnCallOverride, OnCallRota  # noqa: F401,E402
