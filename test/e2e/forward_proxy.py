"""A real forwarding proxy (``proxy.py``) on loopback that counts the connections it opens, and the sandbox served
over TLS under a host name only that proxy can resolve: a client reaches the sandbox through the proxy or not at
all (tests of ``backpack_proxy_url`` / ``HTTPS_PROXY``)."""
import contextlib
import multiprocessing
import ssl
from collections import Counter
from typing import Iterator, List, Optional, Tuple

import proxy
import trustme
from aiohttp import web
from proxy.http.parser import HttpParser
from proxy.http.proxy import HttpProxyBasePlugin

#: Resolved by the proxy only (``.test`` is reserved and never resolves elsewhere).
SANDBOX_HOST = "sandbox.backpack.test"

_CONNECTIONS: "multiprocessing.SimpleQueue[Tuple[str, str, int]]" = multiprocessing.get_context("fork").SimpleQueue()


class _CountingResolver(HttpProxyBasePlugin):
    """Runs in the proxy's worker processes: reports every upstream connection, maps ``SANDBOX_HOST`` to 127.0.0.1."""

    def resolve_dns(self, host: str, port: int):
        return ("127.0.0.1" if host == SANDBOX_HOST else host), None

    def before_upstream_connection(self, request: HttpParser) -> Optional[HttpParser]:
        method = (request.method or b"").decode()
        _CONNECTIONS.put((method, (request.host or b"").decode(), int(request.port or 0)))
        return request

    def handle_client_request(self, request: HttpParser) -> Optional[HttpParser]:
        return request

    def handle_upstream_chunk(self, chunk):
        return chunk

    def on_upstream_connection_close(self) -> None:
        pass


class ForwardProxy:
    """``url`` (credentials included when ``basic_auth`` is ``"user:password"``); ``connections()``: the upstream
    connections opened so far, as ``Counter({(method, host, port): n})``."""

    def __init__(self, port: int, basic_auth: Optional[str]) -> None:
        self.port = port
        credentials = f"{basic_auth}@" if basic_auth else ""
        self.url = f"http://{credentials}127.0.0.1:{port}"
        self._seen: List[Tuple[str, str, int]] = []

    def connections(self) -> Counter:
        while not _CONNECTIONS.empty():
            self._seen.append(_CONNECTIONS.get())
        return Counter(self._seen)


@contextlib.contextmanager
def forward_proxy(basic_auth: Optional[str] = None) -> Iterator[ForwardProxy]:
    """``proxy.py`` on 127.0.0.1 (a free port), one acceptor, optional basic authentication."""
    while not _CONNECTIONS.empty():
        _CONNECTIONS.get()
    args = ["--hostname", "127.0.0.1", "--port", "0", "--num-acceptors", "1", "--num-workers", "1",
            "--log-level", "WARNING"]
    if basic_auth:
        args += ["--basic-auth", basic_auth]
    with proxy.Proxy(args, plugins=[_CountingResolver]) as running:
        yield ForwardProxy(running.flags.port, basic_auth)


async def serve_over_tls(server, ca: trustme.CA) -> str:
    """Serve the started sandbox ``server`` also over TLS (a certificate of ``ca`` for ``SANDBOX_HOST``) on a free
    port; :returns: its base URL ``https://SANDBOX_HOST:<port>``. The site stops with the server."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(SANDBOX_HOST).configure_cert(context)
    site = web.TCPSite(server._runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return f"https://{SANDBOX_HOST}:{port}"


def trust(ca: trustme.CA, monkeypatch) -> None:
    """Make aiohttp's default verified TLS context (this process, this test) trust ``ca``."""
    import aiohttp.connector
    context = ssl.create_default_context()
    ca.configure_trust(context)
    monkeypatch.setattr(aiohttp.connector, "_SSL_CONTEXT_VERIFIED", context)
