"""sEMG features of long recordings (hours to days) in bounded memory.

A 72-hour, 8-channel, 2 kHz recording is 4.1 billion samples (16.6 GB as
float32): it is read block by block from the memory-mapped native file
(:func:`acquisition.native.read_session`), and the pages of each processed
block are handed back to the operating system (``madvise(MADV_DONTNEED)``),
so the process's memory stays bounded by the block size, whatever the
recording length.

Differences from :func:`models.features.fusion.extract_features`:

* **Causal filtering.** The same band-pass/notch design and envelope
  low-pass are applied forwards only (``scipy.signal.sosfilt`` with the
  filter state carried from block to block, so the result does not depend on
  the block size). Zero-phase filtering needs the future of the signal and is
  not possible in one streaming pass: the magnitude response is ``|H|``
  instead of ``|H|^2`` (the same -3 dB edges become -6 dB ones in the
  zero-phase version), and the output is delayed by the filters' group delay
  (a few ms for the band-pass; about 0.1 s for the 6 Hz envelope low-pass).
  Amplitude and spectral measures agree with the zero-phase ones to within a
  few percent; absolute onset times are later by the envelope delay, but left
  and right are delayed alike, so onset *differences* are unaffected.
* **Streaming spectra.** Whole-recording spectra are Welch averages over
  non-overlapping Hann windows on a fixed grid, accumulated block by block
  (window length as for tasks, 0.25 s). Task repetitions and rest stretches
  (short) are buffered and get the usual 50 % overlap Welch spectrum.
* **Involuntary activity.** Outside the protocol tasks (1 s margin after each)
  each channel's envelope, decimated to 100 Hz, is compared with a threshold:
  the rest level (mean + 3 SD of the rest envelope, and at least twice its
  mean) when the recording has rest stretches, else twice the running median
  of the last 5 minutes. An
  *activation episode* is a stretch above threshold lasting at least 0.2 s
  (stretches less than 0.2 s apart are merged); a *co-activation episode*
  (synkinesis) is such a stretch in which two muscles of a pair
  (:data:`~models.features.names.SYNKINESIS_PAIRS`) on the same side are
  active together.
"""

from __future__ import annotations

import math
import mmap
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.fft as sfft
from scipy import signal

from acquisition.session import EmgBlock, Session

from . import emg as E
from .emg_measures import ACTIVE_SD, LEAD_S, Stretch, emg_design, rest_levels, stretch_measures
from .errors import FeatureError
from .fusion import clinical_measures
from .measures import Measures, orient
from .names import OUTSIDE, SYNKINESIS_PAIRS, long_feature_names, long_feature_specs, long_recipes
from .record import Recorder
from .segments import rest_intervals, task_intervals
from .side import decide_side
from .table import FeatureTable

#: Default block length, s (rounded to whole Welch windows).
BLOCK_S = 30.0
#: Episodes shorter than this are not counted, s.
EPISODE_MIN_S = 0.2
#: Active stretches closer than this are merged, s.
EPISODE_MERGE_S = 0.2
#: Margin after each task excluded from "outside tasks", s.
TASK_MARGIN_S = 1.0
#: Decimated envelope rate for episode detection, Hz.
EPISODE_RATE_HZ = 100.0
#: Episode threshold: at least this x the rest mean; without rest, this x the running median ...
ADAPTIVE_FACTOR = 2.0
#: ... over this many seconds.
BASELINE_WINDOW_S = 300.0
#: Task/rest stretches longer than this keep sums only (no buffered envelope or spectrum), s.
MAX_BUFFERED_STRETCH_S = 120.0


