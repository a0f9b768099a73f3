"""The audit trail for coordinators and admins: search by user, object and period; CSV export."""

from __future__ import annotations

import io
import json

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import EXCLUDE
from marshmallow import ValidationError as SchemaError

from duidingspool import csvexport
from duidingspool.accounts.access import roles_required
from duidingspool.accounts.models import Role
from duidingspool.audit import labels, queries
from duidingspool.audit.schemas import AuditFilterSchema
from duidingspool.audit.services import filter_details, record_export
from duidingspool.timeutil import to_local
from duidingspool.web import field_errors

bp = Blueprint("audit", __name__, url_prefix="/logboek")

def _filters() -> tuple[dict, dict[str, list[str]]]:
    """The filters from the query string (empty inputs ignored), or the errors."""
    raw = {k: v.strip() for k, v in request.args.items() if v.strip() != ""}
    try:
        return AuditFilterSchema().load(raw, unknown=EXCLUDE), {}
    except SchemaError as exc:
        return {"page": 1}, field_errors(exc)


@bp.get("/")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def index():
    """Search the audit trail by user, object and period; newest first, paginated."""
    filters, errors = _filters()
    page = queries.search(filters) if not errors else None
    args = {k: v for k, v in request.args.items() if k != "page" and v.strip() != ""}
    return render_template(
        "audit/index.html", page=page, errors=errors, values=request.args, args=args,
        users=queries.users(),
        object_types=sorted(((t, labels.object_label(t)) for t in queries.object_types()),
                            key=lambda pair: pair[1]),
    ), 422 if errors else 200


@bp.get("/export.csv")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def export():
    """The events matching the filters as CSV (the export itself is audited)."""
    filters, errors = _filters()
    if errors:
        return index()
    filters.pop("page", None)
    count = queries.count_events(filters)
    record_export(actor=current_user, what="audit_trail",
                  details={"filters": filter_details(filters), "rows": count})
    header = [_("Time"), _("User ID"), _("User"), _("Action"), _("Object type"),
              _("Object ID"), _("Address"), _("Details")]

    def rows():
        out = io.StringIO()
        writer = csvexport.Writer(out)
        writer.writerow(header)
        yield csvexport.BOM + out.getvalue()
        for event, user in queries.iter_events(filters):
            out.seek(0)
            out.truncate()
            writer.writerow((
                to_local(event.occurred_at).isoformat(timespec="seconds"), event.actor_id,
                user.email if user else "", event.action, event.object_type, event.object_id,
                event.remote_addr,
                json.dumps(event.details, sort_keys=True, ensure_ascii=False)
                if event.details is not None else ""))
            yield out.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="logboek.csv"',
        "Cache-Control": "no-store"})
