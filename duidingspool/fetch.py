"""One small helper for fetching a URL that a user gave (calendar addresses): `fetch`.

A user-given URL must not make the server probe its own network. So each hop's host is
resolved once, every address it resolves to is checked (no private, loopback, link-local,
multicast or reserved address), and the connection goes to exactly that checked address:
a second lookup by the HTTP library could answer differently (DNS rebinding). The Host
header and, over https, the certificate check and SNI still use the host name. Redirects
are followed here, a few hops at most, each hop checked the same way. The body is limited
in size, the whole fetch in time.

Nothing here touches the database or the request; FetchRefused carries a reason for people.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse

from flask_babel import lazy_gettext as _l

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


class FetchRefused(Exception):
    """The URL was not fetched; `reason` says why, for people."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


def _resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (one lookup)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise FetchRefused(_l("unknown host %(host)s", host=host)) from exc
    return list(dict.fromkeys(info[4][0].split("%")[0] for info in infos))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if getattr(ip, "ipv4_mapped", None) is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local
                                 or ip.is_loopback or ip.is_private)


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to exactly this address (tests replace this to watch it)."""
    return socket.create_connection((address, port), timeout=timeout)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address; the Host header keeps the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self):
        self.sock = _connect(self.pinned_address, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; certificate, SNI and Host header use the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float,
                 context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self.pinned_address = address
        self.tls_context = context

    def connect(self):
        sock = _connect(self.pinned_address, self.port, self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


def _target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL; FetchRefused if unusable."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:  # e.g. a port that is no number: "host:port@other"
        raise FetchRefused(_l("the address is not a valid URL")) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(_l("only http:// and https:// addresses can be fetched"))
    if "@" in parts.netloc:
        raise FetchRefused(_l("an address with a user name or password is not accepted"))
    host = parts.hostname
    if not host or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise FetchRefused(_l("the address is not a valid URL"))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def _read(response, *, max_bytes: int, deadline: float) -> bytes:
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise FetchRefused(_l("it took too long to answer"))
        chunk = response.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise FetchRefused(_l("the calendar is larger than %(n)d bytes", n=max_bytes))
        chunks.append(chunk)


def fetch(url: str, *, timeout: float, max_bytes: int, allow_private: bool = False,
          accept: str = "text/calendar", max_redirects: int = MAX_REDIRECTS) -> bytes:
    """The body at an http(s) URL; FetchRefused for an unusable or internal address, an
    answer other than 200, too many redirects, a body over `max_bytes` or a fetch (all hops)
    longer than `timeout` seconds."""
    deadline = time.monotonic() + timeout
    context = ssl.create_default_context()
    for _hop in range(max_redirects + 1):
        scheme, host, port, path = _target(url)
        addresses = _resolve(host, port)
        if not addresses:
            raise FetchRefused(_l("unknown host %(host)s", host=host))
        if not allow_private and not all(_is_public(a) for a in addresses):
            raise FetchRefused(_l("%(host)s is not a public address", host=host))
        remaining = max(0.1, deadline - time.monotonic())
        if scheme == "https":
            conn = _PinnedHTTPSConnection(host, port, address=addresses[0], timeout=remaining,
                                          context=context)
        else:
            conn = _PinnedHTTPConnection(host, port, address=addresses[0], timeout=remaining)
        try:
            conn.request("GET", path, headers={"Accept": accept, "User-Agent": "Duidingspool"})
            response = conn.getresponse()
            if response.status in REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise FetchRefused(_l("the server answered %(status)d",
                                          status=response.status))
                url = urllib.parse.urljoin(url, location.strip())
                continue
            if response.status != 200:
                raise FetchRefused(_l("the server answered %(status)d", status=response.status))
            return _read(response, max_bytes=max_bytes, deadline=deadline)
        except FetchRefused:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # OSError covers timeouts, refused connections and TLS failures.
            raise FetchRefused(_l("it could not be reached (%(reason)s)",
                                  reason=str(exc)[:200] or type(exc).__name__)) from exc
        finally:
            conn.close()
    raise FetchRefused(_l("it redirects more than %(n)d times", n=max_redirects))
