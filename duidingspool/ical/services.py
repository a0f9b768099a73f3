"""Calendar feeds: secret subscription URLs, who may have which, and what they contain.

A feed token is random (256 bits), shown once, and stored only as its SHA-256. Every fetch
checks access again: the user is still enabled and still holds the role, an expert is
still active, a case table is still visible to the requester. Anything else answers as if
the token never existed.

Policy (also in the README, "Calendar feeds"): a cancelled booking stays in the feed as
STATUS:CANCELLED for FEED_CANCELLED_DAYS after its cancellation, so subscribed calendars see
the cancellation instead of a silently vanished event; bookings that ended more than
FEED_PAST_DAYS ago leave the feed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import gettext as _
from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    type_coerce,
    update,
)

from duidingspool.accounts.access import hash_token
from duidingspool.accounts.models import Role, User, UserRole
from duidingspool.audit.services import record
from duidingspool.bookings.models import Booking, BookingStatus
from duidingspool.casetables.models import CaseTable, Sitting, case_table_municipality
from duidingspool.db import UTCDateTime, utcnow
from duidingspool.errors import NotFound, ValidationFailed
from duidingspool.experts.models import Expert
from duidingspool import signals
from duidingspool.extensions import db
from duidingspool.ical import builder
from duidingspool.ical.models import CalendarFeed, FeedScope, FeedStamp
from duidingspool.referrals.models import Mode, Referral
from duidingspool.timeutil import LOCAL_TZ

# Part of every ETag: raise it when the builder's output changes for the same data.
FEED_FORMAT_VERSION = "1"
TOKEN_BYTES = 32


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def cancelled_days() -> int:
    return _setting("FEED_CANCELLED_DAYS", 30)


def past_days() -> int:
    return _setting("FEED_PAST_DAYS", 365)


def refresh_interval() -> timedelta:
    return timedelta(minutes=_setting("FEED_REFRESH_MINUTES", 60))


# --- which feeds a user may have -------------------------------------------------------------

@dataclass
class FeedSlot:
    """A feed the user may have, with its live subscription if there is one."""

    scope: str
    case_table: CaseTable | None
    feed: CalendarFeed | None


def _requester_case_tables(user: User) -> list[CaseTable]:
    if not user.has_role(Role.REQUESTER) or user.municipality_id is None:
        return []
    return list(db.session.scalars(
        select(CaseTable).where(CaseTable.id.in_(
            select(case_table_municipality.c.case_table_id).where(
                case_table_municipality.c.municipality_id == user.municipality_id)))
        .order_by(CaseTable.name)))


def _own_expert(user: User) -> Expert | None:
    if not user.has_role(Role.EXPERT):
        return None
    return db.session.scalar(select(Expert).where(Expert.user_id == user.id))


def feed_slots(actor: User) -> list[FeedSlot]:
    """The feeds `actor`'s roles allow, each with its live subscription (or None)."""
    live = {(f.scope, f.case_table_id): f for f in db.session.scalars(
        select(CalendarFeed).where(CalendarFeed.user_id == actor.id,
                                   CalendarFeed.revoked_at.is_(None)))}
    slots = []
    expert = _own_expert(actor)
    if expert is not None and expert.is_active:
        slots.append(FeedSlot(FeedScope.EXPERT, None, live.get((FeedScope.EXPERT, None))))
    for table in _requester_case_tables(actor):
        slots.append(FeedSlot(FeedScope.CASE_TABLE, table,
                              live.get((FeedScope.CASE_TABLE, table.id))))
    if actor.has_role(Role.COORDINATOR):
        slots.append(FeedSlot(FeedScope.ALL, None, live.get((FeedScope.ALL, None))))
    return slots


def _refuse() -> ValidationFailed:
    message = _("This calendar is not available to you.")
    return ValidationFailed(message, fields={"scope": [message]})


