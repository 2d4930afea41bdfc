"""A year of history, made up: thousands of realistic conversation files for the history benchmark.

Each conversation is written the way ``ConversationStore`` writes one (the
same JSON shape, indent 1), but straight to disk without a lock or fsync, so
10,000 of them take seconds. The text is words drawn from a Zipf-like
vocabulary of made-up words with a sprinkle of real ones; replies carry a
little Markdown. About 12 KB a conversation: 10,000 make about 120 MB,
like the history in issue 19.

``RARE`` appears in about 1 % of the conversations (the search benchmark's
word: few hits, all of the files to look through), ``COMMON`` in about 30 %.
"""

from __future__ import annotations

import itertools
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

RARE = "lightning"
COMMON = "bitcoin"
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "so", "ta", "vi", "ze", "po", "an", "el", "or", "is", "um", "ber", "con", "dra",
              "fen", "gar", "hol", "jin", "kri", "lum", "mor", "nix", "pel", "qua", "ros", "sil", "tor", "ul", "ven", "wis"]
_REAL = ["the", "a", "of", "and", "to", "in", "is", "you", "that", "it", "for", "on", "with", "as", "model", "server", "node",
         "python", "relay", "wallet", "key", "prompt", "token", "memory", "disk", "cache", "index", "query", "file", "error"]


def _vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    made = {"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(size * 2)}
    return _REAL + sorted(made)[:size]


def _sentence(rng: random.Random, vocabulary: list[str], cumulative: list[float]) -> str:
    chosen = rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(6, 18))
    return " ".join(chosen).capitalize() + rng.choice([".", ".", ".", "?", "!"])


def generate(folder: Path, count: int, seed: int = 19) -> tuple[int, str, str]:
    """Write ``count`` conversations into ``folder``: the bytes written, the newest and the oldest title."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2025, 12, 1, tzinfo=timezone.utc)
    written = 0
    titles: list[str] = []
    for n in range(count):
        moment = start + timedelta(minutes=52 * n + rng.randint(0, 40))
        cid = moment.strftime("%Y%m%d-%H%M%S-") + f"{rng.getrandbits(16):04x}"
        messages = []
        for turn in range(rng.randint(3, 13)):
            question = " ".join(_sentence(rng, vocabulary, weights) for _ in range(rng.randint(1, 3)))
            paragraphs = [" ".join(_sentence(rng, vocabulary, weights) for _ in range(rng.randint(2, 6))) for _ in range(rng.randint(1, 4))]
            reply = "\n\n".join(paragraphs) + "\n\n- " + _sentence(rng, vocabulary, weights) + "\n- **" + rng.choice(vocabulary) + "**"
            if rng.random() < 0.3 / 4:
                question += f" What about {COMMON}?"
            if rng.random() < 0.01 / 4:
                reply += f"\n\nSee also the {RARE} network."
            at = (moment + timedelta(seconds=turn * 40)).isoformat().replace("+00:00", "Z")
            messages.append({"role": "user", "content": question, "time": at})
            messages.append({"role": "assistant", "content": reply, "time": at, "model": "llama3.2:3b", "eval_count": len(reply) // 4,
                             "eval_duration": 2_000_000_000})
        data = {"format": 1, "id": cid, "title": _sentence(rng, vocabulary, weights)[:60].rstrip(".?!"),
                "created": moment.isoformat().replace("+00:00", "Z"),
                "updated": (moment + timedelta(seconds=len(messages) * 20)).isoformat().replace("+00:00", "Z"),
                "host": "local", "model": "llama3.2:3b", "persona": "", "options": {}, "agent": "", "nostr_peer": "", "messages": messages}
        titles.append(data["title"])
        payload = json.dumps(data, ensure_ascii=False, indent=1).encode()
        (folder / f"{cid}.json").write_bytes(payload)
        written += len(payload)
    return written, titles[-1], titles[0]
