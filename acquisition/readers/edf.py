"""EDF, EDF+, BDF and BDF+ recordings (pyedflib / edflib).

Each signal's physical dimension is honoured: ``uV``, ``mV``, ``V`` (and
spellings such as ``microvolts``) are converted to volts; a mapped channel
with a non-voltage dimension is refused (or, with the mapping's
``override_units``, relabelled with a quality warning). EDF+ annotations
are the events of the :mod:`acquisition.segments` vocabulary: task markers
and spans become segments; the reserved ``gap/emg`` annotations (written by
:func:`acquisition.writers.write_edf`, since EDF cannot store NaN) become
NaN samples and Gaps; ``recording/end`` trims the zero padding of the last
data record.

The session clock starts at the first data record (0 s); the start date and
time become ``Session.recorded_at``. Subject sex is taken from the EDF+
patient field; the patient's name, code and birth date are never read.

Signals are read in blocks of data records into a float32 array that is
memory-mapped to a temporary file above ``memmap_bytes``, so a 24-hour
recording converts in bounded memory. All mapped channels must share one
rate; otherwise pass ``emg_sfreq`` to resample explicitly (polyphase,
recorded in the provenance).

Before edflib opens the file its fixed header is checked against the file
size, so a truncated file is refused with the numbers; extra bytes after the
last declared data record are ignored with a note.
"""

from __future__ import annotations

import os
import warnings
from fractions import Fraction

import numpy as np

from ..errors import MappingError, SessionFileError, SessionValidationError
from ..mapping import ChannelMapping, resolve_mapping
from ..segments import Event, interpret_events
from ..session import EmgBlock, Session, Subject
from ._common import (
    DEFAULT_MEMMAP_BYTES,
    RawListing,
    RawStream,
    SessionParts,
    allocate_emg,
    assemble,
    check_file,
    emg_scales,
    library_errors,
    wrong_format,
)

_BLOCK_SAMPLES = 1 << 20
_ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")
_SEX = {"male": "male", "m": "male", "female": "female", "f": "female"}


def _field(raw: bytes, start: int, width: int) -> str:
    return raw[start : start + width].decode("ascii", "replace").strip()


def check_edf_header(path: str, size: int) -> tuple[str, int]:
    """Validate the fixed EDF/BDF header against the file size.

    Returns
    -------
    kind : {'EDF', 'BDF'}
    extra : int
        Bytes after the last declared data record.
    """
    with open(path, "rb") as fh:
        head = fh.read(256)
        if head.startswith(b"0       "):
            kind, width = "EDF", 2
        elif head.startswith(b"\xffBIOSEMI"):
            kind, width = "BDF", 3
        else:
            raise wrong_format(path, "EDF or BDF")
        if len(head) < 256:
            raise SessionFileError(path, f"file is truncated: {size} bytes, shorter than the 256-byte EDF header")
        try:
            header_bytes = int(_field(head, 184, 8))
            n_records = int(_field(head, 236, 8))
            n_signals = int(_field(head, 252, 4))
        except ValueError:
            raise SessionFileError(
                path, f"{kind} header has a malformed header size, record count or signal count"
            ) from None
        if not 1 <= n_signals <= 4096:
            raise SessionFileError(path, f"{kind} header declares {n_signals} signals; expected 1-4096")
        if header_bytes != 256 * (n_signals + 1):
            raise SessionFileError(
                path,
                f"{kind} header declares {header_bytes} header bytes; {n_signals} signals need {256 * (n_signals + 1)}",
            )
        if n_records == -1:
            raise SessionFileError(path, f"{kind} header has record count -1: the recording was not closed properly")
        if n_records < 1:
            raise SessionFileError(path, f"{kind} header declares {n_records} data records; expected at least 1")
        if size < header_bytes:
            raise SessionFileError(
                path, f"file is truncated: {size} bytes, but the {kind} header alone is {header_bytes}"
            )
        fh.seek(256 + n_signals * 216)
        spr_raw = fh.read(8 * n_signals)
    try:
        spr = [int(_field(spr_raw, 8 * i, 8)) for i in range(n_signals)]
    except ValueError:
        raise SessionFileError(path, f"{kind} header has a malformed samples-per-record field") from None
    if any(n < 1 for n in spr):
        raise SessionFileError(path, f"{kind} header declares a signal with {min(spr)} samples per record")
    record = sum(spr) * width
    expected = header_bytes + n_records * record
    if size < expected:
        raise SessionFileError(
            path,
            f"file is truncated: the header declares {n_records} data records of {record} bytes "
            f"({expected} bytes in all) but the file has {size} bytes",
        )
    return kind, size - expected


