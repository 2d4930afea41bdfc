"""Locality labels come from the address alone, with no DNS lookup."""

from __future__ import annotations

import socket

import pytest

from sovtui.net import Locality, locality_of
from tests.examples import examples


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


# --- numeric forms of IPv4 addresses (issue 14, finding 8) ---------------------
#
# The resolver (glibc's inet_aton, behind getaddrinfo, which tornado and httpx
# reach for any host that is not a dotted quad) reads "134744072", "0x08080808",
# "0x8.0x8.0x8.0x8", "010.010.010.010" and "8.8.2056" all as 8.8.8.8. The label
# must come from the address they really reach.


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://134744072", Locality.PUBLIC_INTERNET),
        ("http://134744072:11434", Locality.PUBLIC_INTERNET),
        ("http://0x08080808", Locality.PUBLIC_INTERNET),
        ("http://0X08080808", Locality.PUBLIC_INTERNET),
        ("http://0x8.0x8.0x8.0x8", Locality.PUBLIC_INTERNET),
        ("http://010.010.010.010", Locality.PUBLIC_INTERNET),
        ("http://8.8.2056", Locality.PUBLIC_INTERNET),
        ("http://8.526344", Locality.PUBLIC_INTERNET),
        ("http://[::ffff:8.8.8.8]", Locality.PUBLIC_INTERNET),
        ("http://[::ffff:808:808]", Locality.PUBLIC_INTERNET),
        ("http://2130706433:11434", Locality.THIS_MACHINE),  # 127.0.0.1
        ("http://0x7f000001", Locality.THIS_MACHINE),
        ("http://0x7f.1", Locality.THIS_MACHINE),
        ("http://0", Locality.THIS_MACHINE),  # 0.0.0.0
        ("http://[::ffff:127.0.0.1]", Locality.THIS_MACHINE),
        ("http://3232235796", Locality.PRIVATE_NETWORK),  # 192.168.1.20
        ("http://0xc0a80114", Locality.PRIVATE_NETWORK),
        ("http://192.168.276", Locality.PRIVATE_NETWORK),  # 192.168.1.20
        ("http://10.1", Locality.PRIVATE_NETWORK),  # 10.0.0.1
        ("http://[::ffff:10.0.0.1]", Locality.PRIVATE_NETWORK),
        # Read as octal by the resolver, as decimal by others: ambiguous, so public.
        ("http://012.0.0.1", Locality.PUBLIC_INTERNET),
        ("http://0177.0.0.1", Locality.PUBLIC_INTERNET),
        # Numbers the resolver refuses go to DNS: nobody's LAN name, so public.
        ("http://08", Locality.PUBLIC_INTERNET),
        ("http://4294967296", Locality.PUBLIC_INTERNET),
        ("http://0x", Locality.PUBLIC_INTERNET),
        ("http://10.0.0.1.", Locality.PUBLIC_INTERNET),
        ("http://%31%30", Locality.PUBLIC_INTERNET),
        ("http://[::1", Locality.PUBLIC_INTERNET),  # not a URL at all: the cautious answer
    ],
)
def test_numeric_forms_are_labelled_by_the_address_they_reach(url: str, expected: Locality) -> None:
    assert locality_of(url) is expected


def _forms(value: int, draw) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """Textual forms of ``value`` the resolver accepts, each with "uses octal"."""
    from hypothesis import strategies as st

    octets = list(value.to_bytes(4, "big"))
    splits = {
        1: [value],
        2: [octets[0], value & 0xFFFFFF],
        3: [octets[0], octets[1], value & 0xFFFF],
        4: octets,
    }
    forms = []
    for parts in splits.values():
        octal = False
        written = []
        for part in parts:
            style = draw(st.sampled_from(["dec", "hex", "HEX", "oct", "zhex"]))
            if style == "dec":
                written.append(str(part))
            elif style == "hex":
                written.append(hex(part))
            elif style == "HEX":
                written.append("0X" + format(part, "X"))
            elif style == "zhex":
                written.append("0x" + "0" * draw(st.integers(1, 6)) + format(part, "x"))
            else:
                written.append("0" + format(part, "o"))
                octal = octal or part >= 8
        forms.append((".".join(written), octal))
    return forms


def _decimal_reading(form: str) -> int | None:
    """The address when leading zeros are ignored (how some parsers read 010)."""
    numbers = [int(p, 16) if p.lower().startswith("0x") else int(p, 10) for p in form.split(".")]
    limits = {1: 1 << 32, 2: 1 << 24, 3: 1 << 16, 4: 1 << 8}
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= limits[len(numbers)]:
        return None
    shifts = {1: [0], 2: [24, 0], 3: [24, 16, 0], 4: [24, 16, 8, 0]}[len(numbers)]
    return sum(n << s for n, s in zip(numbers, shifts))


def test_every_numeric_form_has_the_locality_of_its_dotted_quad() -> None:
    import ipaddress

    from hypothesis import given, settings
    from hypothesis import strategies as st

    interesting = st.sampled_from(
        [
            "8.8.8.8", "127.0.0.1", "10.0.0.1", "10.255.255.255", "11.0.0.0", "172.16.0.1", "172.32.0.1",
            "192.168.1.20", "192.169.0.1", "100.64.0.1", "100.128.0.1", "169.254.1.1", "0.0.0.0", "1.1.1.1",
        ]
    ).map(lambda s: int(ipaddress.IPv4Address(s)))

    @settings(max_examples=examples(2000), deadline=None)
    @given(value=st.one_of(st.integers(0, 2**32 - 1), interesting), data=st.data())
    def check(value: int, data) -> None:  # type: ignore[no-untyped-def]
        dotted = str(ipaddress.IPv4Address(value))
        expected = locality_of(f"http://{dotted}")
        for form, octal in _forms(value, data.draw):
            # The form is one the resolver reads as this very address.
            assert socket.inet_aton(form) == ipaddress.IPv4Address(value).packed, form
            got = locality_of(f"http://{form}:11434")
            other = _decimal_reading(form) if octal else None
            if other is not None and other != value and locality_of(f"http://{ipaddress.IPv4Address(other)}") is not expected:
                assert got is Locality.PUBLIC_INTERNET, form  # ambiguous: the safe side
            else:
                assert got is expected, form
            assert locality_of(f"http://[::ffff:{dotted}]") is expected

    check()


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="compares with glibc's inet_aton")
def test_numbers_are_read_as_the_resolver_reads_them() -> None:
    """sovtui's reading of a numeric host equals the C library's, on anything made of digits, x and dots."""
    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    from sovtui.net import inet_aton

    @settings(max_examples=examples(3000), deadline=None)
    @given(st.text(alphabet="0123456789abcdefxX.", min_size=1, max_size=24))
    @example("0x")
    @example("1..2")
    @example("4294967295")
    @example("4294967296")
    @example("0x100000000")
    @example("1.16777215")
    @example("1.16777216")
    @example("08")
    def check(host: str) -> None:
        try:
            expected: int | None = int.from_bytes(socket.inet_aton(host), "big")
        except OSError:
            expected = None
        assert inet_aton(host) == expected

    check()
