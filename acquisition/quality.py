"""Data-quality checks on a Session, returning :class:`~acquisition.session.QualityIssue` s.

Every check is a pure function. EMG checks work on :class:`EmgStatistics`,
gathered by :func:`emg_statistics` in one pass over the recording in blocks
(bounded memory: a memory-mapped 24-hour recording is never loaded whole);
motion checks on the MotionBlock. :func:`check_quality` runs them all and is
what readers attach with ``session.with_quality(...)``.

Severity ``warning`` means the data can be used with care (the message gives
the numbers); ``error`` means the data concerned cannot be assessed.

Thresholds (module constants, all documented where defined):

================  ===========================================================
check             rule
================  ===========================================================
flat line         peak-to-peak below 0.01 uV within 0.5 s windows; error when
                  >= 95 % of the channel is flat, warning from 1 s in total
clipping          >= 5 samples (and >= 0.01 %) sitting exactly on the
                  channel's extreme value, in runs of >= 3; error from 5 %
powerline         50/60 Hz peak >= 10 dB above the neighbouring spectrum and
                  >= 0.5 uV RMS (Welch, 1 Hz bins, up to 30 windows of 1 s)
electrode pop     baseline step (difference of consecutive 20 ms means) > 8 x
                  the local signal spread (median of 20 ms standard deviations
                  over 220 ms) and > 0.1 mV
implausible unit  EMG 99th percentile |x| > 20 mV (probably mV/uV labelled V)
                  or < 0.1 uV on a channel that is not flat; face width
                  outside 40-400 mm for facial motion (m labelled mm, or
                  image coordinates)
missing samples   EMG samples that are NaN (dropouts), per channel
missing points    points NaN in > 20 % of the tracked frames; error when a
                  facial landmark is NaN in > 50 %
frame drops       frames with no point tracked; error from 50 %
low EMG rate      EMG sampled below 1 kHz (facial sEMG needs 1-5 kHz)
no facial points  motion whose points include no facial landmark
================  ===========================================================
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .face_mesh import LANDMARKS
from .session import FACE_MESH_SCHEMES, EmgBlock, MotionBlock, QualityIssue, Session

#: Peak-to-peak (V) below which a 0.5 s window counts as flat.
FLAT_PTP_V = 1e-8
FLAT_WINDOW_S = 0.5
FLAT_MIN_S = 1.0
FLAT_ERROR_FRACTION = 0.95
#: Clipping: samples on the extreme value.
CLIP_MIN_SAMPLES = 5
CLIP_MIN_FRACTION = 1e-4
CLIP_MIN_RUN = 3
CLIP_ERROR_FRACTION = 0.05
#: Powerline: peak over neighbouring spectrum, dB.
POWERLINE_MIN_DB = 10.0
#: ... and the interference itself at least this RMS amplitude, V.
POWERLINE_MIN_RMS_V = 0.5e-6
POWERLINE_WINDOWS = 30
#: Electrode pops.
POP_WINDOW_S = 0.02
POP_FACTOR = 8.0
POP_MIN_JUMP_V = 1e-4
#: Implausible EMG amplitude (99th percentile of |x|), V.
EMG_MAX_P99_V = 0.02
EMG_MIN_P99_V = 1e-7
EMG_MIN_RATE_HZ = 1000.0
#: Plausible face width (x extent of the facial points), mm.
FACE_WIDTH_MM = (40.0, 400.0)
MISSING_POINT_FRACTION = 0.2
MISSING_LANDMARK_ERROR = 0.5
FRAME_DROP_ERROR = 0.5

_BLOCK_SAMPLES = 1 << 18
_SUBSAMPLE_TARGET = 200_000


@dataclass
class ChannelStats:
    """Running statistics of one EMG channel (filled by :func:`emg_statistics`)."""

    name: str
    n_valid: int = 0
    n_nan: int = 0
    flat_windows: int = 0
    windows: int = 0
    max_value: float = -math.inf
    min_value: float = math.inf
    n_at_max: int = 0
    n_at_min: int = 0
    run_at_max: int = 0
    run_at_min: int = 0
    pop_times: list[float] = field(default_factory=list)
    pop_jumps: list[float] = field(default_factory=list)
    sample: list[np.ndarray] = field(default_factory=list)
    psd: np.ndarray | None = None
    psd_windows: int = 0

    def p99(self) -> float:
        """99th percentile of |x| over the subsample, V (NaN when empty)."""
        if not self.sample:
            return float("nan")
        values = np.concatenate(self.sample)
        values = values[np.isfinite(values)]
        return float(np.percentile(np.abs(values), 99)) if values.size else float("nan")


@dataclass
class EmgStatistics:
    """Per-channel statistics of an EmgBlock, gathered in one bounded-memory pass.

    Attributes
    ----------
    sfreq : float
        Hz.
    duration : float
        s.
    channels : list of ChannelStats
    freqs : ndarray, shape (n_freqs,), optional
        Frequencies of the averaged power spectra, Hz.
    """

    sfreq: float
    duration: float
    t0: float
    channels: list[ChannelStats]
    freqs: np.ndarray | None = None


def emg_statistics(emg: EmgBlock) -> EmgStatistics:
    """Scan ``emg`` once, block by block, and gather what the EMG checks need."""
    from scipy.signal import welch

    sfreq, n = emg.sfreq, emg.n_samples
    stats = EmgStatistics(sfreq, emg.duration, emg.t0, [ChannelStats(ch.name) for ch in emg.channels])
    flat_w = max(2, int(round(FLAT_WINDOW_S * sfreq)))
    pop_w = max(4, int(round(POP_WINDOW_S * sfreq)))
    unit = math.lcm(flat_w, pop_w)
    if unit > _BLOCK_SAMPLES:
        unit = max(flat_w, pop_w)
    block = unit * max(1, _BLOCK_SAMPLES // unit)
    step = max(1, (n * len(emg.channels)) // _SUBSAMPLE_TARGET)
    for start in range(0, n, block):
        data = np.asarray(emg.data[:, start : start + block], dtype=np.float64)
        for row, cs in zip(data, stats.channels):
            _scan_channel(cs, row, start, sfreq, flat_w, pop_w, step, emg.t0)
    nperseg = int(sfreq)
    if nperseg >= 64 and n >= nperseg:
        count = min(POWERLINE_WINDOWS, n // nperseg)
        for start in np.unique(np.linspace(0, n - nperseg, count).round().astype(np.int64)):
            seg = np.asarray(emg.data[:, start : start + nperseg], dtype=np.float64)
            for row, cs in zip(seg, stats.channels):
                if not np.all(np.isfinite(row)):
                    continue
                freqs, pxx = welch(row, fs=sfreq, nperseg=nperseg)
                stats.freqs = freqs
                cs.psd = pxx if cs.psd is None else cs.psd + pxx
                cs.psd_windows += 1
    return stats


def _scan_channel(cs: ChannelStats, x: np.ndarray, start: int, sfreq: float, flat_w: int, pop_w: int,
                  step: int, t0: float) -> None:
    finite = np.isfinite(x)
    n_valid = int(finite.sum())
    cs.n_valid += n_valid
    cs.n_nan += x.size - n_valid
    if n_valid == 0:
        return
    cs.sample.append(x[::step][finite[::step]].astype(np.float32))
    # flat windows (whole windows only, NaN windows skipped)
    m = (x.size // flat_w) * flat_w
    if m:
        w = x[:m].reshape(-1, flat_w)
        ok = np.all(np.isfinite(w), axis=1)
        if ok.any():
            ptp = np.ptp(w[ok], axis=1)
            cs.flat_windows += int(np.sum(ptp < FLAT_PTP_V))
            cs.windows += int(ok.sum())
    # extremes: count samples sitting exactly on the running max / min
    hi, lo = float(np.nanmax(x)), float(np.nanmin(x))
    for attr, value, better in (("max", hi, hi > cs.max_value), ("min", lo, lo < cs.min_value)):
        current = getattr(cs, f"{attr}_value")
        if better or value == current:
            hits = x == value
            count = int(hits.sum())
            run = _longest_run(hits) if count >= CLIP_MIN_RUN else 1
            if better:
                setattr(cs, f"{attr}_value", value)
                setattr(cs, f"n_at_{attr}", count)
                setattr(cs, f"run_at_{attr}", run)
            else:
                setattr(cs, f"n_at_{attr}", getattr(cs, f"n_at_{attr}") + count)
                setattr(cs, f"run_at_{attr}", max(getattr(cs, f"run_at_{attr}"), run))
    _scan_pops(cs, x, start, sfreq, pop_w, t0)


def _scan_pops(cs: ChannelStats, x: np.ndarray, start: int, sfreq: float, pop_w: int, t0: float) -> None:
    from scipy.ndimage import median_filter

    m = (x.size // pop_w) * pop_w
    if m < 3 * pop_w:
        return
    w = x[:m].reshape(-1, pop_w)
    means = w.mean(axis=1)
    spread = w.std(axis=1)
    level = median_filter(np.where(np.isfinite(spread), spread, np.inf), size=11, mode="nearest")
    jumps = np.abs(np.diff(means))
    local = np.maximum(level[:-1], level[1:])
    with np.errstate(invalid="ignore"):
        hit = (jumps > POP_FACTOR * local) & (jumps > POP_MIN_JUMP_V)
    idx = np.flatnonzero(hit)
    if idx.size:
        keep = idx[np.concatenate(([True], np.diff(idx) > 1))]
        for i in keep:
            cs.pop_times.append(t0 + (start + (i + 1) * pop_w) / sfreq)
            cs.pop_jumps.append(float(jumps[i]))


def _longest_run(mask: np.ndarray) -> int:
    if not mask.any():
        return 0
    padded = np.concatenate(([0], mask.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return int(np.max(edges[1::2] - edges[::2]))


# ------------------------------------------------------------ EMG checks
def flat_lines(stats: EmgStatistics) -> list[QualityIssue]:
    """Channels that are flat (no signal) for all or part of the recording."""
    out = []
    for cs in stats.channels:
        if not cs.windows:
            continue
        flat_s = cs.flat_windows * FLAT_WINDOW_S
        fraction = cs.flat_windows / cs.windows
        if fraction >= FLAT_ERROR_FRACTION:
            out.append(QualityIssue(
                "emg.flat", "error",
                f"EMG channel {cs.name!r} shows no EMG: constant (peak-to-peak < {FLAT_PTP_V * 1e6:g} uV within "
                f"{FLAT_WINDOW_S:g} s) for {100 * fraction:.0f}% of {cs.windows * FLAT_WINDOW_S:.1f} s (electrode off, "
                f"channel unused or not EMG)",
                "emg", cs.name,
            ))
        elif flat_s >= FLAT_MIN_S:
            out.append(QualityIssue(
                "emg.flat", "warning",
                f"EMG channel {cs.name!r} is flat for {flat_s:.1f} s ({100 * fraction:.1f}% of the recording)",
                "emg", cs.name,
            ))
    return out


def clipping(stats: EmgStatistics) -> list[QualityIssue]:
    """Channels that saturate: many samples sitting exactly on the extreme value."""
    out = []
    for cs in stats.channels:
        if cs.n_valid == 0 or cs.max_value == cs.min_value:
            continue
        parts = []
        total = 0
        for attr, value in (("max", cs.max_value), ("min", cs.min_value)):
            count, run = getattr(cs, f"n_at_{attr}"), getattr(cs, f"run_at_{attr}")
            if count >= max(CLIP_MIN_SAMPLES, CLIP_MIN_FRACTION * cs.n_valid) and run >= CLIP_MIN_RUN:
                parts.append(f"{count} samples at {value * 1e3:.4g} mV (runs up to {run})")
                total += count
        if parts:
            fraction = total / cs.n_valid
            severity = "error" if fraction >= CLIP_ERROR_FRACTION else "warning"
            out.append(QualityIssue(
                "emg.clipping", severity,
                f"EMG channel {cs.name!r} is clipped: {'; '.join(parts)}, {100 * fraction:.2f}% of its samples",
                "emg", cs.name,
            ))
    return out


def powerline(stats: EmgStatistics, *, mains_hz: float | None = None) -> list[QualityIssue]:
    """Channels with 50 or 60 Hz mains interference standing out of the spectrum.

    Parameters
    ----------
    mains_hz : float, optional
        Check only this frequency (Hz); default: both 50 and 60 Hz.
    """
    out: list[QualityIssue] = []
    if stats.freqs is None:
        return out
    freqs = stats.freqs
    candidates = (mains_hz,) if mains_hz else (50.0, 60.0)
    for cs in stats.channels:
        if cs.psd is None:
            continue
        psd = cs.psd / cs.psd_windows
        best = None
        for f0 in candidates:
            if f0 + 12 >= stats.sfreq / 2:
                continue
            in_peak = (freqs >= f0 - 1) & (freqs <= f0 + 1)
            near = psd[((freqs >= f0 - 12) & (freqs <= f0 - 3)) | ((freqs >= f0 + 3) & (freqs <= f0 + 12))]
            base = float(np.median(near)) if near.size else 0.0
            if not in_peak.any() or base <= 0:
                continue
            db = 10 * math.log10(float(psd[in_peak].max()) / base)
            rms = math.sqrt(max(0.0, float(np.sum(psd[in_peak] - base)) * float(freqs[1] - freqs[0])))
            if db >= POWERLINE_MIN_DB and rms >= POWERLINE_MIN_RMS_V and (best is None or db > best[1]):
                best = (f0, db, rms)
        if best is not None:
            out.append(QualityIssue(
                "emg.powerline", "warning",
                f"EMG channel {cs.name!r} has {best[0]:g} Hz mains interference of {best[2] * 1e6:.3g} uV RMS, "
                f"{best[1]:.1f} dB above the neighbouring spectrum ({cs.psd_windows} windows of 1 s); check "
                f"electrode contact and grounding",
                "emg", cs.name,
            ))
    return out


def electrode_pops(stats: EmgStatistics) -> list[QualityIssue]:
    """Channels with sudden baseline steps (electrode pops / movement artefacts)."""
    out = []
    for cs in stats.channels:
        if not cs.pop_times:
            continue
        times = ", ".join(f"{t:.2f}" for t in cs.pop_times[:5]) + (" ..." if len(cs.pop_times) > 5 else "")
        out.append(QualityIssue(
            "emg.pop", "warning",
            f"EMG channel {cs.name!r} has {len(cs.pop_times)} electrode pop(s) (baseline steps up to "
            f"{max(cs.pop_jumps) * 1e3:.3g} mV) at {times} s",
            "emg", cs.name,
        ))
    return out


def emg_units(stats: EmgStatistics) -> list[QualityIssue]:
    """Channels whose amplitude is implausible for surface EMG in volts (a unit label is probably wrong)."""
    out = []
    flat = {i.channel for i in flat_lines(stats) if i.severity == "error"}
    for cs in stats.channels:
        p99 = cs.p99()
        if not math.isfinite(p99) or cs.name in flat:
            continue
        if p99 > EMG_MAX_P99_V:
            out.append(QualityIssue(
                "emg.units", "error",
                f"EMG channel {cs.name!r} has a 99th-percentile amplitude of {p99:.4g} V; surface EMG stays below "
                f"~10 mV, so the values are probably in mV or uV but labelled V",
                "emg", cs.name,
            ))
        elif p99 < EMG_MIN_P99_V:
            out.append(QualityIssue(
                "emg.units", "error",
                f"EMG channel {cs.name!r} has a 99th-percentile amplitude of {p99:.3g} V, below any amplifier's "
                f"noise floor (~0.1 uV); the values are probably in V but labelled mV or uV",
                "emg", cs.name,
            ))
    return out


def emg_missing(stats: EmgStatistics) -> list[QualityIssue]:
    """Channels with NaN samples (dropouts; see the session's gaps)."""
    out = []
    for cs in stats.channels:
        if not cs.n_nan:
            continue
        total = cs.n_nan + cs.n_valid
        severity = "error" if cs.n_valid == 0 else "warning"
        out.append(QualityIssue(
            "emg.missing", severity,
            f"EMG channel {cs.name!r} has no data for {cs.n_nan / stats.sfreq:.2f} s "
            f"({100 * cs.n_nan / total:.1f}% of its samples)",
            "emg", cs.name,
        ))
    return out


def emg_rate(emg: EmgBlock) -> list[QualityIssue]:
    """EMG sampled too slowly for facial surface EMG (1-5 kHz)."""
    if emg.sfreq >= EMG_MIN_RATE_HZ:
        return []
    return [QualityIssue(
        "emg.low_rate", "warning",
        f"EMG is sampled at {emg.sfreq:g} Hz; facial sEMG needs 1-5 kHz, so content above "
        f"{emg.sfreq / 2:g} Hz (and the > 200 Hz power features) is unavailable",
        "emg",
    )]


# --------------------------------------------------------- motion checks
def _facial_indices(motion: MotionBlock) -> np.ndarray:
    if motion.scheme in FACE_MESH_SCHEMES:
        return np.array(sorted(i for i in LANDMARKS.values() if i < motion.n_points))
    names = {n: i for i, n in enumerate(motion.point_names)}
    return np.array([names[p] for p in motion.facial_points], dtype=int)


def _frame_sample(motion: MotionBlock, limit: int = 2000) -> np.ndarray:
    step = max(1, motion.n_frames // limit)
    return np.asarray(motion.in_mm()[::step], dtype=np.float64)


def motion_not_facial(motion: MotionBlock) -> list[QualityIssue]:
    """Motion without facial landmarks: facial motion measures will not be available."""
    if motion.is_facial:
        return []
    return [QualityIssue(
        "motion.not_facial", "warning",
        f"motion has {motion.n_points} points ({motion.scheme}) but none is a facial landmark: facial motion "
        f"measures will not be available (map marker labels to landmarks in a mapping file)",
        "motion",
    )]


def motion_units(motion: MotionBlock) -> list[QualityIssue]:
    """Facial motion whose size in mm is implausible (wrong unit label, image coordinates)."""
    idx = _facial_indices(motion)
    if idx.size < 2:
        return []
    frames = _frame_sample(motion)[:, idx, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        widths = np.nanmax(frames, axis=1) - np.nanmin(frames, axis=1)
    widths = widths[np.isfinite(widths)]
    if widths.size == 0:
        return []
    width = float(np.median(widths))
    low, high = FACE_WIDTH_MM
    if low <= width <= high:
        return []
    hint = "the coordinates are probably in m or cm (or image units) labelled mm" if width < low else (
        "the coordinates are probably in a smaller unit than labelled")
    return [QualityIssue(
        "motion.units", "error",
        f"facial points span {width:.4g} mm across (labelled {motion.units}); faces are {low:g}-{high:g} mm wide, "
        f"so {hint}",
        "motion",
    )]


def missing_points(motion: MotionBlock) -> list[QualityIssue]:
    """Points that are not tracked in many frames (frames with no point at all are frame drops)."""
    data = _frame_sample(motion)
    nan = np.isnan(data).any(axis=2)
    tracked = ~nan.all(axis=1)
    if not tracked.any():
        return []
    fraction = nan[tracked].mean(axis=0)
    out = []
    facial = set(_facial_indices(motion).tolist())
    names = motion.point_names
    bad_facial = [i for i in np.flatnonzero(fraction > MISSING_LANDMARK_ERROR) if i in facial]
    if bad_facial:
        listed = ", ".join(f"{names[i]} ({100 * fraction[i]:.0f}%)" for i in bad_facial[:10])
        out.append(QualityIssue(
            "motion.missing_points", "error",
            f"{len(bad_facial)} facial landmark point(s) are missing in more than {100 * MISSING_LANDMARK_ERROR:.0f}% "
            f"of the tracked frames: {listed}{' ...' if len(bad_facial) > 10 else ''}",
            "motion",
        ))
    others = [i for i in np.flatnonzero(fraction > MISSING_POINT_FRACTION) if i not in bad_facial]
    if others:
        listed = ", ".join(f"{names[i]} ({100 * fraction[i]:.0f}%)" for i in others[:10])
        out.append(QualityIssue(
            "motion.missing_points", "warning",
            f"{len(others)} point(s) are missing in more than {100 * MISSING_POINT_FRACTION:.0f}% of the tracked "
            f"frames: {listed}{' ...' if len(others) > 10 else ''}",
            "motion",
        ))
    return out


def frame_drops(motion: MotionBlock) -> list[QualityIssue]:
    """Frames in which no point was tracked (dropped frames, face lost)."""
    lost = np.zeros(motion.n_frames, dtype=bool)
    step = 4096
    for start in range(0, motion.n_frames, step):
        lost[start : start + step] = np.isnan(np.asarray(motion.data[start : start + step])).all(axis=(1, 2))
    n_lost = int(lost.sum())
    if not n_lost:
        return []
    fraction = n_lost / motion.n_frames
    longest = _longest_run(lost) / motion.sfreq
    return [QualityIssue(
        "motion.frame_drops", "error" if fraction >= FRAME_DROP_ERROR else "warning",
        f"{n_lost} of {motion.n_frames} motion frames ({100 * fraction:.1f}%) have no tracked point; "
        f"longest run {longest:.2f} s",
        "motion",
    )]


# --------------------------------------------------------------- all
def check_quality(session: Session, *, mains_hz: float | None = None) -> tuple[QualityIssue, ...]:
    """Run every check on ``session``.

    Parameters
    ----------
    session : Session
    mains_hz : float, optional
        Mains frequency of the recording site (50 or 60 Hz), if known.

    Returns
    -------
    tuple of QualityIssue
        EMG findings first, then motion, each in a fixed order.
    """
    issues: list[QualityIssue] = []
    if session.emg is not None:
        stats = emg_statistics(session.emg)
        issues += emg_rate(session.emg)
        issues += emg_missing(stats)
        issues += flat_lines(stats)
        issues += clipping(stats)
        issues += emg_units(stats)
        issues += powerline(stats, mains_hz=mains_hz)
        issues += electrode_pops(stats)
    if session.motion is not None:
        m = session.motion
        issues += motion_not_facial(m)
        issues += motion_units(m)
        issues += frame_drops(m)
        issues += missing_points(m)
    return tuple(issues)
