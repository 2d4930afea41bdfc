"""llama.cpp's weight repacking: off on a CPU with AMX, where its AMX kernels crashed the engine.

On the Xeon (AMX) these tests run on, llama-cpp-python's server died with
SIGSEGV in ``ggml_backend_amx_mul_mat`` on the first prompt of more than one
token; every ``real_model`` test failed. The engine now runs through
``sovtui.inference.llama_serve``, which turns llama.cpp's extra buffer types
off when asked, and sovtui asks on such a CPU unless ``[backend]
builtin_repack`` says otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from sovtui.config import save_config
from sovtui.context import Context
from sovtui.inference.builtin import (
    LAUNCHER,
    MODULE,
    BuiltinServer,
    builtin_server,
    cpu_has_amx,
)
from sovtui.paths import Paths
from sovtui.processes import cmdline

SAPPHIRE_RAPIDS = """processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu vme avx2 avx512f amx_bf16 amx_tile amx_int8 arch_lbr
bugs\t\t: spectre_v1
"""
ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
flags\t\t: fpu vme avx2 avx512f avx512_bf16
"""


def test_a_cpu_is_read_as_having_amx_from_its_flags_only() -> None:
    assert cpu_has_amx(SAPPHIRE_RAPIDS)
    assert not cpu_has_amx(ZEN4)
    assert not cpu_has_amx("model name\t: Intel amx_tile edition\nflags\t\t: fpu\n")  # only the flags line counts
    assert not cpu_has_amx("")


def test_repacking_is_off_by_default_exactly_where_the_cpu_has_amx(xdg: Paths) -> None:
    assert BuiltinServer(xdg).repack is (not cpu_has_amx())
    assert BuiltinServer(xdg, repack=True).repack is True
    assert BuiltinServer(xdg, repack=False).repack is False


def test_builtin_repack_in_config_toml_wins_over_the_cpu(xdg: Paths) -> None:
    ctx = Context()
    for value in (True, False):
        ctx.config.backend.extra["builtin_repack"] = value
        save_config(ctx.config, ctx.paths.config_file)
        assert builtin_server(Context()).repack is value
    ctx.config.backend.extra["builtin_repack"] = "yes"  # not a boolean: the CPU decides
    save_config(ctx.config, ctx.paths.config_file)
    assert builtin_server(Context()).repack is (not cpu_has_amx())


def test_the_launcher_turns_extra_buffers_off_for_every_model_it_loads() -> None:
    pytest.importorskip("llama_cpp")
    code = (
        "import llama_cpp.llama_cpp as b\n"
        "before = b.llama_model_default_params().use_extra_bufts\n"
        "from sovtui.inference.llama_serve import without_extra_buffers\n"
        "without_extra_buffers()\n"
        "print(before, b.llama_model_default_params().use_extra_bufts)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.split() == ["True", "False"]


def test_the_launcher_hands_the_server_its_arguments_without_its_own_flag() -> None:
    """llama_cpp.server's own main() sees the arguments less --no-repack (its parser would refuse it)."""
    pytest.importorskip("llama_cpp.server")
    code = (
        "import sys, llama_cpp.server.__main__ as server\n"
        "from sovtui.inference import llama_serve\n"
        "server.main = lambda: print('ARGV', sys.argv[1:])\n"
        "llama_serve.without_extra_buffers = lambda: print('NO EXTRA BUFFERS')\n"
        "llama_serve.main(['--config_file', 'models.json', '--no-repack'])\n"
        "llama_serve.main(['--config_file', 'models.json'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.splitlines() == [
        "NO EXTRA BUFFERS", "ARGV ['--config_file', 'models.json']",  # asked: buffers off, the flag taken out
        "ARGV ['--config_file', 'models.json']",  # not asked: llama.cpp's default
    ]


@pytest.mark.parametrize("argv, ours", [
    ([LAUNCHER, "--config_file", "models.json"], True),
    ([MODULE, "--config_file", "models.json"], True),  # started by a sovtui before the launcher
    (["http.server", "0"], False),  # the pid was reused by another program
])
def test_only_an_engine_process_is_taken_for_the_engine(xdg: Paths, argv: list[str], ours: bool) -> None:
    # A stand-in whose command line reads like the one given: python -c '...' ARGV.
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", *argv])
    try:
        for _ in range(100):  # /proc/PID/cmdline can read empty for a moment after the exec
            if cmdline(process.pid).strip():
                break
            time.sleep(0.02)
        server = BuiltinServer(xdg)
        server.folder.mkdir(parents=True)
        server.pid_file.write_text(json.dumps({"pid": process.pid, "port": 9}))
        assert (server.managed_pid() == process.pid) is ours
    finally:
        process.kill()
        process.wait()


@pytest.mark.real_model
async def test_changing_builtin_repack_restarts_a_running_engine(xdg: Paths, smollm2_gguf, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sovtui.inference import builtin
    from sovtui.inference.gguf import add_model
    from tests.egress import allow_endpoint

    def allowed_port() -> int:
        port = free_port()
        allow_endpoint("127.0.0.1", port)
        return port

    free_port = builtin._free_port
    monkeypatch.setattr(builtin, "_free_port", allowed_port)
    add_model(xdg, smollm2_gguf, "smollm2")
    first = await BuiltinServer(xdg, repack=False).start()
    try:
        assert "--no-repack" in cmdline(first.pid or 0)
        assert not await BuiltinServer(xdg, repack=False).refresh()  # the same engine: left running
        assert await BuiltinServer(xdg, repack=True).refresh()  # the setting changed: started again, as asked
        second = await BuiltinServer(xdg, repack=True).status()
        assert second.answering and second.pid != first.pid and "--no-repack" not in cmdline(second.pid or 0)
    finally:
        await BuiltinServer(xdg).stop()