def _open(path: str, size: int):  # -> pyedflib.EdfReader
    import pyedflib

    kind, extra = check_edf_header(path, size)
    with library_errors(path, f"{kind} file cannot be read"):
        reader = pyedflib.EdfReader(
            path, annotations_mode=pyedflib.READ_ALL_ANNOTATIONS, check_file_size=pyedflib.DO_NOT_CHECK_FILE_SIZE
        )
    return reader, kind, extra


def describe_edf(path: str | os.PathLike[str]) -> RawListing:
    """List the signals of an EDF/BDF file (no sample data is loaded)."""
    path = os.fspath(path)
    size = check_file(path, fmt="EDF/BDF")
    reader, kind, _ = _open(path, size)
    try:
        streams = []
        n = reader.getNSamples()
        for i in range(reader.signals_in_file):
            detail = ", ".join(x for x in (reader.getTransducer(i).strip(), reader.getPrefilter(i).strip()) if x)
            label = reader.getLabel(i).strip()
            streams.append(RawStream(label, "signals", float(reader.getSampleFrequency(i)), (label,),
                                     (reader.getPhysicalDimension(i).strip(),), int(n[i]), detail))
        onsets, _, texts = reader.readAnnotations()
        if len(onsets):
            streams.append(RawStream("annotations", "markers", None, tuple(dict.fromkeys(str(t) for t in texts)),
                                     (), len(onsets)))
    finally:
        reader.close()
    return RawListing(path, kind, tuple(streams))


def read_edf(
    path: str | os.PathLike[str],
    *,
    mapping: ChannelMapping | str | os.PathLike[str] | None = None,
    segments: str | os.PathLike[str] | None = None,
    emg_sfreq: float | None = None,
    mains_hz: float | None = None,
    memmap_bytes: int = DEFAULT_MEMMAP_BYTES,
) -> Session:
    """Read an EDF, EDF+, BDF or BDF+ recording.

    Parameters
    ----------
    path : path-like
    mapping : ChannelMapping, path or built-in name, optional
        Which signals are which muscles (default: ``fridlund``).
    segments : path-like, optional
        Timing sidecar whose segments replace those from annotations.
    emg_sfreq : float, optional
        Resample mapped channels to this rate (Hz); needed only when their
        rates differ. Never applied silently.
    mains_hz : float, optional
        Mains frequency for the powerline check.
    memmap_bytes : int
        EMG arrays above this size are backed by a temporary file.

    Returns
    -------
    Session
    """
    path = os.fspath(path)
    cmap = resolve_mapping(mapping)
    size = check_file(path, fmt="EDF/BDF")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader, kind, extra = _open(path, size)
        try:
            parts = _read(reader, path, kind, extra, cmap, emg_sfreq, memmap_bytes)
        finally:
            reader.close()
    parts.notes.extend(dict.fromkeys(f"pyedflib: {w.message}" for w in caught))
    return assemble(parts, mapping=cmap, segments=segments, mains_hz=mains_hz)


def _read(reader, path: str, kind: str, extra: int, cmap: ChannelMapping, emg_sfreq: float | None,
          memmap_bytes: int) -> SessionParts:
    parts = SessionParts(path, kind)
    if extra:
        parts.notes.append(f"{extra} bytes after the last declared data record were ignored")
    labels = [reader.getLabel(i).strip() for i in range(reader.signals_in_file)]
    assignment = cmap.assign_emg(labels, source=path)
    parts.unmapped.extend(assignment.unmapped)
    with library_errors(path, f"{kind} annotations cannot be read"):
        onsets, durations, texts = reader.readAnnotations()
    parts.events.extend(
        Event(float(t), str(txt), None if float(d) <= 0 else float(d)) for t, d, txt in zip(onsets, durations, texts)
    )
    start = reader.getStartdatetime()
    parts.recorded_at = start.isoformat()
    sex = _SEX.get(reader.getSex().strip().lower())
    if sex is not None:
        parts.subject = Subject(sex=sex)
    equipment = reader.getEquipment().strip()
    if equipment:
        parts.devices.append(f"{kind} equipment: {equipment}")
    if assignment.indices:
        parts.emg = _read_emg(reader, parts, cmap, assignment, emg_sfreq, memmap_bytes)
    return parts


