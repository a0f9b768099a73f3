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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import gettext as _
from sqlalchemy import (
    Boolean,
    Integer,
    Row,
    Select,
    String,
    TextualSelect,
    and_,
    bindparam,
    column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import aliased

from duidingspool.accounts.access import hash_token
from duidingspool.accounts.models import Role, User
from duidingspool.audit.services import record
from duidingspool.bookings.models import Booking, BookingStatus
from duidingspool.casetables.models import CaseTable, Sitting, case_table_municipality
from duidingspool.db import UTCDateTime, utcnow
from duidingspool.errors import NotFound, ValidationFailed
from duidingspool.experts.models import Expert
from duidingspool import signals
from duidingspool.urls import public_base_url, public_routes
from duidingspool.extensions import db
from duidingspool.ical import builder
from duidingspool.oncall import services as oncall
from duidingspool.ical.models import CalendarFeed, FeedScope
from duidingspool.referrals.models import Mode, Referral
from duidingspool.timeutil import LOCAL_TZ

# Part of every ETag: raise it when the builder's output changes for the same data.
FEED_FORMAT_VERSION = "1"
TOKEN_BYTES = 32


def _setting(name: str, default: int, config: Mapping | None) -> int:
    return int((current_app.config if config is None else config).get(name, default))


def cancelled_days(config: Mapping | None = None) -> int:
    return _setting("FEED_CANCELLED_DAYS", 30, config)


def past_days(config: Mapping | None = None, scope: str | None = None) -> int:
    """How many days after its end a booking stays in a feed of `scope`."""
    if scope == FeedScope.ALL:
        return _setting("FEED_ALL_PAST_DAYS", 31, config)
    return _setting("FEED_PAST_DAYS", 365, config)


def refresh_interval(config: Mapping | None = None) -> timedelta:
    return timedelta(minutes=_setting("FEED_REFRESH_MINUTES", 60, config))


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
    return user.expert


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


def live_feed(actor: User, *, scope: str, case_table_id: int | None = None
              ) -> CalendarFeed | None:
    """The actor's live feed of `scope` (and case table), which a new one would replace."""
    return _live(actor, scope, case_table_id if scope == FeedScope.CASE_TABLE else None)


def get_own_feed(actor: User, feed_id: int) -> CalendarFeed:
    """One of the actor's own live feeds (NotFound for anyone else's or a revoked one)."""
    feed = db.session.get(CalendarFeed, feed_id)
    if feed is None or feed.user_id != actor.id or feed.revoked_at is not None:
        raise NotFound(_("Calendar feed not found."))
    return feed


def revoke_feed(*, actor: User, feed_id: int, now: datetime | None = None) -> CalendarFeed:
    """Revoke one of the actor's own live feeds; its URL answers 404 from now on."""
    now = now or utcnow()
    feed = get_own_feed(actor, feed_id)
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


# The feed URL is fetched far more often than anything else, mostly to hear "not modified".
# One statement answers a fetch: the token's feed, its owner's state, roles and access, and
# the feed stamps behind the ETag (see FeedStamp). It is plain SQL, built once: SQLAlchemy
# caches its compiled form under a key made from its text, which costs far less to look up
# than the key of the equivalent select() (a large expression tree, walked and hashed on
# every execution). The database evaluates only what the feed's scope needs: the role and
# visibility checks `_access` reads for that scope (NULL for the others), and the one of
# the four stamp variants (CASE-guarded subqueries) that is the feed's own.

def _has_role_sql(*roles: Role) -> str:
    names = ", ".join(f"'{role.value}'" for role in roles)
    return (f"EXISTS (SELECT 1 FROM user_role WHERE user_role.user_id = account.id"
            f" AND user_role.role IN ({names}))")


_EXPERT, _TABLE, _ALL = (f"'{scope.value}'" for scope in (FeedScope.EXPERT,
                                                          FeedScope.CASE_TABLE, FeedScope.ALL))
# Only the coordinator sees every municipality's bookings of a case table. An admin reads no
# case content (README), so an admin who is also a requester sees their own municipality's
# bookings like any requester.
_SEES_ALL = _has_role_sql(Role.COORDINATOR)
# (CASE guard, the feed's stamps): which stamps a feed's ETag follows, by its scope and
# its owner's roles, as `_scope_filter` chooses its bookings. Each subquery also compares
# the feed's scope, so it is correlated and runs only when its CASE branch is taken (an
# uncorrelated one, like "all stamps", would run for every feed).
_STAMP_VARIANTS = [
    (f"feed.scope = {_EXPERT}", f"feed.scope = {_EXPERT} AND stamp.expert_id = expert.id"),
    (f"feed.scope = {_TABLE} AND {_SEES_ALL}",
     f"feed.scope = {_TABLE} AND stamp.case_table_id = feed.case_table_id"),
    (f"feed.scope = {_TABLE}",
     f"feed.scope = {_TABLE} AND stamp.case_table_id = feed.case_table_id"
     f" AND stamp.municipality_id = account.municipality_id"),
    (f"feed.scope = {_ALL}", f"feed.scope = {_ALL}"),
]


def _per_scope(aggregate: str) -> str:
    """SQL: `aggregate` over the feed's own stamps (see FeedStamp)."""
    branches = "\n".join(f"WHEN {guard} THEN (SELECT {aggregate} FROM feed_stamp AS stamp"
                         f" WHERE {stamps})" for guard, stamps in _STAMP_VARIANTS)
    return f"CASE {branches} END"


def _lookup_statement(key: str) -> TextualSelect:
    """The lookup of one feed by `key` (an SQL condition with one bound value)."""
    return text(f"""
        SELECT feed.id AS feed_id, feed.scope, feed.case_table_id, feed.created_at,
               account.locale, account.municipality_id,
               expert.id AS expert_id, expert.is_active AS expert_active,
               case_table.name AS case_table_name,
               CASE WHEN feed.scope = {_EXPERT} THEN {_has_role_sql(Role.EXPERT)}
                    END AS is_expert,
               CASE WHEN feed.scope = {_TABLE} THEN {_has_role_sql(Role.REQUESTER)}
                    END AS is_requester,
               CASE WHEN feed.scope = {_ALL} THEN {_has_role_sql(Role.COORDINATOR)}
                    END AS is_coordinator,
               CASE WHEN feed.scope = {_TABLE} THEN {_SEES_ALL} END AS sees_all_tables,
               CASE WHEN feed.scope = {_TABLE} THEN
                    EXISTS (SELECT 1 FROM case_table_municipality AS ctm
                            WHERE ctm.case_table_id = feed.case_table_id
                              AND ctm.municipality_id = account.municipality_id)
                    END AS table_visible,
               {_per_scope("sum(stamp.version)")} AS version,
               {_per_scope("max(stamp.changed_at)")} AS last_change,
               CASE WHEN feed.scope = {_EXPERT} THEN
                    (SELECT rota.version FROM oncall_rota AS rota WHERE rota.id = 1)
                    END AS rota_version,
               CASE WHEN feed.scope = {_EXPERT} THEN
                    (SELECT rota.updated_at FROM oncall_rota AS rota WHERE rota.id = 1)
                    END AS rota_changed
        FROM calendar_feed AS feed
        JOIN user_account AS account ON account.id = feed.user_id
        LEFT OUTER JOIN expert ON expert.user_id = account.id
        LEFT OUTER JOIN case_table ON case_table.id = feed.case_table_id
        WHERE {key} AND feed.revoked_at IS NULL AND account.is_enabled
    """).columns(  # positional: the types of the selected columns, in order
        column("feed_id", Integer), column("scope", String), column("case_table_id", Integer),
        column("created_at", UTCDateTime), column("locale", String),
        column("municipality_id", Integer), column("expert_id", Integer),
        column("expert_active", Boolean), column("case_table_name", String),
        column("is_expert", Boolean), column("is_requester", Boolean),
        column("is_coordinator", Boolean), column("sees_all_tables", Boolean),
        column("table_visible", Boolean), column("version", Integer),
        column("last_change", UTCDateTime), column("rota_version", Integer),
        column("rota_changed", UTCDateTime))


_BY_TOKEN = _lookup_statement("feed.token_hash = :token_hash")
_BY_FEED = _lookup_statement("feed.id = :feed_id")


_CANCELLED_CUTOFF = bindparam("cancelled_cutoff", type_=UTCDateTime())
_PAST_CUTOFF = bindparam("past_cutoff", type_=UTCDateTime())


def _kept():
    """A booking still in the feed: not ended too long ago, not cancelled too long ago."""
    return and_(Booking.ends_at >= _PAST_CUTOFF,
                or_(Booking.status != BookingStatus.CANCELLED,
                    Booking.cancelled_at >= _CANCELLED_CUTOFF))


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


def _cutoffs(now: datetime, scope: str) -> dict:
    midnight = datetime.combine(_cutoff_day(now), datetime.min.time(), LOCAL_TZ)
    return {"cancelled_cutoff": (midnight - timedelta(days=cancelled_days())
                                 ).astimezone(timezone.utc),
            "past_cutoff": (midnight - timedelta(days=past_days(scope=scope))
                            ).astimezone(timezone.utc)}


@dataclass(frozen=True)
class FeedState:
    etag: str  # without quotes
    last_modified: datetime  # aware UTC, whole seconds


def _state(access: FeedAccess, row, now: datetime) -> FeedState:
    version, last_change, rota_version, rota_changed = row[14:18]
    # An expert's feed also shows their weeks on duty (the on-call rota's version).
    if rota_changed is not None and (last_change is None or rota_changed > last_change):
        last_change = rota_changed
    day = _cutoff_day(now)
    # The content depends on the bookings in scope (their stamps' versions), on the day
    # (retention, and the VTIMEZONE's years) and on the settings below: all go into the ETag.
    midnight = datetime.combine(day, datetime.min.time(), LOCAL_TZ).astimezone(timezone.utc)
    last_modified = max(access.created_at, midnight)
    if last_change is not None and last_change > last_modified:
        last_modified = last_change
    last_modified = min(last_modified, now).replace(microsecond=0)
    config = current_app.config  # looked up once: each look-up costs as much as the hash
    parts = (FEED_FORMAT_VERSION, access.feed_id, access.scope, access.case_table_name or "",
             access.locale or "", access.municipality_id or "", version or 0,
             rota_version or 0,
             last_change.isoformat() if last_change else "", day.isoformat(),
             cancelled_days(config), past_days(config, access.scope),
             refresh_interval(config).total_seconds(), public_base_url())
    etag = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]
    return FeedState(etag=etag, last_modified=last_modified)


