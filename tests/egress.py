"""The egress guard: every connection a test opens must be one it configured.

sovtui promises that a user's words, keys and money go only to hosts the user
configured. This pytest plugin makes that a property of the whole suite: an
audit hook (``sys.addaudithook``) sees every ``socket.connect``,
``socket.sendto`` and name lookup (``socket.getaddrinfo``,
``socket.gethostbyname``) made by the code under test. Anything but a loopback
endpoint that the test registered with ``allow_endpoint`` (its Ollama
emulator, its relay) is refused with ``EgressBlocked`` and fails the test, even
if the code under test swallowed the error.

Subprocesses are covered too: ``egress_env()`` gives the environment for a
child process (``run_cli`` in conftest uses it). It puts ``tests/egress_site``
on PYTHONPATH, whose ``sitecustomize`` installs the same hook in the child and
writes any violation to a log file that the parent checks after the test.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

SITE_DIR = Path(__file__).resolve().parent / "egress_site"
# Not SOVTUI_*: sovtui strips those from the children it starts (ollama serve),
# and the guard must follow into them.
ALLOW_VAR = "EGRESS_GUARD_ALLOW"
LOG_VAR = "EGRESS_GUARD_LOG"


class EgressBlocked(PermissionError):
    """A connection or lookup the test did not configure."""


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


class Guard:
    """What the current test may reach, and what it tried that it may not."""

    def __init__(self) -> None:
        self.active = False
        self.allowed_ports: set[int] = set()
        self.violations: list[str] = []

    def allows(self, host: str, port: int) -> bool:
        return _is_loopback(host) and port in self.allowed_ports

    def check(self, event: str, args: tuple) -> None:
        if not self.active:
            return
        problem = describe_violation(event, args, self.allows)
        if problem:
            self.violations.append(problem)
            raise EgressBlocked(f"egress guard: {problem}")


def describe_violation(event: str, args: tuple, allows) -> str | None:  # type: ignore[no-untyped-def]
    """The violation an audit event stands for, or None if it is allowed."""
    if event in ("socket.connect", "socket.sendto"):
        sock, address = args[0], args[1]
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
            return None
        host, port = str(address[0]), int(address[1])
        if allows(host, port):
            return None
        return f"connection to {host}:{port}, which the test did not configure"
    if event == "socket.getaddrinfo":
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        # An IP literal needs no DNS; its connect is checked on its own.
        if host is None or _is_loopback(str(host)) or _is_ip_literal(str(host)):
            return None
        return f"name lookup of {host!r}, a host the test did not configure"
    if event in ("socket.gethostbyname", "socket.gethostbyaddr"):
        host = str(args[0])
        if _is_loopback(host):
            return None
        return f"name lookup of {host!r}, a host the test did not configure"
    return None


GUARD = Guard()
sys.addaudithook(GUARD.check)


def allow_endpoint(host: str, port: int) -> None:
    """Let the current test reach ``host:port`` (loopback only)."""
    if not _is_loopback(host):
        raise ValueError(f"the egress guard only allows loopback endpoints, not {host!r}")
    GUARD.allowed_ports.add(int(port))


def take_violations() -> list[str]:
    """Return and clear the violations so far (for the guard's own tests)."""
    found, GUARD.violations[:] = list(GUARD.violations), []
    return found


_child_logs: list[Path] = []


def egress_env() -> dict[str, str]:
    """Environment variables that put a child Python process under the guard."""
    handle, name = tempfile.mkstemp(prefix="sovtui-egress-", suffix=".log")
    os.close(handle)
    _child_logs.append(Path(name))
    pythonpath = os.pathsep.join(p for p in (str(SITE_DIR), os.environ.get("PYTHONPATH", "")) if p)
    return {
        "PYTHONPATH": pythonpath,
        ALLOW_VAR: ",".join(str(port) for port in sorted(GUARD.allowed_ports)),
        LOG_VAR: name,
    }


def take_child_violations() -> list[str]:
    found: list[str] = []
    for log in _child_logs:
        try:
            found.extend(line for line in log.read_text().splitlines() if line)
        except FileNotFoundError:
            pass
        log.unlink(missing_ok=True)
    _child_logs.clear()
    return found


@pytest.fixture(autouse=True)
def egress_guard():  # type: ignore[no-untyped-def]
    GUARD.allowed_ports.clear()
    GUARD.violations.clear()
    GUARD.active = True
    try:
        yield GUARD
    finally:
        GUARD.active = False
    violations = GUARD.violations + take_child_violations()
    GUARD.violations.clear()
    if violations:
        pytest.fail("sovtui reached beyond what the test configured:\n" + "\n".join(violations), pytrace=False)
