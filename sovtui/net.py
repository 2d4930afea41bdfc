"""Where a prompt goes: the locality of a host, from its address alone.

The label is computed without any DNS lookup, so naming a host never sends a
query anywhere. IP literals are classified by range; ``localhost`` is this
machine; single-label names and names under the LAN suffixes (.local, .lan,
.home.arpa, .internal) are the private network; any other name is treated as
the public internet, the cautious answer.

A host written as a number is read the way the resolver reads it: glibc's
``inet_aton``, which ``getaddrinfo`` (and so tornado, and httpx for anything
but a plain dotted quad) applies before any DNS, takes ``134744072``,
``0x08080808``, ``0x8.0x8.0x8.0x8``, ``010.010.010.010`` and ``8.8.2056`` all
for 8.8.8.8. The label is that of the address really reached. Where readers
disagree (``012.0.0.1`` is 10.0.0.1 to the resolver and 12.0.0.1 to a reader
that ignores leading zeros) and the two readings have different labels, or
where a host looks like a number that the resolver refuses (so it goes to
DNS as a name), the label is "public internet": the side that asks first.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from urllib.parse import urlsplit


class Locality(enum.Enum):
    THIS_MACHINE = "this machine"
    PRIVATE_NETWORK = "private network"
    PUBLIC_INTERNET = "public internet"

    @property
    def label(self) -> str:
        return self.value

    @property
    def is_public(self) -> bool:
        return self is Locality.PUBLIC_INTERNET


_LAN_SUFFIXES = (".local", ".lan", ".home", ".home.arpa", ".internal", ".localdomain")

#: One part of a numeric IPv4 host as strtoul(base 0) reads it in inet_aton:
#: 0x... hex (at least one digit), 0... octal, else decimal.
_HEX_PART = re.compile(r"0[xX][0-9a-fA-F]+")
_OCT_PART = re.compile(r"0[0-7]*")
_DEC_PART = re.compile(r"[1-9][0-9]*")
_ANY_DIGITS = re.compile(r"[0-9]+")
#: WHATWG's "ends in a number": the last label is digits, or 0x and hex digits.
_NUMBER_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
#: A host-name label a LAN resolver can answer for (ASCII letters, digits, - and _).
_NAME_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")
#: How many bits the last part of an address written in 1, 2, 3 or 4 parts holds.
_LAST_PART_BITS = {1: 32, 2: 24, 3: 16, 4: 8}


def host_of(url: str) -> str:
    """The host part of a URL or ``host[:port]``, without brackets ("" if there is none)."""
    if "://" not in url:
        url = "http://" + url
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # "http://[::1": not a URL anyone can connect to
        return ""


def _join(numbers: list[int]) -> int | None:
    """The 32-bit address for parts as inet_aton combines them, or None if out of range."""
    if not 1 <= len(numbers) <= 4:
        return None
    *head, last = numbers
    if any(n > 0xFF for n in head) or last >= 1 << _LAST_PART_BITS[len(numbers)]:
        return None
    value = 0
    for index, number in enumerate(head):
        value |= number << (24 - 8 * index)
    return value | last


def inet_aton(host: str) -> int | None:
    """``host`` read as glibc's inet_aton (as getaddrinfo does) reads it; None if it is not an address.

    Parts are decimal, octal (a leading 0) or hex (0x); ``a`` is 32 bits,
    ``a.b`` 8.24, ``a.b.c`` 8.8.16, ``a.b.c.d`` 8.8.8.8. Unlike inet_aton,
    nothing may follow (getaddrinfo refuses trailing characters too).
    """
    numbers = []
    for part in host.split("."):
        if _HEX_PART.fullmatch(part):
            numbers.append(int(part[2:], 16))
        elif _OCT_PART.fullmatch(part):
            numbers.append(int(part, 8))
        elif _DEC_PART.fullmatch(part):
            numbers.append(int(part, 10))
        else:
            return None
    return _join(numbers)


def _decimal_reading(host: str) -> int | None:
    """``host`` read with leading zeros ignored (how some other parsers read 010), or None."""
    numbers = []
    for part in host.split("."):
        if _HEX_PART.fullmatch(part):
            numbers.append(int(part[2:], 16))
        elif _ANY_DIGITS.fullmatch(part):
            numbers.append(int(part, 10))
        else:
            return None
    return _join(numbers)


def _ends_in_a_number(host: str) -> bool:
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    return bool(_NUMBER_LABEL.fullmatch(labels[-1]))


def _classify(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Locality:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_unspecified:
        return Locality.THIS_MACHINE
    if any(address in network for network in _PRIVATE if network.version == address.version):
        return Locality.PRIVATE_NETWORK
    return Locality.PUBLIC_INTERNET


def locality_of(url: str) -> Locality:
    """Classify the host in ``url`` (a URL, host or host:port)."""
    host = host_of(url)
    if host in ("localhost", "localhost.localdomain", "ip6-localhost") or host.endswith(
        ".localhost"
    ):
        return Locality.THIS_MACHINE
    try:
        return _classify(ipaddress.ip_address(host))
    except ValueError:
        pass
    number = inet_aton(host)
    if number is not None:
        locality = _classify(ipaddress.IPv4Address(number))
        other = _decimal_reading(host)
        if other is not None and other != number and _classify(ipaddress.IPv4Address(other)) is not locality:
            return Locality.PUBLIC_INTERNET  # readers disagree: the cautious answer
        return locality
    if not host or _ends_in_a_number(host):
        # A number the resolver refuses goes to DNS as a name: nobody's LAN.
        return Locality.PUBLIC_INTERNET
    labels = host.split(".")
    if all(_NAME_LABEL.fullmatch(label) for label in labels) and (
        len(labels) == 1 or host.endswith(_LAN_SUFFIXES)
    ):
        return Locality.PRIVATE_NETWORK
    return Locality.PUBLIC_INTERNET


# The ranges a home network uses. (Python's ``is_private`` also counts
# documentation and reserved ranges, which are not anyone's LAN.)
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # Tailscale and carrier-grade NAT
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    )
)
