"""Every address sovtui may contact, in one place.

sovtui talks only to hosts the user configured: the model servers in
config.toml (Ollama and OpenAI-compatible ones, OLLAMA_HOST when it is set), and the relays of the wallets
connected over NWC (from their URIs, kept in config.toml without the secret),
and the relays in ``[agents.NAME] relays`` that ``sovtui agent serve`` takes
private messages on. Hugging Face (or ``HF_ENDPOINT``) is listed too: sovtui
reaches it only when you run ``sovtui models pull hf:...`` for the built-in
engine, and it sees which model you download, never a prompt. The relays in ``[nostr] relays`` are written into
exported nprofiles, and contacted only when you ask (an agent's note
published, an agent served with no relays of its own). Nothing else: no telemetry, no
update checks, no fonts, icons or avatars, and no DNS lookup of a name the
user did not write. ``sovtui doctor`` prints this list with each address's
locality, so a user can see exactly where their words can go. New
capabilities that talk to the network add their endpoints here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sovtui.config import Config
from sovtui.errors import SovtuiError
from sovtui.net import Locality, locality_of


@dataclass(frozen=True)
class Endpoint:
    purpose: str
    name: str
    url: str

    @property
    def locality(self) -> Locality:
        return locality_of(self.url)

    def to_dict(self) -> dict[str, object]:
        return {
            "purpose": self.purpose,
            "name": self.name,
            "url": self.url,
            "locality": self.locality.label,
            "public": self.locality.is_public,
        }


def configured_endpoints(config: Config) -> list[Endpoint]:
    from sovtui.inference.hosts import parse_host, target_of

    found = []
    for name, host in sorted(config.hosts.items()):
        try:
            target = target_of(name, host)
        except SovtuiError:  # a URL no client could use is contacted by none: listed as written
            found.append(Endpoint("model server (unusable URL)", name, host.url))
            continue
        found.append(Endpoint(f"model server ({target.kind})", name, target.url))
    if os.environ.get("OLLAMA_HOST"):
        found.append(Endpoint("model server (Ollama, from OLLAMA_HOST)", "OLLAMA_HOST", parse_host(os.environ["OLLAMA_HOST"])))
    for name, wallet in sorted(config.wallets.items()):
        found += [Endpoint("wallet relay (NWC)", name, relay) for relay in wallet.relays]
    for name, agent in sorted(config.agents.items()):  # sovtui agent serve NAME takes private messages there
        found += [Endpoint("agent relay (private messages)", name, relay) for relay in agent.relays]
    if config.inference.host == "builtin" and "builtin" not in config.hosts:
        # The built-in engine is in use: its models may be pulled from Hugging Face, on request only.
        # Listed only then, so a sovtui that uses only hosts of its own lists nothing public.
        from sovtui.inference.hf import endpoint as hf_endpoint

        found.append(Endpoint(DOWNLOADS, "huggingface", hf_endpoint()))
    return found


#: The purpose of the one address contacted only on request: model downloads for the built-in engine.
DOWNLOADS = "model downloads (only when you run 'sovtui models pull hf:...')"
