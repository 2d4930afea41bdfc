"""The egress guard itself: a stray connection or lookup is caught."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.egress import EgressBlocked, allow_endpoint, egress_env, take_child_violations, take_violations


def test_connection_to_an_unconfigured_address_is_blocked() -> None:
    with pytest.raises(EgressBlocked):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    assert take_violations() == ["connection to 203.0.113.7:443, which the test did not configure"]


def test_unregistered_loopback_port_is_blocked_too() -> None:
    with pytest.raises(EgressBlocked):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert len(take_violations()) == 1


def test_dns_lookup_of_an_unconfigured_name_is_blocked() -> None:
    with pytest.raises(EgressBlocked):
        socket.getaddrinfo("telemetry.example.com", 443)
    assert take_violations() == ["name lookup of 'telemetry.example.com', a host the test did not configure"]


async def test_asyncio_connections_are_seen() -> None:
    import asyncio

    with pytest.raises(EgressBlocked):
        await asyncio.open_connection("198.51.100.1", 80)
    assert len(take_violations()) == 1


def test_a_registered_loopback_endpoint_is_allowed() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    allow_endpoint("127.0.0.1", port)
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    server.close()
    assert take_violations() == []


def test_only_loopback_can_be_allowed() -> None:
    with pytest.raises(ValueError):
        allow_endpoint("192.168.1.10", 11434)


def test_a_subprocess_is_under_the_guard_too() -> None:
    code = "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept PermissionError:\n    pass\n"
    import os

    env = dict(os.environ)
    env.update(egress_env())
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=30)
    violations = take_child_violations()
    assert len(violations) == 1 and "192.0.2.1:80" in violations[0]


async def test_the_openai_sdk_is_under_the_guard() -> None:
    """A cloud API host (the openai SDK, its own httpx client) is caught like any other connection."""
    from sovtui.inference.engine import open_backend
    from sovtui.inference.errors import BackendError
    from sovtui.inference.hosts import HostTarget

    async with open_backend(HostTarget("cloud", "https://203.0.113.8/v1", "openai"), api_key="sk-x") as backend:
        with pytest.raises((EgressBlocked, BackendError)):
            await backend.list_models()
    assert take_violations() == ["connection to 203.0.113.8:443, which the test did not configure"]
