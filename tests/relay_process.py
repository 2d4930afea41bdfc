"""A real Nostr relay for the tests: nostr-sdk's LocalRelay, in its own process.

Not written by us (rust-nostr's relay, from PyPI ``nostr-sdk``), so the wallet
tests talk to a relay whose behaviour we did not choose. Run as a script it
listens on 127.0.0.1:PORT, prints its URL once ready and serves until SIGTERM.
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


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1])))