# ------------------------------------------------------------- accumulators
class WelchAccumulator:
    """Welch PSD over non-overlapping Hann windows, fed block by block.

    Windows lie on a fixed grid of ``nperseg`` samples; a window counts only
    when all its samples are valid. Its scaling matches
    :func:`scipy.signal.welch` (one-sided density, V^2/Hz, constant detrend).

    Parameters
    ----------
    n_channels : int
    nperseg : int
        Window length, samples.
    sfreq : float
        Sampling rate, Hz.
    """

    def __init__(self, n_channels: int, nperseg: int, *, sfreq: float) -> None:
        self.nperseg = int(nperseg)
        self.sfreq = float(sfreq)
        self.window = signal.get_window("hann", self.nperseg).astype(np.float32)
        self.sum = np.zeros((n_channels, self.nperseg // 2 + 1))
        self.count = 0

    def add(self, x: np.ndarray, valid: np.ndarray) -> None:
        """Add whole windows of a block.

        Parameters
        ----------
        x : ndarray, shape (n_channels, k * nperseg)
            Must start on the window grid.
        valid : ndarray of bool, shape (k * nperseg,)
        """
        k = x.shape[1] // self.nperseg
        if k == 0:
            return
        ok = valid[: k * self.nperseg].reshape(k, self.nperseg).all(axis=1)
        if not ok.any():
            return
        seg = x[:, : k * self.nperseg].reshape(x.shape[0], k, self.nperseg)[:, ok, :]
        seg = seg - seg.mean(axis=2, keepdims=True)
        spec = sfft.rfft(seg * self.window, axis=2)
        self.sum += (spec.real**2 + spec.imag**2).sum(axis=1)
        self.count += int(ok.sum())

    def psd(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(freqs in Hz, psd in V^2/Hz of shape (n_channels, n_freqs)), or None without a window."""
        if self.count == 0:
            return None
        scale = 1.0 / (self.sfreq * float((self.window.astype(np.float64) ** 2).sum()))
        psd = self.sum / self.count * scale
        psd[:, 1:] *= 2
        if self.nperseg % 2 == 0:
            psd[:, -1] /= 2
        return np.fft.rfftfreq(self.nperseg, 1 / self.sfreq), psd


class RunCounter:
    """Counts runs of True lasting at least ``min_len`` frames across blocks.

    Runs separated by fewer than ``merge`` False frames are one run (the gap
    counts towards its length). Feeding a signal in blocks gives the same
    count as feeding it whole.
    """

    def __init__(self, *, min_len: int, merge: int) -> None:
        self.min_len = max(1, int(min_len))
        self.merge = int(merge)
        self.count = 0
        self.active = 0
        self._open = False
        self._length = 0
        self._gap = 0
        self._counted = False

    def update(self, x: np.ndarray) -> None:
        """Feed the next block of booleans, shape (n,)."""
        x = np.asarray(x, dtype=bool)
        self.active += int(x.sum())
        edges = np.flatnonzero(np.diff(np.concatenate(([False], x, [False])).astype(np.int8)))
        last_end = -self._gap
        for s, e in zip(edges[::2], edges[1::2]):
            gap = s - last_end
            if self._open and gap < self.merge:
                self._length += gap + (e - s)
            else:
                self._open, self._length, self._counted = True, e - s, False
            if not self._counted and self._length >= self.min_len:
                self.count += 1
                self._counted = True
            last_end = e
        if self._open:
            self._gap = x.size - last_end
            if self._gap >= self.merge:
                self._open = False


# ----------------------------------------------------------------- page release
#: Released pages start this many bytes before a block: page faults map neighbouring cached pages too
#: ("fault-around", 64 KiB on Linux), including pages of the block before, which must not stay mapped.
_RELEASE_MARGIN = 1 << 20


def _page_releaser(array: np.ndarray) -> Callable[[int, int], None] | None:
    """A function that drops the resident pages of columns [c0, c1) of a memory-mapped 2-D array.

    Each call also releases the 1 MiB before ``c0`` of every row, which page
    fault-around may have mapped again while the block was read.
    """
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    if base is None or array.ndim != 2 or array.strides[1] != array.itemsize:
        return None
    mm = base
    start_addr = np.frombuffer(mm, dtype=np.uint8).ctypes.data
    row_addrs = [array.ctypes.data + r * array.strides[0] - start_addr for r in range(array.shape[0])]
    page = mmap.PAGESIZE
    size = len(mm)

    def release(c0: int, c1: int) -> None:
        for addr in row_addrs:
            lo = max(0, addr + c0 * array.itemsize - _RELEASE_MARGIN)
            hi = min(size, addr + c1 * array.itemsize)
            lo -= lo % page
            if hi > lo:
                mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)

    return release


# ------------------------------------------------------------------ stretches
@dataclass
class _Pending:
    """A task repetition or rest stretch being collected from the blocks."""

    task: str
    w0: int  # first sample of the window (lead included)
    i0: int  # first sample of the stretch proper
    i1: int  # end (exclusive)
    buffered: bool
    clean: list[np.ndarray] = field(default_factory=list)
    env: list[np.ndarray] = field(default_factory=list)
    valid: list[np.ndarray] = field(default_factory=list)
    sums: list[np.ndarray] = field(default_factory=list)

    def take(self, b0: int, clean: np.ndarray, env: np.ndarray, valid: np.ndarray) -> None:
        a, b = max(self.w0, b0) - b0, min(self.i1, b0 + clean.shape[1]) - b0
        if b <= a:
            return
        inner = slice(max(self.i0, b0) - b0, b)
        if self.buffered:
            self.env.append(env[:, a:b].copy())
            self.valid.append(valid[a:b].copy())
            if inner.stop > inner.start:
                self.clean.append(clean[:, inner].copy())
        if inner.stop > inner.start:
            ok = valid[inner]
            c = clean[:, inner][:, ok].astype(np.float64)
            e = env[:, inner][:, ok].astype(np.float64)
            self.sums.append(np.stack([(c * c).sum(1), np.abs(c).sum(1), e.sum(1), (e * e).sum(1),
                                       np.full(c.shape[0], ok.sum())]))

    def finish(self, *, sfreq: float, nperseg: int) -> Stretch | None:
        if not self.sums:
            return None
        total = np.sum(self.sums, axis=0)
        n = int(total[4, 0])
        if n < max(8, int(0.1 * sfreq)) or n < 0.5 * (self.i1 - self.i0):
            return None
        psd = env = None
        lead = self.i0 - self.w0
        if self.buffered:
            valid = np.concatenate(self.valid)
            clean = np.concatenate(self.clean, axis=1)
            if valid.all():
                env = np.concatenate(self.env, axis=1)
                if clean.shape[1] >= nperseg:
                    _, psd = E.emg_psd(clean, sfreq=sfreq)
        return Stretch(total[0], total[1], n, psd, env, lead, total[2], total[3], n)


# -------------------------------------------------------------- main entry
@dataclass
class _Filters:
    sos: np.ndarray
    env_sos: np.ndarray
    zi: np.ndarray | None = None
    zi_env: np.ndarray | None = None

    def run(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.zi is None:
            self.zi = (signal.sosfilt_zi(self.sos)[:, None, :] * raw[None, :, :1]).astype(np.float32)
        clean, self.zi = signal.sosfilt(self.sos, raw, axis=1, zi=self.zi)
        rect = np.abs(clean)
        if self.zi_env is None:
            self.zi_env = (signal.sosfilt_zi(self.env_sos)[:, None, :] * rect[None, :, :1]).astype(np.float32)
        env, self.zi_env = signal.sosfilt(self.env_sos, rect, axis=1, zi=self.zi_env)
        return clean, env


def _mask(n: int, b0: int, ranges: np.ndarray) -> np.ndarray:
    """True where samples b0..b0+n fall in one of ``ranges`` (k, 2) sample intervals."""
    out = np.zeros(n, dtype=bool)
    if ranges.size:
        first = np.searchsorted(ranges[:, 1], b0, side="right")
        for a, b in ranges[first:]:
            if a >= b0 + n:
                break
            out[max(a - b0, 0):max(b - b0, 0)] = True
    return out


def _read(emg: EmgBlock, c0: int, c1: int, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    raw = np.array(emg.data[:, c0:c1], dtype=np.float32)
    valid = np.isfinite(raw).all(axis=0) & ~_mask(c1 - c0, c0, gaps)
    raw[:, ~valid] = 0.0
    return raw, valid


def stream_emg_features(
    session: Session,
    *,
    powerline: float | str | None = "auto",
    band: tuple[float, float] = E.DEFAULT_BAND,
    block_s: float = BLOCK_S,
    session_id: str | None = None,
) -> FeatureTable:
    """sEMG features of a recording of any length, in one causal streaming pass.

    Parameters
    ----------
    session : Session
        With EMG; typically memory-mapped (:func:`acquisition.native.read_session`).
    powerline : float, 'auto' or None
        Powerline frequency to notch, Hz ('auto': detect 50/60 Hz in the first 30 s).
    band : (float, float)
        Band-pass edges, Hz.
    block_s : float
        Block length, s; results do not depend on it, memory does.
    session_id : str, optional
        Content hash of the session.

    Returns
    -------
    FeatureTable
        Names :func:`~models.features.names.long_feature_names` (the clinical
        and sEMG features of the catalogue, then whole-recording ones); no scores.
    """
    emg = session.emg
    if emg is None:
        raise FeatureError("session has no EMG; long-recording features need an EMG stream")
    if not (isinstance(block_s, (int, float)) and math.isfinite(block_s) and block_s > 0):
        raise FeatureError(f"block length {block_s!r} s is invalid; expected a number > 0")
    recorder = Recorder()
    sfreq = emg.sfreq
    design = emg_design(session, recorder=recorder, powerline=powerline, band=band, zero_phase=False)
    env_sos = E.lowpass_sos(sfreq=sfreq, cutoff=E.ENVELOPE_LOWPASS_HZ)
    nperseg = E.welch_nperseg(sfreq=sfreq, n_samples=2**62)
    decim = max(1, int(round(sfreq / EPISODE_RATE_HZ)))
    grid = nperseg * decim // math.gcd(nperseg, decim)
    block = max(grid, int(round(block_s * sfreq / grid)) * grid)
    n = emg.n_samples
    idx = lambda t: int(min(max(round((t - emg.t0) * sfreq), 0), n))  # noqa: E731
    gaps = np.array(sorted((idx(g.start), idx(g.end)) for g in session.gaps if g.stream == "emg"),
                    dtype=np.int64).reshape(-1, 2)
    in_task = np.array(sorted((idx(s.start), idx(s.end + TASK_MARGIN_S)) for s in session.segments),
                       dtype=np.int64).reshape(-1, 2)
    release = _page_releaser(emg.data)
    settle = design.settle_samples + E.settle_samples(env_sos)

    # rest level first: it sets the episode thresholds
    rest = []
    for a, b in rest_intervals(session, recorder=recorder):
        i0, i1 = idx(a), idx(b)
        w0 = max(0, i0 - settle)
        pend = _Pending("rest", i0, i0, i1, buffered=False)
        filt = _Filters(design.sos.astype(np.float32), env_sos.astype(np.float32))
        for c0 in range(w0, i1, block):
            raw, valid = _read(emg, c0, min(i1, c0 + block), gaps)
            clean, env = filt.run(raw)
            pend.take(c0, clean, env, valid)
        if (s := pend.finish(sfreq=sfreq, nperseg=nperseg)) is not None:
            rest.append(s)
    levels = rest_levels(rest)
    chans = emg.channels
    if levels is not None:
        thresholds = np.maximum(levels[2] + ACTIVE_SD * levels[3], ADAPTIVE_FACTOR * levels[2])
        recorder.step(f"Involuntary activity outside tasks was detected against the resting level: envelope above "
                      f"its rest mean + {ACTIVE_SD:g} SD and at least {ADAPTIVE_FACTOR:g} x the rest mean.",
                      **{"long.threshold": "rest", "long.rest_factor": ADAPTIVE_FACTOR})
    else:
        thresholds = None
        recorder.step(f"Involuntary activity outside tasks was detected against {ADAPTIVE_FACTOR:g} x the running "
                      f"median of each envelope over the last {BASELINE_WINDOW_S:g} s (no rest stretch).",
                      **{"long.threshold": "adaptive", "long.adaptive_factor": ADAPTIVE_FACTOR,
                         "long.baseline_window_s": BASELINE_WINDOW_S})
    recorder.step(
        f"The recording was processed in blocks of {block / sfreq:g} s with the filter state carried between "
        f"blocks (causal filtering; zero-phase filtering is not possible in one streaming pass). Whole-recording "
        f"spectra are Welch averages over non-overlapping {nperseg / sfreq * 1000:g} ms Hann windows outside tasks; "
        f"activation episodes last at least {EPISODE_MIN_S:g} s above threshold (envelope decimated to "
        f"{sfreq / decim:g} Hz; gaps under {EPISODE_MERGE_S:g} s merged), and co-activation episodes are such "
        f"episodes of two muscles of a synkinesis pair together on one side, outside tasks (+{TASK_MARGIN_S:g} s).",
        **{"long.block_s": block / sfreq, "long.episode_min_s": EPISODE_MIN_S,
           "long.episode_merge_s": EPISODE_MERGE_S, "long.task_margin_s": TASK_MARGIN_S,
           "long.episode_rate_hz": sfreq / decim})

    # task repetitions, collected during the main pass
    pending: list[_Pending] = []
    for task, reps in task_intervals(session, recorder=recorder).items():
        if task == "rest":
            continue
        for a, b in reps:
            i0, i1 = idx(a), idx(b)
            w0 = max(0, i0 - int(round(LEAD_S * sfreq)))
            pending.append(_Pending(task, w0, i0, i1, buffered=(i1 - w0) <= MAX_BUFFERED_STRETCH_S * sfreq))
    pending.sort(key=lambda p: p.w0)
    done: dict[str, list[Stretch]] = {}

    n_ch = len(chans)
    welch = WelchAccumulator(n_ch, nperseg, sfreq=sfreq)
    sumsq = np.zeros(n_ch)
    n_out = n_out_frames = 0
    min_len = int(math.ceil(EPISODE_MIN_S * sfreq / decim))
    merge = int(round(EPISODE_MERGE_S * sfreq / decim))
    counters = [RunCounter(min_len=min_len, merge=merge) for _ in chans]
    pairs = []
    for first, second in SYNKINESIS_PAIRS:
        for side in ("left", "right"):
            a, b = emg.index(first, side), emg.index(second, side)
            if a is not None and b is not None:
                pairs.append((first, second, side, a, b, RunCounter(min_len=min_len, merge=merge)))
    medians: list[np.ndarray] = []
    keep_medians = max(1, int(round(BASELINE_WINDOW_S / (block / sfreq))))
    filt = _Filters(design.sos.astype(np.float32), env_sos.astype(np.float32))
    next_pending = 0
    active_pending: list[_Pending] = []
    for b0 in range(0, n, block):
        b1 = min(n, b0 + block)
        raw, valid = _read(emg, b0, b1, gaps)
        clean, env = filt.run(raw)
        if release is not None:
            release(b0, b1)
        while next_pending < len(pending) and pending[next_pending].w0 < b1:
            active_pending.append(pending[next_pending])
            next_pending += 1
        for p in list(active_pending):
            p.take(b0, clean, env, valid)
            if p.i1 <= b1:
                active_pending.remove(p)
                if (s := p.finish(sfreq=sfreq, nperseg=nperseg)) is not None:
                    done.setdefault(p.task, []).append(s)
        outside = valid & ~_mask(b1 - b0, b0, in_task)
        if outside.any():
            c = clean if outside.all() else clean[:, outside]
            sumsq += np.einsum("ij,ij->i", c, c, dtype=np.float64)
            n_out += int(outside.sum())
        welch.add(clean, outside)
        dec_env = env[:, ::decim]
        dec_out = outside[::decim]
        n_out_frames += int(dec_out.sum())
        if thresholds is None:
            medians.append(np.median(dec_env, axis=1))
            medians = medians[-keep_medians:]
            thr = ADAPTIVE_FACTOR * np.median(np.stack(medians), axis=0)
        else:
            thr = thresholds
        active = (dec_env > thr[:, None]) & dec_out
        for ch, counter in enumerate(counters):
            counter.update(active[ch])
        for *_, a, b, counter in pairs:
            counter.update(active[a] & active[b])
    for p in active_pending:
        if (s := p.finish(sfreq=sfreq, nperseg=nperseg)) is not None:
            done.setdefault(p.task, []).append(s)

    measures = clinical_measures(session)
    measures.update(stretch_measures(emg, rest, done, freqs=np.fft.rfftfreq(nperseg, 1 / sfreq), band=design.band,
                                     recorder=recorder))
    measures.update(_outside_measures(emg, sumsq, n_out, n_out_frames, welch, counters, pairs, design.band))
    if n_out == 0:
        recorder.warn("long.no_outside", "the recording has no valid sEMG outside protocol tasks: whole-recording "
                      "features are unavailable")
    decision = decide_side(session.subject, measures, recorder=recorder)
    names = long_feature_names()
    values = orient(measures, long_recipes(), names, affected=decision.side)
    return FeatureTable(long_feature_specs(), values, decision.side, decision.source, recorder.finish(), None,
                        session_id)


def _outside_measures(emg: EmgBlock, sumsq: np.ndarray, n_out: int, n_frames: int, welch: WelchAccumulator,
                      counters: list[RunCounter], pairs: list, band: tuple[float, float]) -> Measures:
    out = Measures()
    if n_out == 0:
        return out
    hours = n_out / emg.sfreq / 3600.0
    out.put_single(f"emg.recording.hours.{OUTSIDE}", hours)
    spectrum = welch.psd()
    for c, ch in enumerate(emg.channels):
        g = f"emg.{ch.muscle}"
        out.put(f"{g}.rms.{OUTSIDE}", ch.side, math.sqrt(sumsq[c] / n_out))
        if spectrum is not None:
            freqs, psd = spectrum
            out.put(f"{g}.mdf.{OUTSIDE}", ch.side, float(E.emg_median_frequency(freqs, psd[c], band=band)))
            out.put(f"{g}.hf_fraction.{OUTSIDE}", ch.side,
                    float(E.emg_power_fraction(freqs, psd[c], above=E.HIGH_FREQUENCY_HZ, band=band)))
        out.put(f"{g}.activation_episodes.{OUTSIDE}", ch.side, counters[c].count)
        out.put(f"{g}.activation_per_h.{OUTSIDE}", ch.side, counters[c].count / hours)
        out.put(f"{g}.active_fraction.{OUTSIDE}", ch.side, counters[c].active / max(n_frames, 1))
    for first, second, side, _a, _b, counter in pairs:
        g = f"emg.{first}-{second}"
        out.put(f"{g}.coactivation_episodes.{OUTSIDE}", side, counter.count)
        out.put(f"{g}.coactivation_per_h.{OUTSIDE}", side, counter.count / hours)
    return out
