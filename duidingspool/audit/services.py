"""Recording audit events, in the caller's transaction."""

from __future__ import annotations

from contextvars import ContextVar

from duidingspool.audit.models import AuditEvent
from duidingspool.extensions import db

# The address the current web request came from; set at the edge (see
# duidingspool.web), empty for the CLI and jobs.
remote_addr_var: ContextVar[str | None] = ContextVar("remote_addr", default=None)


def record(*, actor, action: str, obj=None, object_type: str | None = None,
           object_id: int | None = None, details: dict | None = None) -> AuditEvent:
    """Add an audit event for `actor` doing `action` to `obj` (or type/id); flushes."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = obj.id
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type or "system",
        object_id=object_id,
        remote_addr=remote_addr_var.get(),
        details=details,
    )
    db.session.add(event)
    db.session.flush()
    return event


def record_export(*, actor, what: str, details: dict | None = None) -> AuditEvent:
    """Record that `actor` downloaded an export (`what`: e.g. "year_report", "audit_trail")."""
    return record(actor=actor, action=f"{what}.export", object_type=what, details=details)


def filter_details(filters: dict) -> dict:
    """The search filters as audit details: ids, a type name and ISO dates only."""
    details = {}
    for name in ("user_id", "object_type", "object_id", "date_from", "date_to"):
        value = filters.get(name)
        if value is not None and value != "":
            details[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return details
