"""Domain errors: services raise these, the edges turn them into 4xx answers.

This module imports nothing of the app, so every layer may import it.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the action; `status` is the HTTP answer it maps to."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    """The object does not exist or is outside the actor's scope (never tell which)."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The actor may not do this at all (not used for objects: those answer NotFound)."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The action clashes with the current state (already cancelled, double booking)."""

    status = 409
    code = "conflict"


class ValidationFailed(DomainError):
    """Input is well-formed but not acceptable; `fields` names the culprits."""

    status = 422
    code = "validation_error"


class PrivacyViolation(ValidationFailed):
    """Free text holds personal data (BSN, e-mail, phone, IBAN, address, date of birth)."""

    code = "privacy_violation"


class BudgetExceeded(Conflict):
    """The action would push the budget over its limit without an override."""

    code = "budget_exceeded"
