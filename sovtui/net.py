"""Where a prompt goes: the locality of a host, from its address alone.

The label is computed without any DNS lookup, so naming a host never sends a
query anywhere. IP literals are classified by range; ``localhost`` is this
machine; single-label names and names under the LAN suffixes (.local, .lan,
.home.arpa, .internal) are the private network; any other name is treated as
the public internet, the cautious answer.
"""

from __future__ import annotations

import enum
import ipaddress
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


def host_of(url: str) -> str:
    """The host part of a URL or ``host[:port]``, without brackets."""
    if "://" not in url:
        url = "http://" + url
    return (urlsplit(url).hostname or "").lower()


def locality_of(url: str) -> Locality:
    """Classify the host in ``url`` (a URL, host or host:port)."""
    host = host_of(url)
    if host in ("localhost", "localhost.localdomain", "ip6-localhost") or host.endswith(
        ".localhost"
    ):
        return Locality.THIS_MACHINE
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host and ("." not in host or host.endswith(_LAN_SUFFIXES)):
            return Locality.PRIVATE_NETWORK
        return Locality.PUBLIC_INTERNET
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_unspecified:
        return Locality.THIS_MACHINE
    if any(address in network for network in _PRIVATE if network.version == address.version):
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
