"""Feed stamps: what a calendar feed's ETag is built from, kept by the database.

Every poll of a feed URL used to aggregate over the feed's bookings (how many, and the
latest updated_at). That costs a scan of the bookings on every poll (of all of them for the
coordinator's feed, and of all requests of a case table for a table's feed); it misses
changes that show in a feed without touching a booking row (a case table's new name or
address, a session's new place, an expert's new name); and it misses a change whose
updated_at is older than a change committed before it.

feed_stamp has one row per (expert, case table of the request, municipality of the request)
with bookings: a version that every change of such a booking's feed content raises by one,
and the time of the latest change. A feed sums the versions of its rows (an expert's feed:
the expert's rows; a case table's: the table's rows, or only those of the requester's
municipality; the coordinator's: all rows). Versions only grow and rows are never deleted,
so every change makes the sum grow. Triggers keep the rows on every write, whatever code
path (or bulk statement) makes it:

- booking: insert; update of anything a feed shows or selects on; delete;
- referral: reference, mode, case table or municipality;
- case_table: name or address;  sitting: location or online;
- user_account: name (of an expert);  expert: its user.

The time of a booking's change is its updated_at (what the feed shows as LAST-MODIFIED);
for the other changes it is the database's clock. Rows carry no foreign keys: derived data
keyed by ids. Tests prove each change path changes the ETag (tests/ical/test_stamps.py).

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


# Frozen: what this migration took from the app when it was written, copied here as it was
# (a migration is history, so it imports nothing of the app). The column type as the app's
# UTCDateTime rendered it: a timezone-aware DATETIME (timestamptz on PostgreSQL). The trigger
# helpers of duidingspool/triggers.py.
UTC_DATETIME = sa.DateTime(timezone=True)


def _is_distinct(dialect: str) -> str:
    """The NULL-safe "differs" operator."""
    return "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"


def _create_triggers(dialect: str, triggers: list[tuple[str, str, str, str, list[str]]]) -> None:
    """(name, timing and event, table, condition, statements): on PostgreSQL a plpgsql
    function plus a row trigger, on SQLite a row trigger with the statements as its body."""
    for name, event, table, condition, statements in triggers:
        body = ";\n".join(statements)
        if dialect == "postgresql":
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                       f"BEGIN\n{body};\nRETURN NULL;\nEND\n$$")
            op.execute(f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW"
                       f" WHEN ({condition}) EXECUTE FUNCTION {name}()")
        else:
            op.execute(f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW"
                       f" WHEN {condition}\nBEGIN\n{body};\nEND")


def _drop_triggers(dialect: str, triggers: list[tuple[str, str, str, str, list[str]]]) -> None:
    for name, _event, table, _condition, _statements in triggers:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


KEY = "(expert_id, case_table_id, municipality_id)"
BOOKING_COLUMNS = ("expert_id", "referral_id", "sitting_id", "starts_at", "ends_at",
                   "sequence", "status", "updated_at", "cancelled_at", "calendar_uid")


def _clock(dialect: str) -> str:
    if dialect == "postgresql":
        return "now()"
    # UTC, in the text form SQLite's UTCDateTime columns hold ('YYYY-MM-DD HH:MM:SS.ffffff').
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"


def _raise(keys: str, at: str) -> str:
    """Raise the rows whose key is among `keys` (a SELECT of three columns)."""
    return (f"UPDATE feed_stamp SET version = version + 1, changed_at = {at}"
            f" WHERE {KEY} IN ({keys})")


def _raise_or_add(keys: str, at: str) -> str:
    """Raise the rows of `keys` (a SELECT of the three key columns, one row per key, with a
    WHERE), adding the ones not there yet."""
    return (f"INSERT INTO feed_stamp (expert_id, case_table_id, municipality_id, version,"
            f" changed_at) SELECT k.*, 1, {at} FROM ({keys}) AS k WHERE true"
            f" ON CONFLICT {KEY} DO UPDATE SET version = feed_stamp.version + 1,"
            f" changed_at = excluded.changed_at")


def _booking_key(row: str) -> str:
    return (f"SELECT {row}.expert_id, r.case_table_id, r.municipality_id"
            f" FROM referral AS r WHERE r.id = {row}.referral_id")


def _keys_of_bookings(condition: str) -> str:
    return ("SELECT DISTINCT b.expert_id, r.case_table_id, r.municipality_id"
            " FROM booking AS b JOIN referral AS r ON r.id = b.referral_id"
            f" WHERE {condition}")


def _triggers(dialect: str) -> list[tuple[str, str, str, str, list[str]]]:
    """(name, timing and event, table, condition, statements) of every trigger."""
    clock = _clock(dialect)
    distinct = _is_distinct(dialect)

    def changed(*columns: str) -> str:
        return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)

    return [
        ("feed_stamp_booking_insert", "AFTER INSERT", "booking", "true",
         [_raise_or_add(_booking_key("NEW"), "NEW.updated_at")]),
        ("feed_stamp_booking_update", "AFTER UPDATE", "booking", changed(*BOOKING_COLUMNS),
         [_raise_or_add(_booking_key("NEW"), "NEW.updated_at"),
          # A booking given to another expert or request leaves the feeds of its old key.
          _raise(_booking_key("OLD") + f" AND ({changed('expert_id', 'referral_id')})",
                 "NEW.updated_at")]),
        ("feed_stamp_booking_delete", "AFTER DELETE", "booking", "true",
         [_raise(_booking_key("OLD"), clock)]),
        ("feed_stamp_referral_update", "AFTER UPDATE", "referral",
         changed("reference", "mode", "case_table_id", "municipality_id"),
         [_raise("SELECT DISTINCT b.expert_id, OLD.case_table_id, OLD.municipality_id"
                 " FROM booking AS b WHERE b.referral_id = OLD.id", clock),
          _raise_or_add("SELECT DISTINCT b.expert_id, NEW.case_table_id, NEW.municipality_id"
                        " FROM booking AS b WHERE b.referral_id = NEW.id", clock)]),
        ("feed_stamp_case_table_update", "AFTER UPDATE", "case_table",
         changed("name", "address"),
         [f"UPDATE feed_stamp SET version = version + 1, changed_at = {clock}"
          " WHERE case_table_id = NEW.id"]),
        ("feed_stamp_sitting_update", "AFTER UPDATE", "sitting",
         changed("location", "is_online"),
         [_raise(_keys_of_bookings("b.sitting_id = NEW.id"), clock)]),
        ("feed_stamp_user_update", "AFTER UPDATE", "user_account", changed("name"),
         [f"UPDATE feed_stamp SET version = version + 1, changed_at = {clock}"
          " WHERE expert_id IN (SELECT e.id FROM expert AS e WHERE e.user_id = NEW.id)"]),
        ("feed_stamp_expert_update", "AFTER UPDATE", "expert", changed("user_id"),
         [f"UPDATE feed_stamp SET version = version + 1, changed_at = {clock}"
          " WHERE expert_id = NEW.id"]),
    ]


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'feed_stamp',
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('case_table_id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('changed_at', UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint('expert_id', 'case_table_id', 'municipality_id',
                                name=op.f('pk_feed_stamp')),
    )
    op.create_index('ix_feed_stamp_case_table_id', 'feed_stamp',
                    ['case_table_id', 'municipality_id'])
    op.execute(
        "INSERT INTO feed_stamp (expert_id, case_table_id, municipality_id, version, changed_at)"
        " SELECT b.expert_id, r.case_table_id, r.municipality_id, COUNT(*), MAX(b.updated_at)"
        " FROM booking AS b JOIN referral AS r ON r.id = b.referral_id"
        " GROUP BY b.expert_id, r.case_table_id, r.municipality_id")
    _create_triggers(dialect, _triggers(dialect))


def downgrade():
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect, _triggers(dialect))
    op.drop_index('ix_feed_stamp_case_table_id', table_name='feed_stamp')
    op.drop_table('feed_stamp')