def create_feed(*, actor: User, scope: str, case_table_id: int | None = None,
                now: datetime | None = None) -> tuple[CalendarFeed, str]:
    """Create (or rotate: the live one is revoked first) a feed; returns it and its token.

    The token is returned only here; afterwards only its hash exists.
    """
    now = now or utcnow()
    allowed = {(s.scope, s.case_table.id if s.case_table else None) for s in feed_slots(actor)}
    key = (scope, case_table_id if scope == FeedScope.CASE_TABLE else None)
    if key not in allowed:
        raise _refuse()
    previous = _live(actor, *key)
    if previous is not None:
        previous.revoked_at = now
        db.session.flush()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed(user_id=actor.id, scope=key[0], case_table_id=key[1],
                        token_hash=hash_token(token), created_at=now)
    db.session.add(feed)
    db.session.flush()
    record(actor=actor, action="calendar_feed.rotate" if previous else "calendar_feed.create",
           obj=feed, details={"scope": feed.scope, "case_table_id": feed.case_table_id,
                              "replaces": previous.id if previous else None})
    return feed, token


def _live(user: User, scope: str, case_table_id: int | None) -> CalendarFeed | None:
    query = select(CalendarFeed).where(CalendarFeed.user_id == user.id,
                                       CalendarFeed.scope == scope,
                                       CalendarFeed.revoked_at.is_(None))
    if case_table_id is None:
        query = query.where(CalendarFeed.case_table_id.is_(None))
    else:
        query = query.where(CalendarFeed.case_table_id == case_table_id)
    return db.session.scalar(query)


