"""Messages in English, so assertions on texts survive the Dutch catalogue."""

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield
