"""Parse one C3D file with ezc3d in a child process: ``python -m acquisition.readers._c3d_parse IN OUT BYTES``.

ezc3d is C++ and can crash or run for long on corrupted files, so
:mod:`acquisition.readers.c3d` runs it here, in a separate process with an
address-space limit and a timeout, and reads back what it needs:
``OUT.npz`` (``points`` (n_frames, n_points, 3) float32, ``analogs``
(n_channels, n_samples) float32) and ``OUT.json`` (header and parameters).
Exit status 0: parsed; 3: ezc3d refused the file (message in the JSON);
anything else: crashed.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any

#: Parameter groups the reader uses.
GROUPS = ("POINT", "ANALOG", "EVENT", "SUBJECTS", "MANUFACTURER", "TRIAL")


def _plain(value: Any) -> Any:
    """JSON-ready copy of an ezc3d parameter value."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


def parse(src: str, out: str) -> int:
    import ezc3d
    import numpy as np

    try:
        c3d = ezc3d.c3d(src)
        points = c3d["data"]["points"]
        analogs = c3d["data"]["analogs"]
    except Exception as exc:  # ezc3d refusing the file, whatever its exception type
        with open(out + ".json", "w") as fh:
            json.dump({"error": " ".join(str(exc).split()) or type(exc).__name__}, fh)
        return 3
    params: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        if group in c3d["parameters"]:
            params[group] = {
                name: _plain(p["value"]) for name, p in c3d["parameters"][group].items() if name != "__METADATA__"
            }
    header = {
        "points": {k: _plain(v) for k, v in c3d["header"]["points"].items()},
        "analogs": {k: _plain(v) for k, v in c3d["header"]["analogs"].items()},
    }
    channels = analogs[0] if analogs.ndim == 3 and analogs.shape[0] else np.zeros((0, 0))
    np.savez(
        out + ".npz",
        points=np.ascontiguousarray(np.transpose(points[:3], (2, 1, 0)), dtype=np.float32),
        analogs=np.asarray(channels, dtype=np.float32),
    )
    with open(out + ".json", "w") as fh:
        json.dump({"header": header, "parameters": params}, fh)
    return 0


def _address_space() -> int:
    """Bytes of address space this process uses now (VmSize)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def main(argv: list[str]) -> int:
    """``IN OUT ALLOWANCE``: parse IN into OUT.npz/OUT.json using at most ALLOWANCE more bytes of memory."""
    src, out, allowance = argv[0], argv[1], int(argv[2])
    import ezc3d  # noqa: F401  (imported before the limit: its libraries reserve address space)
    import numpy  # noqa: F401

    limit = _address_space() + allowance
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return parse(src, out)


if __name__ == "__main__":  # pragma: no cover - run as a child process
    sys.exit(main(sys.argv[1:]))
