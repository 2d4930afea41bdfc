"""Locality labels come from the address alone, with no DNS lookup."""

from __future__ import annotations

import socket

import pytest

from sovtui.net import Locality, locality_of


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:11434", Locality.THIS_MACHINE),
        ("http://localhost:11434", Locality.THIS_MACHINE),
        ("http://[::1]:11434", Locality.THIS_MACHINE),
        ("0.0.0.0:11434", Locality.THIS_MACHINE),
        ("http://192.168.1.20:11434", Locality.PRIVATE_NETWORK),
        ("http://10.0.0.5", Locality.PRIVATE_NETWORK),
        ("http://172.16.3.4:11434", Locality.PRIVATE_NETWORK),
        ("http://100.101.102.103:11434", Locality.PRIVATE_NETWORK),
        ("http://[fd00::1]:11434", Locality.PRIVATE_NETWORK),
        ("http://gpu-box:11434", Locality.PRIVATE_NETWORK),
        ("http://nas.local:11434", Locality.PRIVATE_NETWORK),
        ("http://ollama.home.arpa", Locality.PRIVATE_NETWORK),
        ("https://api.example.com", Locality.PUBLIC_INTERNET),
        ("http://8.8.8.8:11434", Locality.PUBLIC_INTERNET),
        ("https://203.0.113.9", Locality.PUBLIC_INTERNET),
        ("wss://relay.example.org", Locality.PUBLIC_INTERNET),
    ],
)
def test_locality(url: str, expected: Locality) -> None:
    assert locality_of(url) is expected


def test_no_name_is_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("locality_of looked a name up")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)
    assert locality_of("https://api.example.com") is Locality.PUBLIC_INTERNET
