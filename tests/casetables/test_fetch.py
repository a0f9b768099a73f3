"""Fetching a user-given calendar URL: resolved once, connected to the checked address, every
redirect hop checked, a hop limit, and a clear refusal for an address that is no URL.

The resolver is replaced to play DNS: "calendar.example" first answers a public address and
then, as a rebinding attacker's server would, a private one. Connections are watched (and all
go to a local test server), so the tests see which address the fetch really connected to.
"""

from __future__ import annotations

import socket

import pytest

from duidingspool.casetables import services
from duidingspool.errors import ValidationFailed
from tests.casetables.helpers import calendar, serving

PUBLIC = "93.184.216.34"
FEED = calendar("""UID:a@example.org
DTSTAMP:20261201T000000Z
DTSTART:20270316T090000Z
DTEND:20270316T110000Z""")


class Dns:
    """A resolver with scripted answers per host; counts the lookups."""

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = answers
        self.lookups: list[str] = []
        self.real = socket.getaddrinfo

    def getaddrinfo(self, host, port, *args, **kwargs):
        if not str(host).endswith(".example"):  # the test's own servers
            return self.real(host, port, *args, **kwargs)
        self.lookups.append(host)
        script = self.answers[host]
        address = script.pop(0) if len(script) > 1 else script[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port or 80))]


@pytest.fixture
def network(monkeypatch, app):
    """(dns, connected): scripted DNS, and the addresses connections were opened to; every
    connection reaches the local test server of the test."""
    app.config["ICS_FETCH_ALLOW_PRIVATE"] = False
    dns = Dns({})
    connected: list[str] = []
    real_create_connection = socket.create_connection
    server = {}

    def create_connection(address, timeout=None, *args, **kwargs):
        connected.append(address[0])
        return real_create_connection(("127.0.0.1", server["port"]), timeout)

    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return dns, connected, server


def test_connects_to_the_address_that_was_checked_not_a_second_answer(network):
    dns, connected, server = network
    dns.answers["calendar.example"] = [PUBLIC, "127.0.0.1"]
    with serving({"/feed.ics": (200, FEED)}) as base:
        server["port"] = int(base.rsplit(":", 1)[1])

        body = services.fetch_ics(f"http://calendar.example:{server['port']}/feed.ics")

    assert body == FEED
    assert connected == [PUBLIC]
    assert dns.lookups == ["calendar.example"]


def test_a_host_answering_a_private_address_is_refused_without_connecting(network):
    dns, connected, server = network
    dns.answers["calendar.example"] = ["10.0.0.7"]
    server["port"] = 9

    with pytest.raises(ValidationFailed) as caught:
        services.fetch_ics("http://calendar.example/feed.ics")

    assert caught.value.fields == {"url": ["calendar.example is not a public address"]}
    assert connected == []


def test_redirect_to_an_internal_host_is_refused(network):
    dns, connected, server = network
    dns.answers["calendar.example"] = [PUBLIC]
    dns.answers["internal.example"] = ["10.0.0.5"]
    with serving({"/secret": (200, b"internal data")}) as base:
        port = server["port"] = int(base.rsplit(":", 1)[1])
        with _redirecting(f"http://internal.example:{port}/secret") as redirect_port:
            server["port"] = redirect_port
            with pytest.raises(ValidationFailed) as caught:
                services.fetch_ics(f"http://calendar.example:{redirect_port}/feed.ics")

    assert caught.value.fields == {"url": ["internal.example is not a public address"]}
    assert connected == [PUBLIC]


def test_redirects_are_followed_a_few_hops_only(network):
    dns, connected, server = network
    dns.answers["calendar.example"] = [PUBLIC]
    with _redirecting("/feed.ics") as port:  # to itself, for ever
        server["port"] = port
        with pytest.raises(ValidationFailed) as caught:
            services.fetch_ics(f"http://calendar.example:{port}/feed.ics")

    assert caught.value.fields == {"url": ["it redirects more than 5 times"]}
    assert connected == [PUBLIC] * 6


@pytest.mark.parametrize("url", ["http://calendar.example:abc@other.example/x.ics",
                                 "http://user:secret@calendar.example/x.ics",
                                 "http://calendar.example:99999/x.ics"])
def test_an_address_that_is_no_usable_url_is_a_validation_error(network, url):
    dns, connected, server = network
    dns.answers.update({"calendar.example": [PUBLIC], "other.example": [PUBLIC]})
    server["port"] = 9

    with pytest.raises(ValidationFailed) as caught:
        services.fetch_ics(url)

    assert list(caught.value.fields) == ["url"]
    assert connected == []


def test_import_by_api_with_host_port_at_other_answers_422(network, as_user):
    from duidingspool.accounts.models import Role
    from tests import factories as f
    from tests.casetables.helpers import ics_table

    dns, connected, server = network
    dns.answers.update({"calendar.example": [PUBLIC], "other.example": [PUBLIC]})
    table = ics_table()
    client = as_user(f.user(Role.ADMIN))

    response = client.post(f"/api/v1/case-tables/{table.id}/sessions/import",
                           json={"url": "http://calendar.example:abc@other.example/x.ics"})

    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["url"]


def _redirecting(location: str):
    """A local server answering every GET with 302 to `location`; yields its port."""
    import http.server
    import threading
    from contextlib import contextmanager

    @contextmanager
    def run():
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    return run()
