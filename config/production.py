"""Production: PostgreSQL, https, secrets from the environment."""

SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True
PREFERRED_URL_SCHEME = "https"
# SECRET_KEY and DATABASE_URL must come from the environment; create_app refuses to start
# without them.
REQUIRE_SECRETS = True
