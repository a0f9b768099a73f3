"""Keeping secret URL tokens out of the logs, however the path was written.

A server's access log writes the request line as the client sent it, so a feed URL may reach
it percent-encoded (`/calendar%2F<token>.ics`, `/%63alendar/<token>.ics`, even encoded twice)
and still be served: the app routes on the decoded path. A filter that looks for the plain
path only would let those through, so the text is decoded first (a few rounds, until it stops
changing) and the secret part of the path is replaced in the decoded text.

Imports nothing of the app, so every feature may use it.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

# Percent-decoding rounds: enough for a path encoded several times over; each round shortens
# the text or stops.
_DECODE_ROUNDS = 5


def decoded(text: str) -> str:
    """`text` percent-decoded until it stops changing (at most a few rounds)."""
    for _ in range(_DECODE_ROUNDS):
        plain = unquote(text)
        if plain == text:
            break
        text = plain
    return text


class PathTokenFilter(logging.Filter):
    """Rewrites log records that mention `prefix` followed by a secret path segment.

    `prefix` is the path up to the secret (e.g. "/calendar/"); the secret and whatever
    follows it up to a space, quote, `?` or `#` become `[redacted]`. Matching ignores case, as
    a mistyped path carries the same secret.
    """

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix
        self.pattern = re.compile(re.escape(prefix) + r"[^\s\"'?#]+", re.IGNORECASE)
        self.replacement = prefix + "[redacted]"

    def redact(self, text: str) -> str:
        """The text with the secret of every such path replaced (decoded where encoded)."""
        if self.pattern.search(text):
            text = self.pattern.sub(self.replacement, text)
        if "%" not in text:
            return text
        plain = decoded(text)
        return self.pattern.sub(self.replacement, plain) if self.pattern.search(plain) else text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 (a malformed record: its handler complains)
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


def install(app, filter_type: type[PathTokenFilter], loggers: tuple[str, ...]) -> None:
    """Attach one `filter_type` to each named logger and the app's logger (once each)."""
    for logger in [logging.getLogger(name) for name in loggers] + [app.logger]:
        if not any(isinstance(f, filter_type) for f in logger.filters):
            logger.addFilter(filter_type())
