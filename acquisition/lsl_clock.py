"""Run a process whose LSL clock is offset by a known amount (Linux time namespaces).

LSL's clock is the host's monotonic clock. Two machines' clocks differ by an
unknown offset, which an inlet measures with ``time_correction()``. To test
and benchmark that correction on one machine, a publisher is started in its
own *time namespace* whose ``CLOCK_MONOTONIC`` is shifted by ``offset_s``
(``/proc/self/timens_offsets``, Linux >= 5.6): to the recorder it then looks
exactly like a stream from another machine. Creating a time namespace needs
root (``CAP_SYS_ADMIN``); :func:`clock_offsets_supported` tells whether it
works here.

Run as ``python -m acquisition.lsl_clock OFFSET_S PROGRAM [ARGS...]``: enters
a new time namespace shifted by ``OFFSET_S`` seconds, then executes
``PROGRAM`` in it.
"""

from __future__ import annotations

import ctypes
import math
import os
import subprocess
import sys
from functools import lru_cache
from typing import Any, Sequence

from .lsl_streams import LslError

_CLONE_NEWTIME = 0x00000080


def enter_offset_namespace(offset_s: float) -> None:
    """Create a time namespace shifted by ``offset_s`` for the next program this process executes.

    The calling process keeps its clock; the namespace takes effect at the
    next ``execve`` (or in children forked afterwards).

    Raises
    ------
    LslError
        The kernel refused (no privilege, or time namespaces unsupported).
    """
    if not math.isfinite(offset_s):
        raise LslError(f"clock offset {offset_s!r} s is not a finite number")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWTIME) != 0:
        err = ctypes.get_errno()
        raise LslError(f"cannot create a time namespace for a clock offset: {os.strerror(err)} (needs root on Linux >= 5.6)")
    seconds = math.floor(offset_s)
    nanoseconds = int(round((offset_s - seconds) * 1e9))
    if nanoseconds >= 1_000_000_000:
        seconds, nanoseconds = seconds + 1, nanoseconds - 1_000_000_000
    try:
        with open("/proc/self/timens_offsets", "w") as fh:
            fh.write(f"monotonic {seconds} {nanoseconds}\n")
    except OSError as exc:
        raise LslError(f"cannot set a clock offset of {offset_s} s: {exc.strerror or exc}") from None


def spawn_with_clock_offset(argv: Sequence[str], *, offset_s: float, **popen: Any) -> subprocess.Popen:
    """Start ``argv`` with its monotonic (LSL) clock shifted by ``offset_s`` seconds.

    Extra keyword arguments go to :class:`subprocess.Popen`.
    """
    return subprocess.Popen([sys.executable, "-m", "acquisition.lsl_clock", repr(float(offset_s)), *argv], **popen)


@lru_cache(maxsize=1)
def clock_offsets_supported() -> bool:
    """True when :func:`spawn_with_clock_offset` works on this machine (checked once)."""
    code = "import time; print(time.monotonic())"
    try:
        before = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        proc = spawn_with_clock_offset(
            [sys.executable, "-c", code], offset_s=1000.0, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        out, _ = proc.communicate(timeout=30)
        return proc.returncode == 0 and float(out) - before > 999.0
    except (OSError, ValueError, subprocess.SubprocessError):
        return False


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2:
        print("usage: python -m acquisition.lsl_clock OFFSET_S PROGRAM [ARGS...]", file=sys.stderr)
        return 2
    try:
        enter_offset_namespace(float(args[0]))
    except (LslError, ValueError) as exc:
        print(f"acquisition.lsl_clock: error: {exc}", file=sys.stderr)
        return 2
    os.execvp(args[1], args[1:])
    return 127  # pragma: no cover - execvp does not return


if __name__ == "__main__":
    sys.exit(main())