def lookup(token: str, *, now: datetime | None = None, connection=None
           ) -> tuple[FeedAccess, FeedState] | tuple[None, None]:
    """The feed of `token` and its ETag state, if the feed is live and its owner may still
    see it (one query); (None, None) otherwise. `connection` defaults to the session's."""
    if not token or len(token) > 200:
        return None, None
    now = now or utcnow()
    row = (connection or db.session.connection()).execute(
        _BY_TOKEN, {"token_hash": hash_token(token)}).first()
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
    row = db.session.connection().execute(
        _BY_FEED, {"feed_id": access.feed_id}).first()
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
            "municipality_id": access.municipality_id, **_cutoffs(now, access.scope)}


def _variant(access: FeedAccess) -> tuple[str, bool]:
    return access.scope, access.municipality_id is not None


# --- what a feed contains ----------------------------------------------------------------------

class _Links:
    """Where an event links to: the expert's bookings page, or the request's page."""

    def __init__(self) -> None:
        self.routes = public_routes()
        self.my_bookings = self.routes.build("bookings.my_bookings", force_external=True)

    def of(self, *, booking_id: int, referral_id: int, for_expert: bool) -> str:
        if for_expert:
            return f"{self.my_bookings}#booking-{booking_id}"
        return self.routes.build("referrals.detail", {"referral_id": referral_id},
                                 force_external=True)


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