def revoke_feed(*, actor: User, feed_id: int, now: datetime | None = None) -> CalendarFeed:
    """Revoke one of the actor's own live feeds; its URL answers 404 from now on."""
    now = now or utcnow()
    feed = db.session.get(CalendarFeed, feed_id)
    if feed is None or feed.user_id != actor.id or feed.revoked_at is not None:
        raise NotFound(_("Calendar feed not found."))
    done = db.session.execute(
        update(CalendarFeed).where(CalendarFeed.id == feed.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(feed)
    if done != 1:
        raise NotFound(_("Calendar feed not found."))
    record(actor=actor, action="calendar_feed.revoke", obj=feed)
    return feed


def revoke_feeds_of(*, actor: User | None, user: User, now: datetime | None = None) -> int:
    """Revoke every live feed of `user` (e.g. when an account is closed); returns how many."""
    now = now or utcnow()
    revoked = db.session.execute(
        update(CalendarFeed).where(CalendarFeed.user_id == user.id,
                                   CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    if revoked:
        record(actor=actor, action="calendar_feed.revoke_all", obj=user,
               details={"count": revoked})
    return revoked


@signals.user_access_revoked.connect
def _revoke_feeds_of_user(user: User, *, actor: User | None, **_kwargs) -> None:
    revoke_feeds_of(actor=actor, user=user)


# --- resolving a token on every fetch --------------------------------------------------------

@dataclass(frozen=True)
class FeedAccess:
    """A live feed whose owner may still see it, and the filter for its bookings."""

    feed_id: int
    scope: str
    created_at: datetime
    locale: str | None
    expert_id: int | None = None
    case_table_id: int | None = None
    case_table_name: str | None = None
    municipality_id: int | None = None  # a requester sees their municipality's requests only


def _has_role(*roles: Role):
    # Equalities, not IN: an IN list is expanded into the SQL on every execution.
    return exists().where(UserRole.user_id == User.id,
                          or_(*[UserRole.role == role.value for role in roles]))


# The feed URL is fetched far more often than anything else, mostly to hear "not modified".
# One statement answers a fetch: the token's feed, its owner's state, roles and access, and
# the feed stamps behind the ETag (see FeedStamp). It is built once and run with bound
# values, and of its four scope variants (CASE-guarded subqueries) the database evaluates
# only the feed's own.

_CANCELLED_CUTOFF = bindparam("cancelled_cutoff", type_=UTCDateTime())
_PAST_CUTOFF = bindparam("past_cutoff", type_=UTCDateTime())


def _kept():
    """A booking still in the feed: not ended too long ago, not cancelled too long ago."""
    return and_(Booking.ends_at >= _PAST_CUTOFF,
                or_(Booking.status != BookingStatus.CANCELLED,
                    Booking.cancelled_at >= _CANCELLED_CUTOFF))


def _stamps(conditions: list) -> list:
    """The sum of the versions of the feed's stamps and the latest change among them."""

    def scalar(column):
        return (select(column).select_from(FeedStamp).where(*conditions)
                .correlate_except(FeedStamp).scalar_subquery())

    return [scalar(func.sum(FeedStamp.version)), scalar(func.max(FeedStamp.changed_at))]


@lru_cache(maxsize=2)
def _lookup_statement(by_token: bool):
    sees_all = _has_role(Role.COORDINATOR, Role.ADMIN)
    expert, table, everything = (FeedScope.EXPERT.value, FeedScope.CASE_TABLE.value,
                                 FeedScope.ALL.value)
    variants = [  # (CASE guard, scope, which stamps)
        (CalendarFeed.scope == expert, expert, [FeedStamp.expert_id == Expert.id]),
        (and_(CalendarFeed.scope == table, sees_all), table,
         [FeedStamp.case_table_id == CalendarFeed.case_table_id]),
        (CalendarFeed.scope == table, table,
         [FeedStamp.case_table_id == CalendarFeed.case_table_id,
          FeedStamp.municipality_id == User.municipality_id]),
        (CalendarFeed.scope == everything, everything, []),
    ]
    # Each subquery also compares the feed's scope, so it is correlated and runs only when
    # its CASE branch is taken (an uncorrelated one, like "all stamps", would run for
    # every feed).
    per_variant = [(guard, _stamps([CalendarFeed.scope == scope, *which]))
                   for guard, scope, which in variants]
    stamps = [case(*[(guard, values[i]) for guard, values in per_variant]) for i in range(2)]
    visible = exists().where(
        case_table_municipality.c.case_table_id == CalendarFeed.case_table_id,
        case_table_municipality.c.municipality_id == User.municipality_id)
    key = (CalendarFeed.token_hash == bindparam("token_hash", type_=String()) if by_token
           else CalendarFeed.id == bindparam("feed_id", type_=Integer()))
    return (
        select(CalendarFeed.id, CalendarFeed.scope, CalendarFeed.case_table_id,
               CalendarFeed.created_at, User.locale, User.municipality_id,
               Expert.id, Expert.is_active, CaseTable.name,
               _has_role(Role.EXPERT).label("is_expert"),
               _has_role(Role.REQUESTER).label("is_requester"),
               _has_role(Role.COORDINATOR).label("is_coordinator"),
               sees_all.label("sees_all_tables"),
               visible.label("table_visible"),
               stamps[0].label("version"),
               type_coerce(stamps[1], UTCDateTime).label("last_change"))
        .join(User, User.id == CalendarFeed.user_id)
        .outerjoin(Expert, Expert.user_id == User.id)
        .outerjoin(CaseTable, CaseTable.id == CalendarFeed.case_table_id)
        .where(key, CalendarFeed.revoked_at.is_(None), User.is_enabled.is_(True))
    )


def _access(row) -> FeedAccess | None:
    (feed_id, scope, case_table_id, created_at, locale, municipality_id, expert_id,
     expert_active, table_name, is_expert, is_requester, is_coordinator, sees_all,
     table_visible) = row[:14]
    common = {"feed_id": feed_id, "scope": scope, "created_at": created_at, "locale": locale}
    if scope == FeedScope.EXPERT:
        if is_expert and expert_id is not None and expert_active:
            return FeedAccess(**common, expert_id=expert_id)
        return None
    if scope == FeedScope.CASE_TABLE:
        if sees_all:
            return FeedAccess(**common, case_table_id=case_table_id, case_table_name=table_name)
        if is_requester and municipality_id is not None and table_visible:
            return FeedAccess(**common, case_table_id=case_table_id, case_table_name=table_name,
                              municipality_id=municipality_id)
        return None
    if scope == FeedScope.ALL and is_coordinator:
        return FeedAccess(**common)
    return None


def _cutoff_day(now: datetime):
    """Retention is counted in whole local days, so a feed's content changes only with its
    bookings and once a day (at midnight, when cancelled or old bookings may leave it)."""
    return now.astimezone(LOCAL_TZ).date()


def _cutoffs(now: datetime) -> dict:
    midnight = datetime.combine(_cutoff_day(now), datetime.min.time(), LOCAL_TZ)
    return {"cancelled_cutoff": (midnight - timedelta(days=cancelled_days())
                                 ).astimezone(timezone.utc),
            "past_cutoff": (midnight - timedelta(days=past_days())).astimezone(timezone.utc)}


@dataclass(frozen=True)
class FeedState:
    etag: str  # without quotes
    last_modified: datetime  # aware UTC, whole seconds


def _state(access: FeedAccess, row, now: datetime) -> FeedState:
    version, last_change = row[14:16]
    day = _cutoff_day(now)
    # The content depends on the bookings in scope (their stamps' versions), on the day
    # (retention, and the VTIMEZONE's years) and on the settings below: all go into the ETag.
    midnight = datetime.combine(day, datetime.min.time(), LOCAL_TZ).astimezone(timezone.utc)
    last_modified = max(access.created_at, midnight)
    if last_change is not None and last_change > last_modified:
        last_modified = last_change
    last_modified = min(last_modified, now).replace(microsecond=0)
    parts = (FEED_FORMAT_VERSION, access.feed_id, access.scope, access.case_table_name or "",
             access.locale or "", access.municipality_id or "", version or 0,
             last_change.isoformat() if last_change else "", day.isoformat(), cancelled_days(),
             past_days(), refresh_interval().total_seconds(),
             current_app.config["PUBLIC_BASE_URL"])
    etag = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]
    return FeedState(etag=etag, last_modified=last_modified)


class _Prepared:
    """A statement compiled once per dialect and run straight on a DBAPI cursor.

    SQLAlchemy would otherwise walk the whole statement on every execution to find its
    cache key; for the feed lookup (run on every poll of every subscribed calendar) that
    walk costs more than the query. The statement's constant values are laid out once;
    a call fills in only `names`, which must be plain strings or integers (no bind
    processing). Datetime columns are converted with their own type's result processor.
    """

    def __init__(self, build, *names: str):
        self.build = build
        self.names = names
        self.by_dialect: dict[str, tuple] = {}

    def _prepare(self, dialect) -> tuple:
        statement = self.build()
        compiled = statement.compile(dialect=dialect)
        constants = compiled.construct_params({name: None for name in self.names})
        if compiled.positiontup is not None:
            order = compiled.positiontup
            template = [constants[name] for name in order]
            slots = tuple((i, name) for i, name in enumerate(order) if name in self.names)
        else:
            template, slots = constants, None
        processors = tuple(
            (i, process) for i, col in enumerate(statement.selected_columns)
            if isinstance(col.type, UTCDateTime)
            and (process := col.type.dialect_impl(dialect).result_processor(dialect, None)))
        prepared = self.by_dialect[dialect.name] = (compiled.string, template, slots,
                                                    processors)
        return prepared

    def first(self, connection, values: dict):
        """The first row for `values` (a list), or None; `connection` is a Connection."""
        dialect = connection.dialect
        prepared = self.by_dialect.get(dialect.name) or self._prepare(dialect)
        sql, template, slots, processors = prepared
        if slots is None:
            params = {**template, **values}
        else:
            params = template.copy()
            for i, name in slots:
                params[i] = values[name]
        cursor = connection.connection.cursor()  # the DBAPI cursor, in the same transaction
        try:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        row = list(row)
        for i, process in processors:
            row[i] = process(row[i])
        return row


_by_token = _Prepared(lambda: _lookup_statement(True), "token_hash")
_by_feed = _Prepared(lambda: _lookup_statement(False), "feed_id")


def lookup(token: str, *, now: datetime | None = None, connection=None
           ) -> tuple[FeedAccess, FeedState] | tuple[None, None]:
    """The feed of `token` and its ETag state, if the feed is live and its owner may still
    see it (one query); (None, None) otherwise. `connection` defaults to the session's."""
    if not token or len(token) > 200:
        return None, None
    now = now or utcnow()
    row = _by_token.first(connection or db.session.connection(),
                          {"token_hash": hash_token(token)})
    access = _access(row) if row is not None else None
    if access is None:
        return None, None
    return access, _state(access, row, now)


def resolve(token: str) -> FeedAccess | None:
    """The feed of `token` if it is live and its owner may still see it; None otherwise."""
    return lookup(token)[0]


def state(access: FeedAccess, *, now: datetime | None = None) -> FeedState:
    """ETag and Last-Modified of a live feed, from its stamps (no calendar is built)."""
    now = now or utcnow()
    row = _by_feed.first(db.session.connection(), {"feed_id": access.feed_id})
    if row is None or _access(row) is None:
        raise NotFound(_("Calendar feed not found."))
    return _state(access, row, now)


def _scope_filter(scope: str, by_municipality: bool) -> list:
    """Which bookings a feed holds, with the bound values :expert_id, :case_table_id and
    :municipality_id (see `_scope_values`)."""
    if scope == FeedScope.EXPERT:
        return [Booking.expert_id == bindparam("expert_id", type_=Integer())]
    if scope == FeedScope.CASE_TABLE:
        conditions = [Referral.case_table_id == bindparam("case_table_id", type_=Integer())]
        if by_municipality:
            conditions.append(
                Referral.municipality_id == bindparam("municipality_id", type_=Integer()))
        return [Booking.referral_id.in_(select(Referral.id).where(*conditions))]
    return []


def _scope_values(access: FeedAccess, now: datetime) -> dict:
    return {"expert_id": access.expert_id, "case_table_id": access.case_table_id,
            "municipality_id": access.municipality_id, **_cutoffs(now)}


def _variant(access: FeedAccess) -> tuple[str, bool]:
    return access.scope, access.municipality_id is not None


# --- what a feed contains ----------------------------------------------------------------------

def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def booking_url(*, booking_id: int, referral_id: int, for_expert: bool) -> str:
    """The page of a booking in the app: the expert's bookings, or the request."""
    if for_expert:
        return f"{_base_url()}/boekingen/mijn#booking-{booking_id}"
    return f"{_base_url()}/verzoeken/{referral_id}"


def place_of(*, mode: str, sitting_location: str | None, sitting_online: bool | None,
             address: str | None) -> str:
    """Where the session takes place: online, the session's location or the table's address."""
    if mode == Mode.ONLINE or sitting_online:
        return "Online"
    return sitting_location or address or ""


@dataclass(frozen=True)
class _Texts:
    summary: str
    summary_with_expert: str
    description: str


def _texts(locale: str | None) -> _Texts:
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        return _Texts(
            summary=gettext("Interpretation request %(reference)s — %(case_table)s",
                            reference="{reference}", case_table="{case_table}"),
            summary_with_expert=gettext(
                "Interpretation request %(reference)s — %(case_table)s — %(expert)s",
                reference="{reference}", case_table="{case_table}", expert="{expert}"),
            description=gettext("Details in Duidingspool: %(url)s", url="{url}"),
        )


def _event_rows(access: FeedAccess, now: datetime):
    expert_user = User.__table__.alias("expert_user")
    return db.session.execute(
        select(Booking.id, Booking.calendar_uid, Booking.starts_at, Booking.ends_at,
               Booking.sequence, Booking.status, Booking.updated_at,
               Referral.id, Referral.reference, Referral.mode, CaseTable.name,
               CaseTable.address, Sitting.location, Sitting.is_online, expert_user.c.name)
        .select_from(Booking)
        .join(Referral, Referral.id == Booking.referral_id)
        .join(CaseTable, CaseTable.id == Referral.case_table_id)
        .outerjoin(Sitting, Sitting.id == Booking.sitting_id)
        .join(Expert, Expert.id == Booking.expert_id)
        .join(expert_user, expert_user.c.id == Expert.user_id)
        .where(_kept(), *_scope_filter(*_variant(access)))
        .order_by(Booking.starts_at, Booking.id),
        _scope_values(access, now),
    ).all()


def feed_events(access: FeedAccess, *, now: datetime | None = None) -> list[builder.FeedEvent]:
    """The events of a feed: its bookings, with cancelled ones kept for the retention period."""
    now = now or utcnow()
    texts = _texts(access.locale)
    for_expert = access.scope == FeedScope.EXPERT
    events = []
    base = _base_url()
    for (booking_id, uid, starts_at, ends_at, sequence, status, updated_at,
         referral_id, reference, mode, table_name, address, location, online,
         expert_name) in _event_rows(access, now):
        url = (f"{base}/boekingen/mijn#booking-{booking_id}" if for_expert
               else f"{base}/verzoeken/{referral_id}")
        if for_expert:
            summary = texts.summary.format(reference=reference, case_table=table_name)
        else:
            summary = texts.summary_with_expert.format(reference=reference,
                                                       case_table=table_name,
                                                       expert=expert_name)
        events.append(builder.FeedEvent(
            uid=uid, starts_at=starts_at, ends_at=ends_at, sequence=sequence,
            cancelled=status == BookingStatus.CANCELLED, summary=summary,
            location=place_of(mode=mode, sitting_location=location, sitting_online=online,
                              address=address),
            url=url, description=texts.description.format(url=url),
            last_modified=updated_at))
    return events


def feed_name(access: FeedAccess) -> str:
    """The calendar's display name (X-WR-CALNAME)."""
    with force_locale(access.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if access.scope == FeedScope.EXPERT:
            return gettext("Duidingspool: my bookings")
        if access.scope == FeedScope.CASE_TABLE:
            return gettext("Duidingspool: %(case_table)s", case_table=access.case_table_name)
        return gettext("Duidingspool: all bookings")


def feed_calendar(access: FeedAccess, *, now: datetime | None = None):
    """The whole feed as an icalendar.Calendar."""
    now = now or utcnow()
    return builder.build_feed(feed_events(access, now=now), name=feed_name(access), now=now,
                              refresh=refresh_interval())


def feed_body(access: FeedAccess, *, now: datetime | None = None) -> bytes:
    """The whole feed as iCalendar bytes (what `feed_calendar(...).to_ical()` gives)."""
    now = now or utcnow()
    return builder.render_feed(feed_events(access, now=now), name=feed_name(access), now=now,
                               refresh=refresh_interval())


def event_for_booking(booking: Booking, *, for_expert: bool, locale: str | None = None,
                      ) -> builder.FeedEvent:
    """One booking as the event every calendar shows for it (feeds and invitations alike)."""
    texts = _texts(locale)
    referral = booking.referral
    table = referral.case_table
    url = booking_url(booking_id=booking.id, referral_id=referral.id, for_expert=for_expert)
    if for_expert:
        summary = texts.summary.format(reference=referral.reference, case_table=table.name)
    else:
        summary = texts.summary_with_expert.format(reference=referral.reference,
                                                   case_table=table.name,
                                                   expert=booking.expert.user.name)
    sitting = booking.sitting
    return builder.FeedEvent(
        uid=booking.calendar_uid, starts_at=booking.starts_at, ends_at=booking.ends_at,
        sequence=booking.sequence, cancelled=booking.status == BookingStatus.CANCELLED,
        summary=summary,
        location=place_of(mode=referral.mode,
                          sitting_location=sitting.location if sitting else None,
                          sitting_online=sitting.is_online if sitting else None,
                          address=table.address),
        url=url, description=texts.description.format(url=url),
        last_modified=booking.updated_at)
