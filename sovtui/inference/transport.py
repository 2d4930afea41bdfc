"""What every engine's HTTP traffic shares: the TLS context, and the errors of a connection.

The Ollama backend (over the ``ollama`` client) and the OpenAI-compatible one
(over the ``openai`` SDK) talk HTTP through httpx; whichever client carries
it, a refused connection, a timeout or a connection lost mid-reply means
the same to the person, and is worded once here (``transport_error``).
Each engine translates its own client's errors (Ollama's ``ResponseError``,
OpenAI's status errors) and hands the rest to this module.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import httpx

from sovtui.inference.errors import BackendError
from sovtui.text import safe_line


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def reason(exc: BaseException) -> str:
    chain = _chain(exc)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    text = " ".join(str(e) for e in chain).lower()
    if "refused" in text or "errno 111" in text or "failed to connect" in text:
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException) or "timed out" in text:
        return "timed out"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    return safe_line(str(exc)) or type(exc).__name__


#: What reading a host's answer raises when it is not what Ollama sends: no
#: JSON (ValueError), JSON of the wrong shape (pydantic's ValidationError is a
#: ValueError; ``.get`` on a list, ``json.loads`` of a dict: AttributeError,
#: TypeError), nesting deeper than the parser goes (RecursionError).
UNREADABLE = (ValueError, TypeError, AttributeError, KeyError, RecursionError, OverflowError)




@functools.cache
def shared_tls_context() -> Any:
    """One verifying TLS context for every client in the process.

    httpx builds a fresh one, loading the whole certificate store (20-30 ms),
    for each client, and a chat reply, a model list and a status check each
    open a client. Same verification, paid once.
    """
    return httpx.create_ssl_context()


def transport_error(exc: BaseException, *, server: str, unreachable: Callable[[BaseException], BackendError]) -> BackendError | None:
    """The error of a connection that failed, or None when ``exc`` is not about the connection.

    ``server`` names the host in the message ("Ollama at http://..."); a
    refused or unresolved connection is the engine's own ``unreachable``
    error, which says how to start or reach that kind of server.
    """
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionError)):
        return unreachable(exc)
    if isinstance(exc, httpx.TimeoutException):
        return BackendError(f"{server} did not answer in time ({reason(exc)})")
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return BackendError(f"the connection to {server} was lost ({safe_line(str(exc)) or 'closed'})")
    if isinstance(exc, httpx.HTTPError):
        return BackendError(f"talking to {server} failed: {safe_line(str(exc))}")
    return None
