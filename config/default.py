"""Settings shared by every environment; the other files here override some of them.

Every setting can also be given as an environment variable: DATABASE_URL, SECRET_KEY and
SMTP_* by those names, anything else with the prefix DUIDINGSPOOL_ (for example
DUIDINGSPOOL_SESSION_HORIZON_DAYS=180). Environment variables win over these files.
"""

# None means: an SQLite file in the instance folder.
SQLALCHEMY_DATABASE_URI = None
# hide_parameters: a database error must never write a question text into the log.
# pool_pre_ping: a PostgreSQL connection dropped by the server is replaced unnoticed
# (create_app turns it off for SQLite, where there is no server to drop it).
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}

# The time zone of every case table and of everything shown to people.
DISPLAY_TIMEZONE = "Europe/Amsterdam"

BABEL_DEFAULT_LOCALE = "nl"
BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
LANGUAGES = ["nl", "en"]

# Cookies: HttpOnly and SameSite everywhere; Secure in production (see production.py).
SESSION_COOKIE_NAME = "duidingspool_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = False
REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 14
PERMANENT_SESSION_LIFETIME = 60 * 60 * 8
# A login session ends after this many minutes without a request (and at logout, a password
# change or the account's deactivation, on every device at once).
SESSION_IDLE_MINUTES = 30
# ... and at the latest this many hours after the login, however active it is.
SESSION_MAX_HOURS = 12
# Wrong passwords typed again by a logged-in user (changing the password or the two-factor
# settings) per account; None: LOGIN_LIMIT_PER_ACCOUNT.
PASSWORD_CHECK_LIMIT_PER_ACCOUNT = None

# Login rate limits: failed attempts per account (e-mail address typed) and per client
# address, and failed two-factor codes per account; while a limit is reached, logging in is
# refused with 429. Counts are kept in RATELIMIT_STORAGE_URI: memory:// is per process; in
# production use a shared store such as redis://host:6379/0 (see the README).
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_STRATEGY = "moving-window"
LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
LOGIN_LIMIT_PER_ADDRESS = "20 per 15 minutes"
TWO_FACTOR_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
# Forgotten-password links, per e-mail address typed and per client address (every request
# counts, known address or not); None: the login limits above.
PASSWORD_RESET_LIMIT_PER_ACCOUNT = None
PASSWORD_RESET_LIMIT_PER_ADDRESS = None
# Single-use links to choose a password: an invitation, and a forgotten password.
INVITATION_LINK_HOURS = 72
PASSWORD_RESET_LINK_HOURS = 1
# The forgotten-password form answers no sooner than this, whether or not the address
# exists, so that the time taken does not tell (0 in tests).
PASSWORD_RESET_MIN_SECONDS = 0.4
# Behind a reverse proxy (nginx, a load balancer) set this to the number of proxies in front
# of the app, so the client's address (rate limits, audit trail) and https (HSTS) are read
# from their X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host headers. 0: none trusted.
TRUSTED_PROXIES = 0

WTF_CSRF_ENABLED = True
# The check runs in duidingspool.web.csrf_gate, which lets bearer-token API calls through.
WTF_CSRF_CHECK_DEFAULT = False
WTF_CSRF_TIME_LIMIT = 60 * 60 * 8

# Upload limit (ICS files are small; this also bounds any request body).
MAX_CONTENT_LENGTH = 2 * 1024 * 1024

# How far ahead sessions are generated from a case table's recurrence rule or ICS feed.
SESSION_HORIZON_DAYS = 365
# Fetching a case table's ICS URL.
ICS_FETCH_TIMEOUT_SECONDS = 10
ICS_FETCH_MAX_BYTES = 2 * 1024 * 1024
# Calendar URLs may only point at public addresses (no loopback or private networks).
ICS_FETCH_ALLOW_PRIVATE = False
# Expanding a calendar's recurrences (case-table and experts' busy calendars): at most this
# many occurrences walked in all (skipped ones count too) and this many seconds; beyond
# either the calendar is refused with a message. Rules every second or minute are refused.
ICS_MAX_OCCURRENCES = 50000
ICS_EXPANSION_SECONDS = 5

# Outgoing mail; without SMTP_HOST mail stays in the outbox table.
SMTP_HOST = None
SMTP_PORT = 587
SMTP_USERNAME = None
SMTP_PASSWORD = None
SMTP_STARTTLS = True
MAIL_FROM = "duidingspool@example.org"

# A request whose transaction PostgreSQL aborts as a deadlock victim or a serialisation
# failure is rolled back and run again this many times (README, "One unit of work").
DEADLOCK_RETRIES = 1

# Base URL used in links that leave the app (feeds, e-mail); set it in production. Unset,
# pages link under the host of the request and jobs under http://127.0.0.1:5000
# (duidingspool/urls.py).
PUBLIC_BASE_URL = None

# The coordinator's list of hours to approve shows at most this many lines (the oldest
# sessions first); approving them brings up the next.
APPROVALS_PAGE_LINES = 200

# A request's page shows the best this many candidates (and a link to all of them) and the
# excluded experts counted per reason (and a link to the list): with a national pool the
# full lists were a thousand table rows, half a megabyte on a phone.
CANDIDATES_SHOWN = 20

# An expert's earlier offers and past bookings (on their offers, bookings and hours pages)
# are shown this many at a time, newest first: after five years an expert has hundreds.
EXPERT_HISTORY_PAGE = 25