def _read_emg(reader, parts: SessionParts, cmap: ChannelMapping, assignment, emg_sfreq: float | None,
              memmap_bytes: int) -> EmgBlock:
    path = parts.path
    idx = list(assignment.indices)
    rates = [float(reader.getSampleFrequency(i)) for i in idx]
    counts = [int(reader.getNSamples()[i]) for i in idx]
    labels = [ch.name for ch in assignment.channels]
    scales, issues = emg_scales(labels, [reader.getPhysicalDimension(i) for i in idx], cmap, path=path)
    parts.issues.extend(issues)
    for i in idx:
        transducer, prefilter = reader.getTransducer(i).strip(), reader.getPrefilter(i).strip()
        if transducer or prefilter:
            parts.devices.append(f"{reader.getLabel(i).strip()}: " + "; ".join(
                x for x in (transducer and f"transducer {transducer}", prefilter and f"prefilter {prefilter}") if x))
    if len(set(rates)) > 1 and emg_sfreq is None:
        listed = ", ".join(f"{lbl!r} {r:g} Hz" for lbl, r in zip(labels, rates))
        raise MappingError(
            f"{path}: the mapped EMG channels have different rates ({listed}); rates are never changed silently: "
            f"pass emg_sfreq (fpcds convert --emg-sfreq) to resample them, or map channels of one rate"
        )
    gap_events = interpret_events(parts.events, protocol=parts.protocol).gaps
    if emg_sfreq is None or all(r == emg_sfreq for r in rates):
        sfreq = rates[0]
        n = counts[0]
        data = allocate_emg(len(idx), n, memmap_bytes=memmap_bytes)
        for row, (i, scale) in enumerate(zip(idx, scales)):
            for s in range(0, n, _BLOCK_SAMPLES):
                m = min(_BLOCK_SAMPLES, n - s)
                with library_errors(path, f"signal {labels[row]!r} cannot be read"):
                    block = reader.readSignal(i, s, m)
                data[row, s : s + m] = block * scale
    else:
        sfreq = float(emg_sfreq)
        data = _resampled(reader, path, idx, labels, rates, counts, scales, sfreq, memmap_bytes)
        parts.notes.append(
            "EMG resampled to %g Hz (polyphase): " % sfreq
            + ", ".join(f"{lbl} {r:g} Hz" for lbl, r in zip(labels, rates) if r != sfreq)
        )
    for gap in gap_events:
        if gap.stream == "emg":
            a = max(0, int(round(gap.start * sfreq)))
            b = min(data.shape[1], int(round(gap.end * sfreq)))
            data[:, a:b] = np.nan
    try:
        return EmgBlock(data, sfreq, assignment.channels, 0.0)
    except SessionValidationError as exc:
        raise SessionFileError(path, f"content is invalid: {exc}") from None


def _resampled(reader, path: str, idx: list[int], labels: list[str], rates: list[float], counts: list[int],
               scales: np.ndarray, sfreq: float, memmap_bytes: int) -> np.ndarray:
    from scipy.signal import resample_poly

    lengths = []
    ratios = []
    for lbl, r, n in zip(labels, rates, counts):
        ratio = Fraction(sfreq / r).limit_denominator(1000)
        if abs(float(ratio) - sfreq / r) > 1e-9 * sfreq / r:
            raise MappingError(
                f"{path}: cannot resample {lbl!r} from {r:g} Hz to {sfreq:g} Hz with a small rational ratio"
            )
        ratios.append(ratio)
        lengths.append(int(np.ceil(n * ratio.numerator / ratio.denominator)))
    n_out = min(lengths)
    data = allocate_emg(len(idx), n_out, memmap_bytes=memmap_bytes)
    for row, (i, ratio, scale) in enumerate(zip(idx, ratios, scales)):
        with library_errors(path, f"signal {labels[row]!r} cannot be read"):
            x = reader.readSignal(i)
        y = x if ratio == 1 else resample_poly(x, ratio.numerator, ratio.denominator)
        data[row] = y[:n_out] * scale
    return data
