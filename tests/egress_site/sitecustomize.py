"""Puts a child Python process under the test suite's egress guard.

Only active when the tests set EGRESS_GUARD_ALLOW (see tests/egress.py);
sovtui itself contains no such switch.
"""

import os

if "EGRESS_GUARD_ALLOW" in os.environ:
    import ipaddress
    import socket
    import sys

    _ports = {int(p) for p in os.environ["EGRESS_GUARD_ALLOW"].split(",") if p}
    _log = os.environ.get("EGRESS_GUARD_LOG")

    def _loopback(host):
        if host in ("localhost", "ip6-localhost"):
            return True
        try:
            address = ipaddress.ip_address(str(host).split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return address.is_loopback

    def _literal(host):
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True

    def _problem(event, args):
        if event in ("socket.connect", "socket.sendto"):
            sock, address = args[0], args[1]
            if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
                return None
            host, port = str(address[0]), int(address[1])
            if _loopback(host) and port in _ports:
                return None
            return f"[pid {os.getpid()}] connection to {host}:{port}, which the test did not configure"
        if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
            host = args[0]
            if isinstance(host, bytes):
                host = host.decode("ascii", "replace")
            if host is None or _loopback(str(host)) or _literal(str(host)):
                return None
            return f"[pid {os.getpid()}] name lookup of {host!r}, a host the test did not configure"
        return None

    def _hook(event, args):
        if not event.startswith("socket."):
            return
        problem = _problem(event, args)
        if problem is None:
            return
        if _log:
            with open(_log, "a", encoding="utf-8") as handle:
                handle.write(problem + "\n")
        raise PermissionError(f"egress guard: {problem}")

    sys.addaudithook(_hook)
