"""sovtui's benchmark suite: start-up, streaming, bytes, memory, history, crypto, peers.

    python benchmarks/run.py [--quick] [--only NAME ...]

Prints a Markdown table and writes the JSON to benchmarks/results/. Every
figure is the median of at least 5 runs, with min and max. These are
benchmarks, not tests: they never fail CI on a slow machine. Targets are in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import Result, markdown_table, repeat  # noqa: E402
from benchmarks.ptyrun import PtySession  # noqa: E402

RESULTS_DIR = ROOT / "benchmarks" / "results"


def scratch_env(base: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A private HOME and XDG folders, so runs never touch the user's files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "OLLAMA_", "SOVTUI_"))}
    for name in ("config", "data", "state", "cache"):
        (base / name).mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name.upper()}_HOME"] = str(base / name)
    env["HOME"] = str(base)
    env.update(extra or {})
    return env


def sovtui_argv() -> list[str]:
    return [sys.executable, "-m", "sovtui"]


def painted(text: str) -> bool:
    """The first full screen: a good share of the terminal holds text."""
    return sum(1 for ch in text if not ch.isspace()) > 60


# --- start-up -----------------------------------------------------------------


def bench_startup(runs: int) -> list[Result]:
    first, ready = Result("start-up: first paint", "s"), Result("start-up: chat input ready", "s")
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            session = PtySession(sovtui_argv(), scratch_env(Path(tmp)), cwd=tmp)
            try:
                first.runs.append(session.wait_for(painted))
                ready.runs.append(session.wait_for(lambda s: "Quit" in s and "Chat" in s))
            finally:
                session.close()
    return [first, ready]


def bench_import(runs: int) -> list[Result]:
    import subprocess

    def measure(module: str) -> float:
        code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
        return float(out.stdout.strip())

    return [
        repeat("import sovtui.cli", "s", runs, lambda: measure("sovtui.cli")),
        repeat("import sovtui.ui.app", "s", runs, lambda: measure("sovtui.ui.app")),
    ]


BENCHES = {
    "startup": bench_startup,
    "import": bench_import,
}


def machine() -> dict[str, str]:
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": str(os.cpu_count()),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory"] = f"{int(line.split()[1]) // 1024 // 1024} GiB"
                break
    except OSError:
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 runs each, no peers")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these")
    parser.add_argument("--runs", type=int, help="runs per figure (at least 5)")
    args = parser.parse_args(argv)
    runs = max(5, args.runs or (5 if args.quick else 7))
    names = args.only or [n for n in BENCHES if not (args.quick and n == "peers")]
    results: list[Result] = []
    for name in names:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        results.extend(BENCHES[name](runs))
    table = markdown_table(results)
    print(table)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = RESULTS_DIR / f"{stamp}{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps({"machine": machine(), "runs": runs, "results": [r.to_dict() for r in results]}, indent=2))
    print(f"\nwrote {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