# Matching: minutes kept free around an expert's other bookings for travel.
MATCHING_TRAVEL_BUFFER_MINUTES = 60
# Offers: hours an expert has to answer (never later than the session's start).
OFFER_EXPIRY_HOURS = 48
EXPERT_BUSY_HORIZON_DAYS = 180
# Urgent requests: a request filed less than URGENT_LEAD_HOURS before its session (a
# date-window request: before local midnight starting its first day) is urgent. It goes to
# the expert on duty in the on-call rota first, and every offer of it must be answered
# within hours, not days: URGENT_ANSWER_HOURS lists (lead time below, hours to answer),
# the first row whose lead time is not reached applies. So a session less than 24 hours
# ahead gives each expert 1 hour, less than 48 hours 2 hours, less than 72 hours 4 hours
# (never later than the session's start). Unanswered, the offer passes to the next ranked
# candidate (job urgent_escalation); after the last one the coordinators get an e-mail.
URGENT_LEAD_HOURS = 72
URGENT_ANSWER_HOURS = [(24, 1), (48, 2), (72, 4)]
# The coordinator's dashboard shows weeks without anyone on duty this many weeks ahead.
ONCALL_GAP_WEEKS = 8

# Calendar feeds: cancelled bookings stay in a feed (as STATUS:CANCELLED) this many days
# after their cancellation; bookings that ended longer ago than FEED_PAST_DAYS leave it.
# Clients are asked to refresh every FEED_REFRESH_MINUTES (REFRESH-INTERVAL, X-PUBLISHED-TTL).
FEED_CANCELLED_DAYS = 30
FEED_PAST_DAYS = 365
# The coordinator's feed of every booking looks back only this many days: it is for planning,
# and a year of a national pool is some 11,000 events (6 MB that every poll after a change
# would fetch and that calendar programs struggle with). The bookings pages hold the rest.
FEED_ALL_PAST_DAYS = 31
FEED_REFRESH_MINUTES = 60
# The outbox sender: minutes to wait after the 1st, 2nd, 3rd ... failed attempt (the last
# value repeats), and the attempt after which a message is marked failed.
MAIL_RETRY_MINUTES = [1, 5, 30, 60]
MAIL_MAX_ATTEMPTS = 10
MAIL_BATCH_SIZE = 100
SMTP_TIMEOUT_SECONDS = 20

# Background jobs (`duidingspool scheduler`; see the README). Each job's schedule: an interval
# ({"minutes": N}, {"hours": N} or {"seconds": N}; in UTC, counted from a fixed epoch so every
# scheduler process fires at the same moments) or a crontab line ({"cron": "0 9 * * *"}) in
# DISPLAY_TIMEZONE (or {"cron": ..., "timezone": "UTC"}). A job missing here, or set to None,
# is not scheduled; `duidingspool jobs run NAME` still runs it. Write crontab weekdays as
# names (mon-sun): APScheduler 3 counts numbers from Monday = 0, unlike cron.
JOB_SCHEDULES = {
    "expire_offers": {"minutes": 5},
    "urgent_escalation": {"minutes": 1},
    "close_past_sessions": {"minutes": 15},
    "send_mail": {"minutes": 1},
    "offer_reminders": {"minutes": 15},
    "session_reminders": {"minutes": 15},
    "hours_reminders": {"cron": "0 9 * * *"},
    "budget_warnings": {"hours": 1},
    "refresh_case_table_calendars": {"hours": 1},
    "refresh_busy_calendars": {"minutes": 30},
    "generate_sessions": {"cron": "30 4 * * *"},
    "retention_purge": {"cron": "15 4 * * *"},
    "evaluation_requests": {"cron": "0 10 * * *"},
    "complaint_flags": {"cron": "30 8 * * *"},
    # After generate_sessions (04:30), so the night's new sessions join their series.
    "extend_standing_series": {"cron": "45 4 * * *"},
}
# A run that starts later than this after its time (the process was busy or down) is skipped;
# the next one catches up (every job picks up whatever is due).
JOB_MISFIRE_GRACE_SECONDS = 300
# A run still "running" after this many minutes, or whose process on this machine is gone,
# is recorded as failed (abandoned) by `jobs list` and at the scheduler's start: a killed
# scheduler cannot record its runs' end. Longer than any job's run.
JOB_RUN_TIMEOUT_MINUTES = 180
# Reminders: to the expert this many hours before a booked session; to log hours from this
# many hours after a session without submitted hours, then at most once a week, for at most
# HOURS_REMINDER_MAX_WEEKS weeks.
REMINDER_BEFORE_HOURS = 24
# Once per offer, this many hours before its answer deadline when the expert has not
# answered yet (not for an offer sent later than that: its e-mail has just gone out).
OFFER_REMINDER_BEFORE_HOURS = 12
HOURS_REMINDER_DELAY_HOURS = 12
HOURS_REMINDER_MAX_WEEKS = 8
# Retention: a request's question text and case code are erased this many months after it
# was completed or cancelled (counts, hours and money stay); erased in batches of this size.
RETENTION_MONTHS = 12
RETENTION_BATCH_SIZE = 500

# Results (evaluations and complaints). After a booked session has ended the requester is
# asked once, by e-mail, to evaluate it, if it ended at most EVALUATION_ASK_DAYS ago (older
# sessions are not asked about when the job first runs). A complaint can be filed up to
# COMPLAINT_WINDOW_DAYS after the session; one without a decision after COMPLAINT_FLAG_DAYS
# is flagged to the coordinators.
EVALUATION_ASK_DAYS = 14
COMPLAINT_WINDOW_DAYS = 30
COMPLAINT_FLAG_DAYS = 14
