"""Access control, proven from the app's own URL map.

Every route (method and rule) is called as an anonymous visitor and as each role, with ids of
objects that exist and lie in that role's scope (tests/security/helpers.py), and must answer
what TABLE says. A route without an entry fails `test_every_route_has_an_entry_in_the_table`,
naming it: whoever adds a route must decide here who may use it.

Reading a row: anonymous visitors are sent to the login page (302) or, on the API, get 401;
a role the route does not allow gets 403; an allowed role gets the page (200), a redirect
after doing the work (302), 422 for the empty form the test sends, 404 for an object that
is not theirs, or 409 when the state does not allow it.

To print the table the app answers today (to review a change, never to paste blindly):
`ACCESS_TABLE_PRINT=1 .venv/bin/pytest -q -s tests/security/test_access_table.py -k print`.
"""

from __future__ import annotations



from duidingspool.extensions import db
from tests.conftest import _empty_all_tables  # the fixture's own clean-up, between routes
from tests.security.helpers import ROLES, AccessWorld

A, R, C, E, D = ROLES  # anonymous, requester, coordinator, expert, admin (D: beheer)

TABLE: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/"): {A: 302, R: 302, C: 302, E: 200, D: 302},
    ("GET", "/aanbiedingen"): {A: 302, R: 403, C: 403, E: 200, D: 403},
    ("POST", "/aanbiedingen/<int:offer_id>/accepteren"): {A: 302, R: 404, C: 404, E: 302, D: 404},
    ("POST", "/aanbiedingen/<int:offer_id>/afwijzen"): {A: 302, R: 404, C: 404, E: 302, D: 404},
    ("GET", "/aanbiedingen/<int:offer_id>/intrekken"): {A: 302, R: 404, C: 200, E: 404, D: 404},
    ("POST", "/aanbiedingen/<int:offer_id>/intrekken"): {A: 302, R: 404, C: 422, E: 404, D: 404},
    ("POST", "/account/password"): {A: 302, R: 422, C: 422, E: 422, D: 422},
    ("GET", "/account/security"): {A: 302, R: 200, C: 200, E: 200, D: 200},
    ("POST", "/account/two-factor/disable"): {A: 302, R: 422, C: 422, E: 422, D: 422},
    ("POST", "/account/two-factor/recovery-codes"): {A: 302, R: 422, C: 422, E: 422, D: 422},
    ("GET", "/account/two-factor/setup"): {A: 302, R: 200, C: 200, E: 200, D: 200},
    ("POST", "/account/two-factor/setup"): {A: 302, R: 422, C: 422, E: 422, D: 422},
    ("GET", "/rooster"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("POST", "/rooster/patroon"): {A: 302, R: 403, C: 422, E: 403, D: 403},
    ("POST", "/rooster/wijzigingen"): {A: 302, R: 403, C: 422, E: 403, D: 403},
    # Without confirm=yes the POST shows the confirmation again (nothing removed).
    ("GET", "/rooster/wijzigingen/<int:override_id>/verwijderen"): {A: 302, R: 404, C: 200, E: 404, D: 404},
    ("POST", "/rooster/wijzigingen/<int:override_id>/verwijderen"): {A: 302, R: 404, C: 200, E: 404, D: 404},
    ("GET", "/api/v1/rota"): {A: 401, R: 403, C: 200, E: 200, D: 403},
    ("GET", "/api/v1/bookings"): {A: 401, R: 200, C: 200, E: 200, D: 403},
    ("GET", "/api/v1/bookings/<int:booking_id>"): {A: 401, R: 200, C: 200, E: 200, D: 404},
    ("POST", "/api/v1/bookings/<int:booking_id>/cancel"): {A: 401, R: 422, C: 422, E: 404, D: 404},
    ("GET", "/api/v1/bookings/<int:booking_id>/hours"): {A: 401, R: 404, C: 200, E: 200, D: 404},
    ("POST", "/api/v1/bookings/<int:booking_id>/hours"): {A: 401, R: 404, C: 404, E: 422, D: 404},
    ("GET", "/api/v1/budgets/<int:year>"): {A: 401, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/api/v1/case-tables"): {A: 401, R: 200, C: 200, E: 403, D: 200},
    ("GET", "/api/v1/case-tables/<int:case_table_id>/sessions"): {A: 401, R: 200, C: 200, E: 404, D: 200},
    ("POST", "/api/v1/case-tables/<int:case_table_id>/sessions/<int:sitting_id>/cancel"): {A: 401, R: 404, C: 422, E: 404, D: 422},
    ("POST", "/api/v1/case-tables/<int:case_table_id>/sessions/<int:sitting_id>/move"): {A: 401, R: 404, C: 422, E: 404, D: 422},
    ("POST", "/api/v1/case-tables/<int:case_table_id>/sessions/import"): {A: 401, R: 404, C: 422, E: 404, D: 422},
    ("GET", "/api/v1/experts"): {A: 401, R: 403, C: 200, E: 200, D: 403},
    ("GET", "/api/v1/experts/<int:expert_id>"): {A: 401, R: 404, C: 200, E: 200, D: 404},
    ("GET", "/api/v1/experts/<int:expert_id>/availability"): {A: 401, R: 404, C: 200, E: 200, D: 404},
    ("PUT", "/api/v1/experts/<int:expert_id>/availability"): {A: 401, R: 404, C: 404, E: 422, D: 404},
    ("POST", "/api/v1/experts/<int:expert_id>/availability/absences"): {A: 401, R: 404, C: 404, E: 422, D: 404},
    ("DELETE", "/api/v1/experts/<int:expert_id>/availability/absences/<int:absence_id>"): {A: 401, R: 404, C: 404, E: 204, D: 404},
    ("POST", "/api/v1/experts/<int:expert_id>/availability/windows"): {A: 401, R: 404, C: 404, E: 422, D: 404},
    ("DELETE", "/api/v1/experts/<int:expert_id>/availability/windows/<int:window_id>"): {A: 401, R: 404, C: 404, E: 204, D: 404},
    ("GET", "/api/v1/expertise-areas"): {A: 401, R: 200, C: 200, E: 200, D: 200},
    ("GET", "/api/v1/feeds"): {A: 401, R: 200, C: 200, E: 200, D: 200},
    ("POST", "/api/v1/feeds"): {A: 401, R: 422, C: 422, E: 422, D: 422},
    ("DELETE", "/api/v1/feeds/<int:feed_id>"): {A: 401, R: 404, C: 404, E: 204, D: 404},
    ("POST", "/api/v1/feeds/<int:feed_id>/rotate"): {A: 401, R: 404, C: 404, E: 201, D: 404},
    ("GET", "/api/v1/hours/<int:line_id>"): {A: 401, R: 404, C: 200, E: 200, D: 404},
    ("PUT", "/api/v1/hours/<int:line_id>"): {A: 401, R: 404, C: 404, E: 422, D: 404},
    ("DELETE", "/api/v1/hours/<int:line_id>"): {A: 401, R: 404, C: 404, E: 204, D: 404},
    ("POST", "/api/v1/hours/<int:line_id>/approve"): {A: 401, R: 404, C: 409, E: 404, D: 404},
    ("POST", "/api/v1/hours/<int:line_id>/reject"): {A: 401, R: 404, C: 422, E: 404, D: 404},
    ("POST", "/api/v1/hours/<int:line_id>/submit"): {A: 401, R: 404, C: 404, E: 200, D: 404},
    ("POST", "/api/v1/hours/decisions"): {A: 401, R: 403, C: 422, E: 403, D: 403},
    ("GET", "/api/v1/offers"): {A: 401, R: 403, C: 200, E: 200, D: 403},
    ("GET", "/api/v1/offers/<int:offer_id>"): {A: 401, R: 404, C: 200, E: 200, D: 404},
    ("POST", "/api/v1/offers/<int:offer_id>/accept"): {A: 401, R: 404, C: 404, E: 201, D: 404},
    ("POST", "/api/v1/offers/<int:offer_id>/decline"): {A: 401, R: 404, C: 404, E: 200, D: 404},
    ("POST", "/api/v1/offers/<int:offer_id>/withdraw"): {A: 401, R: 404, C: 200, E: 404, D: 404},
    ("GET", "/api/v1/openapi.json"): {A: 200, R: 200, C: 200, E: 200, D: 200},
    ("GET", "/api/v1/reports/<int:year>"): {A: 401, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/api/v1/requests"): {A: 401, R: 200, C: 200, E: 403, D: 403},
    ("POST", "/api/v1/requests"): {A: 401, R: 422, C: 403, E: 403, D: 403},
    ("GET", "/api/v1/requests/<int:request_id>"): {A: 401, R: 200, C: 200, E: 200, D: 404},
    ("POST", "/api/v1/requests/<int:request_id>/cancel"): {A: 401, R: 422, C: 422, E: 404, D: 404},
    ("POST", "/api/v1/requests/<int:request_id>/booking"): {A: 401, R: 404, C: 422, E: 404, D: 404},
    ("GET", "/api/v1/requests/<int:request_id>/candidates"): {A: 401, R: 404, C: 200, E: 404, D: 404},
    ("GET", "/api/v1/requests/<int:request_id>/offers"): {A: 401, R: 404, C: 200, E: 404, D: 404},
    ("POST", "/api/v1/requests/<int:request_id>/offers"): {A: 401, R: 404, C: 422, E: 404, D: 404},
    ("GET", "/api/v1/users"): {A: 401, R: 403, C: 403, E: 403, D: 200},
    ("POST", "/api/v1/users"): {A: 401, R: 403, C: 403, E: 403, D: 422},
    ("GET", "/api/v1/users/<int:user_id>"): {A: 401, R: 404, C: 404, E: 404, D: 200},
    ("POST", "/api/v1/users/<int:user_id>/deactivate"): {A: 401, R: 404, C: 404, E: 404, D: 200},
    ("POST", "/api/v1/users/<int:user_id>/invitation"): {A: 401, R: 404, C: 404, E: 404, D: 409},
    ("POST", "/api/v1/users/<int:user_id>/reactivate"): {A: 401, R: 404, C: 404, E: 404, D: 200},
    ("POST", "/api/v1/users/<int:user_id>/reset-two-factor"):
        {A: 401, R: 404, C: 404, E: 404, D: 409},
    ("PUT", "/api/v1/users/<int:user_id>/roles"): {A: 401, R: 404, C: 404, E: 404, D: 422},
    ("GET", "/beheer/"): {A: 302, R: 403, C: 200, E: 403, D: 200},
    ("GET", "/beheer/casustafels"): {A: 302, R: 403, C: 200, E: 403, D: 200},
    ("GET", "/beheer/casustafels/<int:case_table_id>"): {A: 302, R: 404, C: 200, E: 404, D: 200},
    ("GET", "/beheer/casustafels/<int:case_table_id>/bewerken"): {A: 302, R: 404, C: 404, E: 404, D: 200},
    ("POST", "/beheer/casustafels/<int:case_table_id>/bewerken"): {A: 302, R: 404, C: 404, E: 404, D: 422},
    ("POST", "/beheer/casustafels/<int:case_table_id>/ics"): {A: 302, R: 404, C: 422, E: 404, D: 422},
    ("POST", "/beheer/casustafels/<int:case_table_id>/ics/ophalen"): {A: 302, R: 404, C: 422, E: 404, D: 422},
    ("GET", "/beheer/casustafels/<int:case_table_id>/zittingen/<int:sitting_id>"): {A: 302, R: 404, C: 200, E: 404, D: 200},
    ("POST", "/beheer/casustafels/<int:case_table_id>/zittingen/<int:sitting_id>/annuleren"): {A: 302, R: 404, C: 422, E: 404, D: 422},
    ("POST", "/beheer/casustafels/<int:case_table_id>/zittingen/<int:sitting_id>/verplaatsen"): {A: 302, R: 404, C: 422, E: 404, D: 422},
    ("POST", "/beheer/casustafels/<int:case_table_id>/zittingen/genereren"): {A: 302, R: 404, C: 302, E: 404, D: 302},
    ("GET", "/beheer/casustafels/nieuw"): {A: 302, R: 403, C: 403, E: 403, D: 200},
    ("POST", "/beheer/casustafels/nieuw"): {A: 302, R: 403, C: 403, E: 403, D: 422},
    ("GET", "/beheer/expertisegebieden"): {A: 302, R: 403, C: 403, E: 403, D: 200},
    ("GET", "/beheer/expertisegebieden/<int:area_id>"): {A: 302, R: 404, C: 404, E: 404, D: 200},
    ("POST", "/beheer/expertisegebieden/<int:area_id>"): {A: 302, R: 404, C: 404, E: 404, D: 422},
    ("GET", "/beheer/expertisegebieden/<int:area_id>/actief"): {A: 302, R: 404, C: 404, E: 404, D: 200},
    ("POST", "/beheer/expertisegebieden/<int:area_id>/actief"): {A: 302, R: 404, C: 404, E: 404, D: 422},
    ("GET", "/beheer/expertisegebieden/nieuw"): {A: 302, R: 403, C: 403, E: 403, D: 200},
    ("POST", "/beheer/expertisegebieden/nieuw"): {A: 302, R: 403, C: 403, E: 403, D: 422},
    ("GET", "/beheer/gebruikers"): {A: 302, R: 403, C: 403, E: 403, D: 200},
    ("GET", "/beheer/gebruikers/<int:user_id>"): {A: 302, R: 404, C: 404, E: 404, D: 200},
    ("GET", "/beheer/gebruikers/<int:user_id>/activeren"): {A: 302, R: 404, C: 404, E: 404, D: 200},
    ("POST", "/beheer/gebruikers/<int:user_id>/activeren"):
        {A: 302, R: 404, C: 404, E: 404, D: 422},
    ("GET", "/beheer/gebruikers/<int:user_id>/deactiveren"):
        {A: 302, R: 404, C: 404, E: 404, D: 200},
    ("POST", "/beheer/gebruikers/<int:user_id>/deactiveren"):
        {A: 302, R: 404, C: 404, E: 404, D: 422},
    ("GET", "/beheer/gebruikers/<int:user_id>/rollen"): {A: 302, R: 404, C: 404, E: 404, D: 422},
    ("POST", "/beheer/gebruikers/<int:user_id>/rollen"): {A: 302, R: 404, C: 404, E: 404, D: 422},
    ("GET", "/beheer/gebruikers/<int:user_id>/tweestapsverificatie-uitzetten"):
        {A: 302, R: 404, C: 404, E: 404, D: 200},
    ("POST", "/beheer/gebruikers/<int:user_id>/tweestapsverificatie-uitzetten"):
        {A: 302, R: 404, C: 404, E: 404, D: 422},
    ("POST", "/beheer/gebruikers/<int:user_id>/uitnodigen"):
        {A: 302, R: 404, C: 404, E: 404, D: 302},
    ("GET", "/beheer/gebruikers/nieuw"): {A: 302, R: 403, C: 403, E: 403, D: 200},
    ("POST", "/beheer/gebruikers/nieuw"): {A: 302, R: 403, C: 403, E: 403, D: 422},
    ("GET", "/beheer/gemeenten"): {A: 302, R: 403, C: 403, E: 403, D: 200},
    ("GET", "/beheer/gemeenten/<int:municipality_id>"): {A: 302, R: 404, C: 404, E: 404, D: 200},
    ("POST", "/beheer/gemeenten/<int:municipality_id>"): {A: 302, R: 404, C: 404, E: 404, D: 422},
    ("GET", "/beheer/gemeenten/nieuw"): {A: 302, R: 403, C: 403, E: 403, D: 200},
    ("POST", "/beheer/gemeenten/nieuw"): {A: 302, R: 403, C: 403, E: 403, D: 422},
    ("GET", "/beschikbaarheid"): {A: 302, R: 403, C: 403, E: 200, D: 403},
    ("POST", "/beschikbaarheid/afwezigheden"): {A: 302, R: 403, C: 403, E: 422, D: 403},
    ("GET", "/beschikbaarheid/afwezigheden/<int:absence_id>/verwijderen"): {A: 302, R: 404, C: 404, E: 200, D: 404},
    ("POST", "/beschikbaarheid/afwezigheden/<int:absence_id>/verwijderen"): {A: 302, R: 404, C: 404, E: 422, D: 404},
    ("POST", "/beschikbaarheid/agenda"): {A: 302, R: 403, C: 403, E: 302, D: 403},
    ("POST", "/beschikbaarheid/agenda/vernieuwen"): {A: 302, R: 403, C: 403, E: 422, D: 403},
    ("POST", "/beschikbaarheid/vensters"): {A: 302, R: 403, C: 403, E: 422, D: 403},
    ("GET", "/beschikbaarheid/vensters/<int:window_id>/verwijderen"): {A: 302, R: 404, C: 404, E: 200, D: 404},
    ("POST", "/beschikbaarheid/vensters/<int:window_id>/verwijderen"): {A: 302, R: 404, C: 404, E: 422, D: 404},
    ("GET", "/boekingen"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/boekingen/<int:booking_id>/annuleren"): {A: 302, R: 200, C: 200, E: 404, D: 404},
    ("POST", "/boekingen/<int:booking_id>/annuleren"): {A: 302, R: 422, C: 422, E: 404, D: 404},
    ("GET", "/boekingen/<int:booking_id>/uren"): {A: 302, R: 404, C: 200, E: 200, D: 404},
    ("POST", "/boekingen/<int:booking_id>/uren"): {A: 302, R: 404, C: 404, E: 422, D: 404},
    ("POST", "/boekingen/<int:booking_id>/uren/indienen"): {A: 302, R: 404, C: 404, E: 302, D: 404},
    ("GET", "/boekingen/mijn"): {A: 302, R: 403, C: 403, E: 200, D: 403},
    ("GET", "/boekingen/<int:booking_id>/evaluatie"): {A: 302, R: 200, C: 404, E: 404, D: 404},
    ("POST", "/boekingen/<int:booking_id>/evaluatie"): {A: 302, R: 422, C: 404, E: 404, D: 404},
    ("GET", "/boekingen/<int:booking_id>/klacht"): {A: 302, R: 200, C: 404, E: 404, D: 404},
    ("POST", "/boekingen/<int:booking_id>/klacht"): {A: 302, R: 422, C: 404, E: 404, D: 404},
    ("GET", "/boekingen/<int:booking_id>/procesnotitie"): {A: 302, R: 404, C: 404, E: 200, D: 404},
    ("POST", "/boekingen/<int:booking_id>/procesnotitie"): {A: 302, R: 404, C: 404, E: 302, D: 404},
    ("GET", "/klachten"): {A: 302, R: 200, C: 200, E: 200, D: 403},
    ("GET", "/klachten/<int:complaint_id>"): {A: 302, R: 200, C: 200, E: 200, D: 404},
    ("POST", "/klachten/<int:complaint_id>/antwoord"): {A: 302, R: 404, C: 404, E: 422, D: 404},
    ("POST", "/klachten/<int:complaint_id>/besluit"): {A: 302, R: 404, C: 422, E: 404, D: 404},
    ("GET", "/resultaten"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/terugkoppeling"): {A: 302, R: 200, C: 403, E: 403, D: 403},
    ("GET", "/budget"): {A: 302, R: 403, C: 302, E: 403, D: 403},
    ("GET", "/budget/<int:year>"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("POST", "/budget/<int:year>"): {A: 302, R: 403, C: 422, E: 403, D: 403},
    ("GET", "/calendar/<token>.ics"): {A: 200, R: 200, C: 200, E: 200, D: 200},
    ("GET", "/dashboard"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/deskundigen"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/deskundigen/<int:expert_id>"): {A: 302, R: 404, C: 200, E: 404, D: 404},
    ("GET", "/deskundigen/<int:expert_id>/bewerken"): {A: 302, R: 404, C: 200, E: 404, D: 404},
    ("POST", "/deskundigen/<int:expert_id>/bewerken"): {A: 302, R: 404, C: 422, E: 404, D: 404},
    ("POST", "/deskundigen/<int:expert_id>/tarieven"): {A: 302, R: 404, C: 422, E: 404, D: 404},
    ("GET", "/deskundigen/<int:expert_id>/tarieven/<int:rate_id>/verwijderen"): {A: 302, R: 404, C: 200, E: 404, D: 404},
    ("POST", "/deskundigen/<int:expert_id>/tarieven/<int:rate_id>/verwijderen"): {A: 302, R: 404, C: 422, E: 404, D: 404},
    ("GET", "/deskundigen/nieuw"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("POST", "/deskundigen/nieuw"): {A: 302, R: 403, C: 422, E: 403, D: 403},
    ("POST", "/language"): {A: 302, R: 302, C: 302, E: 302, D: 302},
    ("GET", "/healthz"): {A: 200, R: 200, C: 200, E: 200, D: 200},
    ("GET", "/readyz"): {A: 200, R: 200, C: 200, E: 200, D: 200},
    ("GET", "/logboek/"): {A: 302, R: 403, C: 200, E: 403, D: 200},
    ("GET", "/logboek/export.csv"): {A: 302, R: 403, C: 200, E: 403, D: 200},
    ("GET", "/login"): {A: 200, R: 302, C: 302, E: 302, D: 302},
    ("POST", "/login"): {A: 401, R: 302, C: 302, E: 302, D: 302},
    ("GET", "/login/code"): {A: 302, R: 302, C: 302, E: 302, D: 302},
    ("POST", "/login/code"): {A: 302, R: 302, C: 302, E: 302, D: 302},
    ("POST", "/logout"): {A: 302, R: 302, C: 302, E: 302, D: 302},
    ("GET", "/mijn-uren"): {A: 302, R: 403, C: 403, E: 200, D: 403},
    ("GET", "/planning"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/postvak-uit/"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/postvak-uit/<int:message_id>"): {A: 302, R: 404, C: 200, E: 404, D: 404},
    ("GET", "/profiel"): {A: 302, R: 200, C: 200, E: 200, D: 200},
    ("POST", "/profiel/kalenders"): {A: 302, R: 422, C: 422, E: 422, D: 422},
    ("GET", "/profiel/kalenders/<int:feed_id>/intrekken"): {A: 302, R: 404, C: 404, E: 200, D: 404},
    ("POST", "/profiel/kalenders/<int:feed_id>/intrekken"): {A: 302, R: 404, C: 404, E: 422, D: 404},
    ("GET", "/rapportage/"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/rapportage/<int:year>"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/rapportage/<int:year>/<table>.csv"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("POST", "/uren/<int:line_id>/afwijzen"): {A: 302, R: 404, C: 422, E: 404, D: 404},
    ("GET", "/uren/<int:line_id>/verwijderen"): {A: 302, R: 404, C: 404, E: 200, D: 404},
    ("POST", "/uren/<int:line_id>/verwijderen"): {A: 302, R: 404, C: 404, E: 422, D: 404},
    ("POST", "/uren/<int:line_id>/wijzigen"): {A: 302, R: 404, C: 404, E: 422, D: 404},
    ("POST", "/uren/besluiten"): {A: 302, R: 403, C: 422, E: 403, D: 403},
    ("GET", "/uren/goedkeuren"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/verzoeken/"): {A: 302, R: 200, C: 403, E: 403, D: 403},
    ("GET", "/verzoeken/<int:referral_id>"): {A: 302, R: 200, C: 200, E: 200, D: 404},
    ("POST", "/verzoeken/<int:referral_id>/aanbiedingen"): {A: 302, R: 404, C: 422, E: 404, D: 404},
    ("GET", "/verzoeken/<int:referral_id>/annuleren"): {A: 302, R: 200, C: 200, E: 404, D: 404},
    ("POST", "/verzoeken/<int:referral_id>/annuleren"): {A: 302, R: 422, C: 422, E: 404, D: 404},
    ("GET", "/verzoeken/<int:referral_id>/boeken/<int:expert_id>"): {A: 302, R: 404, C: 200, E: 404, D: 404},
    ("POST", "/verzoeken/<int:referral_id>/boeken/<int:expert_id>"): {A: 302, R: 404, C: 302, E: 404, D: 404},
    ("GET", "/verzoeken/inbox"): {A: 302, R: 403, C: 200, E: 403, D: 403},
    ("GET", "/verzoeken/nieuw"): {A: 302, R: 200, C: 403, E: 403, D: 403},
    ("POST", "/verzoeken/nieuw"): {A: 302, R: 422, C: 403, E: 403, D: 403},
    ("GET", "/wachtwoord/instellen"): {A: 404, R: 404, C: 404, E: 404, D: 404},
    ("POST", "/wachtwoord/instellen"): {A: 404, R: 404, C: 404, E: 404, D: 404},
    ("GET", "/wachtwoord/instellen/<token>"): {A: 302, R: 302, C: 302, E: 302, D: 302},
    ("GET", "/wachtwoord/vergeten"): {A: 200, R: 200, C: 200, E: 200, D: 200},
    ("POST", "/wachtwoord/vergeten"): {A: 422, R: 422, C: 422, E: 422, D: 422},
    # Standing specialists (bookings.standing): the coordinator proposes, cancels and hands
    # dates to substitutes; the offered expert answers; the table's requesters read.
    ("GET", "/api/v1/case-tables/<int:case_table_id>/standing"): {A: 401, R: 200, C: 200, E: 404, D: 404},
    ("POST", "/api/v1/case-tables/<int:case_table_id>/standing"): {A: 401, R: 404, C: 422, E: 404, D: 404},
    ("GET", "/api/v1/standing/<int:series_id>"): {A: 401, R: 404, C: 200, E: 200, D: 404},
    ("POST", "/api/v1/standing/<int:series_id>/accept"): {A: 401, R: 404, C: 404, E: 200, D: 404},
    ("POST", "/api/v1/standing/<int:series_id>/decline"): {A: 401, R: 404, C: 404, E: 200, D: 404},
    ("POST", "/api/v1/standing/<int:series_id>/cancel"): {A: 401, R: 404, C: 422, E: 404, D: 404},
    ("POST", "/api/v1/standing/<int:series_id>/dates/<int:date_id>/substitute"): {A: 401, R: 404, C: 422, E: 404, D: 404},
    ("GET", "/casustafels/<int:case_table_id>/vaste-specialist"): {A: 302, R: 200, C: 200, E: 404, D: 404},
    ("POST", "/casustafels/<int:case_table_id>/vaste-specialist"): {A: 302, R: 403, C: 422, E: 404, D: 404},
    ("GET", "/vaste-specialist/<int:series_id>"): {A: 302, R: 404, C: 200, E: 200, D: 404},
    ("POST", "/vaste-specialist/<int:series_id>/accepteren"): {A: 302, R: 404, C: 404, E: 302, D: 404},
    ("POST", "/vaste-specialist/<int:series_id>/afwijzen"): {A: 302, R: 404, C: 404, E: 302, D: 404},
    ("GET", "/vaste-specialist/<int:series_id>/annuleren"): {A: 302, R: 404, C: 200, E: 404, D: 404},
    ("POST", "/vaste-specialist/<int:series_id>/annuleren"): {A: 302, R: 404, C: 422, E: 404, D: 404},
    ("GET", "/vaste-specialist/<int:series_id>/data/<int:date_id>/vervanger"): {A: 302, R: 404, C: 200, E: 404, D: 404},
    ("POST", "/vaste-specialist/<int:series_id>/data/<int:date_id>/vervanger"): {A: 302, R: 404, C: 422, E: 404, D: 404},
}


def _rules(app) -> dict[tuple[str, str], object]:
    return {(method, rule.rule): rule for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" for method in sorted(rule.methods - {"HEAD", "OPTIONS"})}


def _observe(app, login_as, world: AccessWorld, method: str, rule) -> dict[str, int]:
    args = world.url_args()
    missing = set(rule.arguments) - set(args)
    assert not missing, f"{method} {rule.rule}: no test value for URL argument(s) {missing}"
    url = rule.build({name: args[name] for name in rule.arguments}, append_unknown=False)[1]
    answers = {}
    for role in ROLES:
        client = login_as(None if role == A else world.users[role])
        if rule.rule.startswith("/api/") and method != "GET":
            response = client.open(url, method=method, json={})
        elif method != "GET":
            response = client.open(url, method=method, data={})
        else:
            response = client.open(url, method=method)
        answers[role] = response.status_code
    return answers


def test_every_route_has_an_entry_in_the_table(app):
    routes = set(_rules(app))

    missing = sorted(routes - set(TABLE))
    stale = sorted(set(TABLE) - routes)

    assert not missing, "routes without an entry in the access table: " + ", ".join(
        f"{method} {rule}" for method, rule in missing)
    assert not stale, "entries for routes that no longer exist: " + ", ".join(
        f"{method} {rule}" for method, rule in stale)


def _observe_all(app, login_as, keys) -> dict[tuple[str, str], dict[str, int]]:
    """The answers for each route, each in a fresh world (a route's POST may change it)."""
    rules = _rules(app)
    observed = {}
    for key in keys:
        world = AccessWorld()
        observed[key] = _observe(app, login_as, world, key[0], rules[key])
        db.session.remove()
        _empty_all_tables()
    return observed


def test_every_route_answers_each_role_as_the_table_says(app, login_as):
    keys = sorted(set(TABLE) & set(_rules(app)))

    observed = _observe_all(app, login_as, keys)

    wrong = {f"{method} {rule}": {"expected": TABLE[(method, rule)], "got": answers}
             for (method, rule), answers in observed.items() if answers != TABLE[(method, rule)]}
    assert wrong == {}
