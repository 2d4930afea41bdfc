"""The built-in engine's process: llama-cpp-python's server, with weight repacking off where it crashes.

``python -m sovtui.inference.llama_serve --config_file FILE [--no-repack]``
runs ``llama_cpp.server`` as ``python -m llama_cpp.server --config_file
FILE`` would. The one thing it adds is ``--no-repack``: llama.cpp's
``use_extra_bufts = false`` (``llama-server --no-repack``), which
llama-cpp-python's server has no setting for. On a CPU with AMX,
llama.cpp moves the weights into AMX buffers and multiplies them with
``ggml_backend_amx_mul_mat``; on the Xeon our tests run on that call
crashed the server (SIGSEGV) on the first prompt of more than one token,
for every quantization tried (Q4_0, Q4_1, Q8_0). With extra buffers off,
the same llama.cpp answers from plain CPU buffers.

This module runs in the engine's process only: it imports nothing of
sovtui's, so starting it costs no more than the server itself.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

#: The flag this launcher takes out of the arguments before the server reads them.
NO_REPACK = "--no-repack"


def without_extra_buffers() -> None:
    """Every model the server loads from now on skips llama.cpp's extra (repacking) buffer types.

    llama-cpp-python's ``Llama`` starts from ``llama_model_default_params()``
    of its ctypes module and has no argument for the field, so the default
    itself is changed, before the server creates any model.
    """
    import llama_cpp.llama_cpp as bindings

    defaults = bindings.llama_model_default_params

    def no_extra_buffers() -> Any:
        params = defaults()
        params.use_extra_bufts = False
        return params

    bindings.llama_model_default_params = no_extra_buffers


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if NO_REPACK in args:
        args = [a for a in args if a != NO_REPACK]
        without_extra_buffers()
    from llama_cpp.server.__main__ import main as serve

    sys.argv = [sys.argv[0], *args]
    serve()


if __name__ == "__main__":
    main()
