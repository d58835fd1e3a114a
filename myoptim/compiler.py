"""Whether ``torch.compile`` can compile on this machine's CPU (docs/chapter/fast-path.md).

On the CPU, ``torch.compile`` writes C++ and builds it with the machine's C++ compiler,
against Python's headers. Without them it fails at the first compiled call, deep inside
the compiler's machinery; :func:`compiler_missing` tells beforehand, and what to install.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import sysconfig
from pathlib import Path

HOW_TO_GET_ONE = (
    "Install what is missing (Debian and Ubuntu: sudo apt-get install build-essential python3-dev; "
    "macOS: xcode-select --install; Windows: Visual Studio's C++ build tools, then work in "
    "a Developer Command Prompt), or do without compiling: Flattened(...) without "
    "compile=True, or MyAdam instead of MyCompiledAdam."
)


@functools.cache
def compiler_missing() -> str | None:
    """Why ``torch.compile`` cannot compile for the CPU here, or ``None`` if it can.

    It looks for what torch's CPU backend uses: the C++ compiler named by ``$CXX``, else
    ``g++`` (``clang++`` on macOS, ``cl`` on Windows), and Python's headers (``Python.h``).
    The answer is kept for the life of the process.

    Example:
        >>> from myoptim import compiler_missing
        >>> if reason := compiler_missing():
        ...     print(reason)  # and do without compile=True
    """
    default = {"darwin": "clang++", "win32": "cl"}.get(sys.platform, "g++")
    compiler = os.environ.get("CXX") or default
    if shutil.which(compiler) is None:
        named = f"$CXX names {compiler!r}, which" if os.environ.get("CXX") else compiler
        return f"torch.compile needs a C++ compiler, and {named} is not found. {HOW_TO_GET_ONE}"
    headers = Path(sysconfig.get_paths()["include"], "Python.h")
    if not headers.is_file():
        return f"torch.compile needs Python's headers, and {headers} is missing. {HOW_TO_GET_ONE}"
    return None


def require_compiler(device: str) -> None:
    """Raise a ``RuntimeError`` that says what to install if compiling for ``device`` cannot
    work; other devices than the CPU are left to torch."""
    if device == "cpu" and (reason := compiler_missing()):
        raise RuntimeError(reason)
