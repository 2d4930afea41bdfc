"""A real Nostr relay for the tests: nostr-sdk's LocalRelay, in its own process.

Not written by us (rust-nostr's relay, from PyPI ``nostr-sdk``), so the wallet
tests talk to a relay whose behaviour we did not choose.

Run as ``relay_process.py PORT`` it listens on 127.0.0.1:PORT, prints its URL
once ready and serves until SIGTERM.

Run as ``relay_process.py --host`` it is the relay host of one test process
(tests/relay_fixtures.py): it reads commands on stdin, one a line, and
answers each with one line on stdout:

``start PORT``  a new, empty LocalRelay on 127.0.0.1:PORT; answers its URL
                (or ``error ...``)
``stop PORT``   shuts that relay down, which closes every connection to it;
                answers ``stopped``

and it exits when stdin closes (the test process ended, however it ended).
A relay started in a running host takes a millisecond, where a process of its
own takes about 0.3 s of CPU and as long again before it listens; each test
still gets a relay of its own, empty, in another process.
"""

from __future__ import annotations

import asyncio
import signal
import sys


async def _serve(port: int) -> None:
    import nostr_sdk

    relay = nostr_sdk.LocalRelayBuilder().addr("127.0.0.1").port(port).build()
    await relay.run()
    print(await relay.url(), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    relay.shutdown()


async def _start(port: int) -> object:
    """A new LocalRelay on ``port``.

    A relay just shut down on the same port lets go of it a moment later
    (its listener is dropped by its own task): until then, try again.
    """
    import nostr_sdk

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while True:
        relay = nostr_sdk.LocalRelayBuilder().addr("127.0.0.1").port(port).build()
        try:
            await relay.run()
            return relay
        except Exception as exc:
            if "in use" not in str(exc) or loop.time() > deadline:
                raise
            await asyncio.sleep(0.02)


def _listening(port: int) -> bool:
    """Whether a socket listens on 127.0.0.1:``port`` (Linux: /proc/net/tcp; elsewhere, assume not)."""
    try:
        table = open("/proc/net/tcp", encoding="ascii").read().splitlines()[1:]  # noqa: SIM115 - read at once
    except OSError:
        return False
    wanted = f"0100007F:{port:04X}"
    return any(len(fields) > 3 and fields[1] == wanted and fields[3] == "0A" for fields in (row.split() for row in table))


async def _released(port: int) -> bool:
    """True once nothing listens on ``port`` any more; False if it still does after 10 s.

    A shut-down relay drops its listener from its own task a moment later;
    until then it still accepts, and a client that reconnects quickly (a
    pool's backoff) would find a relay that "stopped" still there. A stopped
    relay must be gone, as when each relay was a process of its own. (Read
    from the kernel's table, not by connecting: a connection the dying relay
    accepted and never closed would keep the port from being bound again.)
    On a loaded machine that moment passed 2 s once, and a test of a relay
    that is down found it up: the wait is longer, and a relay still listening
    is said, never taken for stopped.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while _listening(port):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def _host() -> None:
    import nostr_sdk

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    relays: dict[int, nostr_sdk.LocalRelay] = {}
    try:
        while line := (await reader.readline()).decode().split():
            command, port = line[0], int(line[1])
            if command == "start":
                try:
                    relay = await _start(port)
                except Exception as exc:  # the port is taken, say: the test is told, the host goes on
                    print(f"error {type(exc).__name__}: {exc}".replace("\n", " "), flush=True)
                    continue
                relays[port] = relay
                print(await relay.url(), flush=True)
            elif command == "stop":
                if port in relays:
                    relays.pop(port).shutdown()
                    if not await _released(port):
                        print(f"error the relay on {port} still listens 10 s after its shutdown", flush=True)
                        continue
                print("stopped", flush=True)
            else:
                print(f"error unknown command {command!r}", flush=True)
    finally:
        for relay in relays.values():
            relay.shutdown()


if __name__ == "__main__":
    if sys.argv[1] == "--host":
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # a SIGTERM ends the host as stdin's end does
        try:
            asyncio.run(_host())
        except KeyboardInterrupt:
            pass
    else:
        asyncio.run(_serve(int(sys.argv[1])))
