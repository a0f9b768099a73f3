"""The test suite; tests/conftest.py sets the database."""

TESTING = True
# Forms are posted by the test client without a token; tests/test_security.py switches
# CSRF back on to prove that every form is protected.
WTF_CSRF_ENABLED = False
SECRET_KEY = "testing-only-secret-key"
SERVER_NAME = "localhost"