def _event_facts() -> Select:
    """What a booking's calendar event is made of, one row per booking, in the order
    `_event` reads it.

    Never the request's question text or case code: a calendar is no place for them.
    """
    expert_user = aliased(User, name="expert_user")
    return (
        select(Booking.id.label("booking_id"), Booking.calendar_uid, Booking.starts_at,
               Booking.ends_at, Booking.sequence, Booking.status, Booking.updated_at,
               Referral.id.label("referral_id"), Referral.reference, Referral.mode,
               CaseTable.name.label("case_table_name"), CaseTable.address,
               Sitting.location.label("sitting_location"),
               Sitting.is_online.label("sitting_online"),
               expert_user.name.label("expert_name"))
        .select_from(Booking)
        .join(Referral, Referral.id == Booking.referral_id)
        .join(CaseTable, CaseTable.id == Referral.case_table_id)
        .outerjoin(Sitting, Sitting.id == Booking.sitting_id)
        .join(Expert, Expert.id == Booking.expert_id)
        .join(expert_user, expert_user.id == Expert.user_id)
    )


def _event(facts: Row, *, for_expert: bool, texts: _Texts, links: _Links) -> builder.FeedEvent:
    """One booking (a row of `_event_facts`) as the event every calendar shows for it:
    the same in a feed and in an invitation, apart from the reader's language and whether
    the reader is the booked expert."""
    # Unpacked at once: a feed turns hundreds of rows into events, and reading a row's
    # fields by name one at a time costs more than the rest of this function.
    (booking_id, uid, starts_at, ends_at, sequence, status, updated_at, referral_id,
     reference, mode, case_table_name, address, sitting_location, sitting_online,
     expert_name) = facts
    url = links.of(booking_id=booking_id, referral_id=referral_id, for_expert=for_expert)
    if for_expert:
        summary = texts.summary.format(reference=reference, case_table=case_table_name)
    else:
        summary = texts.summary_with_expert.format(reference=reference,
                                                   case_table=case_table_name,
                                                   expert=expert_name)
    return builder.FeedEvent(
        uid=uid, starts_at=starts_at, ends_at=ends_at, sequence=sequence,
        cancelled=status == BookingStatus.CANCELLED, summary=summary,
        location=place_of(mode=mode, sitting_location=sitting_location,
                          sitting_online=sitting_online, address=address),
        url=url, description=texts.description.format(url=url), last_modified=updated_at)


