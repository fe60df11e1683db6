"""Byte-level fuzzing of the readers (hypothesis), shared by the short test run and benchmarks/fuzz_readers.py.

Each reader gets valid seed files (real files and files our writers made)
that hypothesis mutates: flipped, overwritten, inserted, duplicated and
zeroed bytes, truncation. The property: the reader returns a valid Session
or raises an :class:`acquisition.errors.FpcdsError` (a SessionFileError names
the file) - never another exception, a hang or a crash.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
from hypothesis import strategies as st

from acquisition.errors import FpcdsError, SessionFileError
from acquisition.mapping import parse_mapping
from acquisition.session import EmgBlock, EmgChannel, Marker, MotionBlock, Segment, Session

REAL = Path(os.environ.get("FPCDS_REAL_DATA", Path(__file__).resolve().parents[4] / "shared" / "data" / "real"))

#: A mapping that maps something in every seed file, so mutations reach the data paths.
FUZZ_MAPPING = parse_mapping(
    {
        "format": "fpcds-mapping/1",
        "emg": {
            "stream": {"type": ["EMG", "EEG"]},
            "units": "uV",
            "channels": {"ch1": "Zyg li", "ch2": "Zyg re", "Delt_ant.EMG1": "OrbOc li", "Infra.EMG10": "OrbOc re"},
        },
        "markers": {"stream": {"type": ["Markers", "StringMarker"]}},
    },
    source="fuzz",
)


def seed_session() -> Session:
    """A small session with EMG, a marker-set face, markers and segments."""
    rng = np.random.default_rng(7)
    emg = EmgBlock(
        (rng.standard_normal((2, 400)) * 2e-5).astype(np.float32),
        200.0,
        (EmgChannel("Zyg li", "zygomaticus", "left"), EmgChannel("Zyg re", "zygomaticus", "right")),
    )
    names = ("commissure_left", "commissure_right", "nose_tip")
    base = np.array([[30.0, -40, 0], [-30, -40, 0], [0, 0, 20]], dtype=np.float32)
    frames = base[None] + rng.normal(0, 0.5, (40, 3, 3)).astype(np.float32)
    motion = MotionBlock(frames, 20.0, "markers:face3", "mm", names, 0.0, facial_points=names)
    return Session(
        emg=emg,
        motion=motion,
        segments=(Segment("smile_open", 0.5, 1.5, 1),),
        markers=(Marker(0.5, "smile_open/start|rep=1"), Marker(1.5, "smile_open/end|rep=1")),
    )


def seed_files(directory: Path) -> dict[str, list[Path]]:
    """Seed files per reader name, written into ``directory``."""
    from acquisition.writers import write_c3d, write_csv, write_edf, write_xdf

    directory.mkdir(parents=True, exist_ok=True)
    session = seed_session()
    seeds: dict[str, list[Path]] = {"xdf": [], "edf": [], "c3d": [], "csv": []}
    write_xdf(session, directory / "seed.xdf")
    seeds["xdf"].append(directory / "seed.xdf")
    write_edf(session, directory / "seed.edf", drop_motion=True)
    seeds["edf"].append(directory / "seed.edf")
    write_edf(session, directory / "seed.bdf", drop_motion=True, bdf=True)
    seeds["edf"].append(directory / "seed.bdf")
    write_c3d(session, directory / "seed.c3d")
    seeds["c3d"].append(directory / "seed.c3d")
    write_csv(session.select(modalities=["emg"]), directory / "seed.csv")
    seeds["csv"].append(directory / "seed.csv")
    for name in ("minimal.xdf", "empty_streams.xdf"):
        if (REAL / name).exists():
            shutil.copy(REAL / name, directory / name)
            seeds["xdf"].append(directory / name)
    return seeds


@st.composite
def mutations(draw: st.DrawFn, size: int) -> list[tuple[str, int, bytes]]:
    """A short list of byte-level edits for a file of ``size`` bytes."""
    ops = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "truncate", "zero", "duplicate", "extreme"]))
        pos = draw(st.integers(0, max(0, size - 1)))
        data = draw(st.binary(min_size=1, max_size=16))
        ops.append((kind, pos, data))
    return ops


def mutate(raw: bytes, ops: list[tuple[str, int, bytes]]) -> bytes:
    """Apply :func:`mutations` to ``raw``."""
    buf = bytearray(raw)
    for kind, pos, data in ops:
        pos = min(pos, max(0, len(buf) - 1))
        if kind == "flip" and buf:
            buf[pos] ^= data[0] or 0xFF
        elif kind == "set":
            buf[pos : pos + len(data)] = data
        elif kind == "insert":
            buf[pos:pos] = data
        elif kind == "truncate":
            del buf[pos:]
        elif kind == "zero":
            buf[pos : pos + 8 * len(data)] = bytes(len(buf[pos : pos + 8 * len(data)]))
        elif kind == "duplicate":
            buf[pos:pos] = buf[pos : pos + 4 * len(data)]
        elif kind == "extreme":
            buf[pos : pos + 8] = b"\xff" * len(buf[pos : pos + 8])
    return bytes(buf)


def reader_for(name: str) -> Callable:
    from acquisition.readers.c3d import read_c3d
    from acquisition.readers.csvfile import read_csv
    from acquisition.readers.edf import read_edf
    from acquisition.readers.xdf import read_xdf

    return {"xdf": read_xdf, "edf": read_edf, "c3d": read_c3d, "csv": read_csv}[name]


def check_mutant(name: str, seed: Path, ops: list[tuple[str, int, bytes]], workdir: Path) -> str:
    """Read a mutated copy of ``seed``; returns 'ok' or the error class name, raises on a contract breach."""
    target = workdir / f"mutant{seed.suffix}"
    target.write_bytes(mutate(seed.read_bytes(), ops))
    try:
        session = reader_for(name)(target, mapping=FUZZ_MAPPING)
    except SessionFileError as exc:
        assert exc.path == str(target), f"error names {exc.path!r}, not the file"
        return type(exc).__name__
    except FpcdsError as exc:
        assert str(target) in str(exc), f"error does not name the file: {exc}"
        return type(exc).__name__
    assert isinstance(session, Session)
    session.metadata()
    return "ok"


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="fpcds-fuzz-"))
