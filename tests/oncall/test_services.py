"""The on-call rota: the weekly pattern, overrides, gaps, and who is on duty."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from duidingspool.accounts.models import Role
from duidingspool.errors import ValidationFailed
from duidingspool.extensions import db
from duidingspool.oncall import services
from tests import factories as f

# Wednesday 25 November 2026 (week 48); its Monday is the 23rd.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
MONDAY = date(2026, 11, 23)


@pytest.fixture
def pool(app):
    coordinator = f.user(Role.COORDINATOR)
    experts = [f.expert() for _ in range(3)]
    return coordinator, experts


def _duty(count=6):
    return [week.expert_id for week in services.duty_weeks(MONDAY, count)]


def test_pattern_takes_turns_week_by_week_from_its_start_week(pool):
    coordinator, (a, b, c) = pool
    # A Thursday is moved back to its Monday.
    services.set_pattern(actor=coordinator, starts_on=date(2026, 11, 26),
                         expert_ids=[a.id, b.id, c.id], now=NOW)

    assert services.get_rota().starts_on == MONDAY
    assert _duty() == [a.id, b.id, c.id, a.id, b.id, c.id]
    assert services.duty_weeks(date(2026, 11, 16), 1)[0].is_gap  # before the start week
    assert f.audit_actions()[-1] == "oncall.pattern"


def test_override_gives_a_week_to_another_expert_or_to_nobody(pool):
    coordinator, (a, b, c) = pool
    services.set_pattern(actor=coordinator, starts_on=MONDAY, expert_ids=[a.id, b.id], now=NOW)
    services.set_override(actor=coordinator, week_start=date(2026, 12, 2), expert_id=c.id,
                          kind="swap", now=NOW)
    holiday = services.set_override(actor=coordinator, week_start=date(2026, 12, 7),
                                    expert_id=None, kind="holiday", now=NOW)

    weeks = services.duty_weeks(MONDAY, 4)
    assert [w.expert_id for w in weeks] == [a.id, c.id, None, b.id]
    assert [w.source for w in weeks] == ["pattern", "override", "override", "pattern"]
    assert [w.week_start for w in services.gaps(now=NOW, weeks=8)] == [date(2026, 12, 7)]

    services.delete_override(actor=coordinator, override=holiday, now=NOW)
    assert _duty(4) == [a.id, c.id, a.id, b.id]
    assert f.audit_actions()[-3:] == ["oncall.override", "oncall.override",
                                      "oncall.override_delete"]


def test_override_of_the_same_week_replaces_the_earlier_one(pool):
    coordinator, (a, b, _c) = pool
    services.set_override(actor=coordinator, week_start=MONDAY, expert_id=a.id, now=NOW)
    services.set_override(actor=coordinator, week_start=MONDAY, expert_id=b.id, now=NOW)

    assert _duty(1) == [b.id]


def test_on_duty_follows_the_local_week(pool):
    coordinator, (a, b, _c) = pool
    services.set_pattern(actor=coordinator, starts_on=MONDAY, expert_ids=[a.id, b.id], now=NOW)

    # Sunday 29 November 23:30 local is still week 48; Monday 00:30 local is week 49.
    assert services.on_duty(datetime(2026, 11, 29, 22, 30, tzinfo=timezone.utc)) == a.id
    assert services.on_duty(datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc)) == b.id


def test_without_a_rota_every_coming_week_is_a_gap(pool):
    assert len(services.gaps(now=NOW, weeks=8)) == 8
    assert services.on_duty(NOW) is None


def test_every_change_raises_the_version(pool):
    coordinator, (a, _b, _c) = pool
    assert services.version() == 0
    services.set_pattern(actor=coordinator, starts_on=MONDAY, expert_ids=[a.id], now=NOW)
    override = services.set_override(actor=coordinator, week_start=MONDAY, expert_id=None,
                                     now=NOW)
    services.delete_override(actor=coordinator, override=override, now=NOW)

    assert services.version() == 3


def test_pattern_refuses_an_expert_twice_or_an_inactive_one(pool):
    coordinator, (a, b, _c) = pool
    b.is_active = False
    db.session.flush()
    with pytest.raises(ValidationFailed) as twice:
        services.set_pattern(actor=coordinator, starts_on=MONDAY, expert_ids=[a.id, a.id],
                             now=NOW)
    with pytest.raises(ValidationFailed) as inactive:
        services.set_pattern(actor=coordinator, starts_on=MONDAY, expert_ids=[a.id, b.id],
                             now=NOW)

    assert "expert_ids" in twice.value.fields and "expert_ids" in inactive.value.fields
    assert services.members() == []


def test_override_refuses_a_past_week_and_an_unknown_kind(pool):
    coordinator, (a, _b, _c) = pool
    with pytest.raises(ValidationFailed) as failed:
        services.set_override(actor=coordinator, week_start=date(2026, 11, 16), expert_id=a.id,
                              kind="sick", now=NOW)

    assert set(failed.value.fields) == {"week_start", "kind"}
    assert services.duty_weeks(date(2026, 11, 16), 1)[0].source == "none"
