"""User administration: the role rules in accounts services (nobody changes their own roles,
a coordinator never gives themself the expert role, an administrator can and the audit trail
shows it), and the admin's pages with their confirmation step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from duidingspool.accounts import services
from duidingspool.accounts.models import Role, User
from duidingspool.audit.models import AuditEvent
from duidingspool.errors import Conflict, Forbidden, ValidationFailed
from duidingspool.experts import services as experts
from duidingspool.extensions import db
from duidingspool.mail.models import OutboxMessage
from tests import factories as f
from tests.accounts.helpers import enable_two_factor, link_tokens, password_login


def _text(response) -> str:
    return response.get_data(as_text=True)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def _roles(user_id: int) -> list[str]:
    db.session.expire_all()
    return sorted(r.value for r in db.session.get(User, user_id).role_names)


# --- the rules in the services ---------------------------------------------------------------

def test_coordinator_cannot_give_own_account_the_expert_role(app):
    coordinator = f.user(Role.COORDINATOR)

    with pytest.raises(Conflict, match="eigen account geen nieuwe rol"):
        services.grant_role(actor=coordinator, user=coordinator, role=Role.EXPERT)

    assert _roles(coordinator.id) == ["coordinator"]
    assert _events("user.add_role") == []


def test_coordinator_cannot_link_an_expert_profile_to_own_account(app):
    coordinator = f.user(Role.COORDINATOR)
    town = f.municipality()

    with pytest.raises(Conflict):
        experts.create_expert(actor=coordinator, account="existing", email=coordinator.email,
                              home_municipality_id=town.id)


def test_coordinator_may_link_an_expert_profile_to_another_account(app):
    coordinator = f.user(Role.COORDINATOR)
    person = f.user(Role.REQUESTER)

    experts.create_expert(actor=coordinator, account="existing", email=person.email,
                          home_municipality_id=f.municipality().id)

    [event] = _events("user.add_role")
    assert _roles(person.id) == ["expert", "requester"]
    assert (event.actor_id, event.object_id) == (coordinator.id, person.id)
    assert event.details == {"role": "expert", "old_roles": ["requester"],
                             "new_roles": ["expert", "requester"]}


def test_admin_gives_a_coordinator_the_expert_role_and_the_trail_shows_it(app):
    admin = f.user(Role.ADMIN)
    coordinator = f.user(Role.COORDINATOR)

    changed = services.change_roles(actor=admin, user=coordinator,
                                    roles=["coordinator", "expert"], municipality_id=None)

    [event] = _events("user.roles")
    assert changed and _roles(coordinator.id) == ["coordinator", "expert"]
    assert (event.actor_id, event.object_type, event.object_id) == \
        (admin.id, "user_account", coordinator.id)
    assert event.details == {"old_roles": ["coordinator"], "new_roles": ["coordinator", "expert"],
                             "old_municipality_id": None, "new_municipality_id": None}


def test_nobody_changes_their_own_roles(app):
    admin = f.user(Role.ADMIN)

    with pytest.raises(Conflict, match="eigen rollen"):
        services.change_roles(actor=admin, user=admin, roles=["admin", "coordinator"],
                              municipality_id=None)
    with pytest.raises(Conflict, match="eigen rollen"):
        services.change_roles(actor=admin, user=admin, roles=["expert"], municipality_id=None)

    assert _roles(admin.id) == ["admin"] and _events("user.roles") == []


def test_only_an_admin_changes_roles(app):
    coordinator = f.user(Role.COORDINATOR)
    person = f.user(Role.EXPERT)

    with pytest.raises(Forbidden):
        services.change_roles(actor=coordinator, user=person, roles=["coordinator"],
                              municipality_id=None)

    assert _roles(person.id) == ["expert"]


def test_requester_needs_a_known_municipality(app):
    admin = f.user(Role.ADMIN)
    person = f.user(Role.EXPERT)

    with pytest.raises(ValidationFailed) as missing:
        services.change_roles(actor=admin, user=person, roles=["requester"], municipality_id=None)
    with pytest.raises(ValidationFailed) as unknown:
        services.change_roles(actor=admin, user=person, roles=["requester"],
                              municipality_id=999_999)

    assert set(missing.value.fields) == {"municipality_id"}
    assert set(unknown.value.fields) == {"municipality_id"}
    assert _roles(person.id) == ["expert"]


def test_municipality_change_of_a_requester_is_audited_and_cleared_for_other_roles(app):
    admin = f.user(Role.ADMIN)
    old_town, new_town = f.municipality(), f.municipality()
    person = f.user(Role.REQUESTER, municipality_obj=old_town)

    services.change_roles(actor=admin, user=person, roles=["requester"],
                          municipality_id=new_town.id)
    services.change_roles(actor=admin, user=person, roles=["expert"],
                          municipality_id=new_town.id)

    first, second = [e.details for e in _events("user.roles")]
    assert (first["old_municipality_id"], first["new_municipality_id"]) == \
        (old_town.id, new_town.id)
    assert (second["new_roles"], second["new_municipality_id"]) == (["expert"], None)
    assert person.municipality_id is None


def test_unchanged_roles_record_nothing(app):
    admin = f.user(Role.ADMIN)
    person = f.user(Role.EXPERT)

    assert services.change_roles(actor=admin, user=person, roles=["expert"],
                                 municipality_id=None) is False
    assert _events("user.roles") == []


def test_reset_two_factor_is_for_another_user_with_it_on(app):
    admin = f.user(Role.ADMIN)
    person = f.user(Role.EXPERT)

    with pytest.raises(Conflict, match="niet aan"):
        services.reset_two_factor(actor=admin, user=person)
    with pytest.raises(Conflict, match="eigen tweestapsverificatie"):
        services.reset_two_factor(actor=admin, user=admin)


# --- the admin's pages -----------------------------------------------------------------------

@pytest.fixture
def admin_client(app, login_as):
    admin = f.user(Role.ADMIN)
    db.session.commit()
    client = login_as(admin)
    client.admin = admin
    return client


def test_users_page_offers_a_new_user_in_dutch(admin_client):
    page = admin_client.get("/beheer/gebruikers")

    assert page.status_code == 200
    assert 'href="/beheer/gebruikers/nieuw"' in _text(page) and "Nieuwe gebruiker" in _text(page)


def test_admin_creates_a_user_who_gets_an_invitation(admin_client, app):
    town = f.municipality(name="Hengelo")
    db.session.commit()

    form = admin_client.get("/beheer/gebruikers/nieuw")
    response = admin_client.post("/beheer/gebruikers/nieuw", data={
        "name": "Sam de Vries", "email": "Sam@Example.org", "roles": ["requester"],
        "municipality_id": str(town.id), "locale": "nl"})

    user = services.get_by_email("sam@example.org")
    assert form.status_code == 200 and "Hengelo" in _text(form)
    assert response.headers["Location"] == f"/beheer/gebruikers/{user.id}"
    assert (user.name, user.municipality_id, user.has_password) == ("Sam de Vries", town.id, False)
    assert len(link_tokens(user.email)) == 1
    [event] = _events("user.create")
    assert event.actor_id == admin_client.admin.id
    assert event.details == {"roles": ["requester"], "municipality_id": town.id, "invited": True}


def test_new_user_form_shows_what_is_wrong_and_writes_nothing(admin_client):
    response = admin_client.post("/beheer/gebruikers/nieuw", data={
        "name": "Sam de Vries", "email": "sam@example.org", "roles": ["requester"]})

    assert response.status_code == 422
    assert 'id="municipality_id-errors"' in _text(response)
    assert 'value="sam@example.org"' in _text(response)
    assert services.get_by_email("sam@example.org") is None
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_role_change_asks_for_confirmation_with_its_consequences(admin_client):
    coordinator = f.user(Role.COORDINATOR, name="Kim Jansen")
    db.session.commit()

    page = admin_client.get(f"/beheer/gebruikers/{coordinator.id}/rollen",
                            query_string={"roles": ["coordinator", "expert"]})

    assert page.status_code == 200
    assert "Weet u zeker dat u de rollen van Kim Jansen wilt wijzigen" in _text(page)
    assert "Krijgt de rol Expert" in _text(page)
    assert 'name="confirm" value="yes"' in _text(page)
    assert _roles(coordinator.id) == ["coordinator"]


def test_role_change_without_confirmation_does_nothing(admin_client):
    coordinator = f.user(Role.COORDINATOR)
    db.session.commit()

    response = admin_client.post(f"/beheer/gebruikers/{coordinator.id}/rollen",
                                 data={"roles": ["coordinator", "expert"]})

    assert response.status_code == 422 and "Bevestig de wijziging eerst." in _text(response)
    assert _roles(coordinator.id) == ["coordinator"] and _events("user.roles") == []


def test_role_change_with_confirmation_is_done_and_audited(admin_client):
    coordinator = f.user(Role.COORDINATOR)
    db.session.commit()

    response = admin_client.post(f"/beheer/gebruikers/{coordinator.id}/rollen",
                                 data={"roles": ["coordinator", "expert"], "confirm": "yes"})

    assert response.headers["Location"] == f"/beheer/gebruikers/{coordinator.id}"
    assert _roles(coordinator.id) == ["coordinator", "expert"]
    assert _events("user.roles")[0].actor_id == admin_client.admin.id


def test_own_role_change_is_refused_on_the_page(admin_client):
    admin = admin_client.admin

    page = admin_client.get(f"/beheer/gebruikers/{admin.id}/rollen",
                            query_string={"roles": ["admin", "coordinator"]})
    posted = admin_client.post(f"/beheer/gebruikers/{admin.id}/rollen",
                               data={"roles": ["admin", "coordinator"], "confirm": "yes"})

    assert page.status_code == posted.status_code == 409
    assert "U kunt uw eigen rollen of gemeente niet wijzigen" in _text(posted)
    assert _roles(admin.id) == ["admin"]


@pytest.mark.parametrize(("path", "question"), [
    ("deactiveren", "Weet u zeker dat u {name} wilt deactiveren?"),
    ("tweestapsverificatie-uitzetten",
     "Weet u zeker dat u de tweestapsverificatie van {name} wilt uitzetten?"),
])
def test_buttons_ask_for_confirmation_and_do_nothing_without_it(admin_client, path, question):
    person = f.user(Role.COORDINATOR, name="Kim Jansen")
    db.session.commit()
    enable_two_factor(person)

    page = admin_client.get(f"/beheer/gebruikers/{person.id}/{path}")
    posted = admin_client.post(f"/beheer/gebruikers/{person.id}/{path}", data={})

    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert page.status_code == 200 and question.format(name="Kim Jansen") in _text(page)
    assert posted.status_code == 422 and "Bevestig de wijziging eerst." in _text(posted)
    assert person.is_enabled and person.totp_enabled


def test_deactivate_and_reactivate_after_confirmation(admin_client, app):
    person = f.user(Role.EXPERT)
    db.session.commit()

    deactivated = admin_client.post(f"/beheer/gebruikers/{person.id}/deactiveren",
                                    data={"confirm": "yes"})
    refused_login = password_login(app.test_client(), person).status_code
    question = admin_client.get(f"/beheer/gebruikers/{person.id}/activeren")
    reactivated = admin_client.post(f"/beheer/gebruikers/{person.id}/activeren",
                                    data={"confirm": "yes"})

    assert deactivated.status_code == reactivated.status_code == 302
    assert refused_login == 401
    assert "Weet u zeker dat" in _text(question)
    assert password_login(app.test_client(), person).status_code == 302
    assert [e.actor_id for e in _events("user.deactivate") + _events("user.reactivate")] == \
        [admin_client.admin.id] * 2


def test_reset_two_factor_after_confirmation_ends_the_users_sessions(admin_client, app):
    person = f.user(Role.COORDINATOR)
    db.session.commit()
    enable_two_factor(person)

    response = admin_client.post(f"/beheer/gebruikers/{person.id}/tweestapsverificatie-uitzetten",
                                 data={"confirm": "yes"})

    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert response.status_code == 302 and not person.totp_enabled
    [event] = _events("user.two_factor_reset")
    assert (event.actor_id, event.object_id) == (admin_client.admin.id, person.id)
    assert _events("user.sessions_end")[-1].details == {"reason": "two_factor_reset"}


def test_admin_cannot_deactivate_themself_on_the_page(admin_client):
    admin = admin_client.admin

    response = admin_client.post(f"/beheer/gebruikers/{admin.id}/deactiveren",
                                 data={"confirm": "yes"})

    db.session.expire_all()
    assert response.status_code == 302 and db.session.get(User, admin.id).is_enabled
    page = admin_client.get(response.headers["Location"])
    assert "U kunt uw eigen account niet deactiveren." in _text(page)


def test_new_invitation_only_for_a_user_without_password(admin_client):
    invited = services.create(actor=None, email="later@example.org", name="Lotte Later",
                              password=None, roles=[Role.EXPERT])
    active = f.user(Role.EXPERT)
    db.session.commit()

    admin_client.post(f"/beheer/gebruikers/{invited.id}/uitnodigen")
    admin_client.post(f"/beheer/gebruikers/{active.id}/uitnodigen")

    assert len(link_tokens(invited.email)) == 1
    assert link_tokens(active.email) == []
