"""The test suite; tests/conftest.py sets the database."""

TESTING = True
# Forms are posted by the test client without a token; tests/test_security.py switches
# CSRF back on to prove that every form is protected.
WTF_CSRF_ENABLED = False
SECRET_KEY = "testing-only-secret-key"
SERVER_NAME = "localhost"
# Tests serve calendars from 127.0.0.1; tests/casetables checks the refusal itself.
ICS_FETCH_ALLOW_PRIVATE = True
# The forgotten-password form's minimum answer time (tests/accounts/test_links.py sets one).
PASSWORD_RESET_MIN_SECONDS = 0
PUBLIC_BASE_URL = "http://127.0.0.1:5000"