def feed_events(access: FeedAccess, *, now: datetime | None = None) -> list[builder.FeedEvent]:
    """The events of a feed: its bookings, with cancelled ones kept for the retention period."""
    now = now or utcnow()
    rows = db.session.execute(
        _event_facts().where(_kept(), *_scope_filter(*_variant(access)))
        .order_by(Booking.starts_at, Booking.id),
        _scope_values(access, now))
    texts, links = _texts(access.locale), _Links()
    for_expert = access.scope == FeedScope.EXPERT
    events = [_event(row, for_expert=for_expert, texts=texts, links=links) for row in rows]
    if for_expert:
        events += duty_events(access.expert_id, locale=access.locale, now=now)
    return events


# Weeks on duty in an expert's feed: from this many weeks back to this many ahead.
DUTY_WEEKS_BACK, DUTY_WEEKS_AHEAD = 4, 26


def duty_events(expert_id: int, *, locale: str | None, now: datetime
                ) -> list[builder.FeedEvent]:
    """The expert's weeks on duty in the on-call rota: one whole-week event each (Monday
    to Monday), free time, without any case details. The UID is a hash of expert and
    week; SEQUENCE is the rota's version."""
    rota = oncall.get_rota()
    if rota is None:
        return []
    first = oncall.week_of(_cutoff_day(now)) - timedelta(weeks=DUTY_WEEKS_BACK)
    weeks = oncall.duty_weeks_of(expert_id, first_week=first,
                                 count=DUTY_WEEKS_BACK + DUTY_WEEKS_AHEAD + 1)
    url = public_routes().build("bookings.my_offers", force_external=True)
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        description = gettext("Urgent requests come to you first this week. Details in "
                              "Duidingspool: %(url)s", url=url)
        events = []
        for week in weeks:
            starts = datetime.combine(week.week_start, datetime.min.time(), LOCAL_TZ)
            ends = datetime.combine(week.week_start + timedelta(days=7), datetime.min.time(),
                                    LOCAL_TZ)
            uid = hashlib.sha256(f"oncall:{expert_id}:{week.week_start}".encode()).hexdigest()
            events.append(builder.FeedEvent(
                uid=uid[:32], starts_at=starts.astimezone(timezone.utc),
                ends_at=ends.astimezone(timezone.utc), sequence=rota.version, cancelled=False,
                summary=gettext("On call for urgent requests (week %(week)s)",
                                week=week.week_number),
                location="", url=url, description=description,
                last_modified=rota.updated_at, all_day=True))
    return events


def event_for_booking(booking: Booking, *, for_expert: bool, locale: str | None = None,
                      ) -> builder.FeedEvent:
    """One booking as the event every calendar shows for it (feeds and invitations alike)."""
    facts = db.session.execute(_event_facts().where(Booking.id == booking.id)).one()
    return _event(facts, for_expert=for_expert, texts=_texts(locale), links=_Links())


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
