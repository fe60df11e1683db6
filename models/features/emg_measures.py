"""Per-task sEMG measures of a session, per muscle and side.

For every task repetition (and the rest stretches) the raw sEMG of the
stretch plus enough context for the filters to settle is cleaned
(:func:`~models.features.emg.emg_clean`, zero phase) and enveloped;
stretches whose contexts touch share one chunk of at most 5 minutes, so a
session of any length - including a memory-mapped multi-hour recording - is
processed a chunk at a time and never loaded whole. Repetitions of a
task are pooled: RMS and MAV over all their samples, the Welch spectrum
averaged, onset latencies and envelope correlations by their median.

Measure keys (per side; see :mod:`models.features.names` for the features):
``emg.<muscle>.{rms,mav}.<task>`` (V), ``rms_rest_norm``/``mav_rest_norm``
(task / rest), ``mdf``/``mnf`` (Hz), ``hf_fraction`` (power above 200 Hz),
``onset`` (s after the cue), ``coactivation`` and ``xcorr`` (a non-target
muscle against the task's first recorded target muscle on the same side).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from acquisition.protocol import STANDARD_PROTOCOL
from acquisition.session import EmgBlock, Session

from . import emg as E
from .errors import FeatureError
from .measures import Measures
from .names import FACIAL_MUSCLES
from .record import Recorder
from .segments import rest_intervals, task_intervals

#: Envelope kept before each cue to find the onset, s.
LEAD_S = 0.5
#: Onset threshold: this fraction of the rise from the resting level to the task peak.
ONSET_FRACTION = 0.2
#: A muscle is "active" when its envelope exceeds rest mean + this many rest SDs.
ACTIVE_SD = 3.0
#: Largest lag searched in envelope cross-correlation, s.
XCORR_MAX_LAG_S = 0.2
#: Rate the envelopes are decimated to for correlation, Hz.
ENVELOPE_RATE_HZ = 100.0
#: Length of raw signal used to detect the powerline frequency, s.
POWERLINE_EXCERPT_S = 30.0
#: Stretches with less valid signal than this fraction are skipped.
MIN_VALID_FRACTION = 0.5
#: Longest chunk of signal cleaned at once (stretches closer together share one), s.
MAX_CHUNK_S = 300.0


@dataclass
class Stretch:
    """Statistics of one stretch (a task repetition or a rest stretch), all channels.

    Attributes
    ----------
    sumsq, sumabs : ndarray, shape (n_channels,)
        Sums of squares (V^2) and of absolute values (V) of the cleaned sEMG.
    n : int
        Valid samples summed.
    psd : ndarray, shape (n_channels, n_freqs), optional
        Welch spectrum (V^2/Hz) on the standard frequency grid.
    env : ndarray, shape (n_channels, lead + n), optional
        Envelope (V) from ``lead`` samples before the stretch to its end.
    lead : int
        Samples of envelope before the stretch start.
    env_sum, env_sumsq : ndarray, shape (n_channels,)
        Sums of the envelope and its square over the stretch proper.
    env_n : int
    """

    sumsq: np.ndarray
    sumabs: np.ndarray
    n: int
    psd: np.ndarray | None
    env: np.ndarray | None
    lead: int
    env_sum: np.ndarray
    env_sumsq: np.ndarray
    env_n: int


@dataclass
class _Request:
    key: tuple[str, int]
    i0: int
    i1: int
    lead: int
    what: str
    start: float
    end: float


class _Processor:
    """Cleans the sEMG around requested stretches, in chunks that share their filter context."""

    def __init__(self, emg: EmgBlock, design: E.EmgFilter, gaps: list[tuple[float, float]], recorder: Recorder):
        self.emg = emg
        self.design = design
        self.sfreq = emg.sfreq
        self.env_sos = E.lowpass_sos(sfreq=emg.sfreq, cutoff=E.ENVELOPE_LOWPASS_HZ)
        self.context = design.settle_samples + E.settle_samples(self.env_sos)
        self.gaps = gaps
        self.recorder = recorder
        self.nperseg = E.welch_nperseg(sfreq=emg.sfreq, n_samples=2**62)
        self.freqs = np.fft.rfftfreq(self.nperseg, 1.0 / emg.sfreq)

    def index(self, t: float) -> int:
        return int(min(max(round((t - self.emg.t0) * self.sfreq), 0), self.emg.n_samples))

    def stretches(self, wanted: list[tuple[tuple[str, int], float, float, float, str]]) -> dict:
        """Statistics of each (key, start, end, lead_s, what); None for skipped stretches."""
        out: dict = {}
        requests = []
        for key, start, end, lead_s, what in wanted:
            i0, i1 = self.index(start), self.index(end)
            if i1 - i0 < max(8, int(0.1 * self.sfreq)):
                self.recorder.warn("emg.short_stretch", f"EMG of {what} at {start:.2f}-{end:.2f} s has under 0.1 s "
                                   "of signal and was skipped")
                out[key] = None
                continue
            requests.append(_Request(key, i0, i1, min(i0, int(round(lead_s * self.sfreq))), what, start, end))
        requests.sort(key=lambda r: r.i0 - r.lead)
        n, limit = self.emg.n_samples, int(MAX_CHUNK_S * self.sfreq)
        chunk: list[_Request] = []
        c0 = c1 = 0
        for r in requests:
            w0, w1 = max(0, r.i0 - r.lead - self.context), min(n, r.i1 + self.context)
            if chunk and w0 <= c1 and max(c1, w1) - c0 <= limit:
                chunk.append(r)
                c1 = max(c1, w1)
                continue
            if chunk:
                out.update(self._chunk(chunk, c0, c1))
            chunk, c0, c1 = [r], w0, w1
        if chunk:
            out.update(self._chunk(chunk, c0, c1))
        return out

    def _chunk(self, requests: list[_Request], c0: int, c1: int) -> dict:
        raw = np.array(self.emg.data[:, c0:c1], dtype=np.float32)
        valid = np.isfinite(raw).all(axis=0)
        for g0, g1 in self.gaps:
            a, b = self.index(g0) - c0, self.index(g1) - c0
            if b > 0 and a < valid.size:
                valid[max(a, 0):max(b, 0)] = False
        raw[:, ~valid] = 0.0
        pad = self.context if c0 == 0 or c1 == self.emg.n_samples else 0
        clean = E.zero_phase(raw, self.design.sos, sfreq=self.sfreq, pad=pad)
        env = E.zero_phase(np.abs(clean), self.env_sos, sfreq=self.sfreq, pad=pad)
        np.maximum(env, 0, out=env)
        out = {}
        for r in requests:
            inner = slice(r.i0 - c0, r.i1 - c0)
            ok = valid[inner]
            if ok.mean() < MIN_VALID_FRACTION:
                self.recorder.warn("emg.gap", f"EMG of {r.what} at {r.start:.2f}-{r.end:.2f} s is "
                                   f"{100 * (1 - ok.mean()):.0f}% lost and was skipped")
                out[r.key] = None
                continue
            seg = clean[:, inner] if ok.all() else clean[:, inner][:, ok]
            env_in = env[:, inner] if ok.all() else env[:, inner][:, ok]
            psd = None
            if ok.all() and ok.size >= self.nperseg:
                _, psd = E.emg_psd(clean[:, inner], sfreq=self.sfreq)
            window = slice(r.i0 - r.lead - c0, r.i1 - c0)
            env_out = env[:, window] if valid[window].all() else None
            out[r.key] = Stretch(
                np.einsum("ij,ij->i", seg, seg, dtype=np.float64), np.abs(seg).sum(axis=1, dtype=np.float64),
                int(ok.sum()), psd, env_out, r.lead, env_in.sum(axis=1, dtype=np.float64),
                np.einsum("ij,ij->i", env_in, env_in, dtype=np.float64), int(ok.sum()))
        return out


def _pool(stretches: list[Stretch]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    n = sum(s.n for s in stretches)
    rms = np.sqrt(sum(s.sumsq for s in stretches) / n)
    mav = sum(s.sumabs for s in stretches) / n
    with_psd = [s for s in stretches if s.psd is not None]
    psd = None
    if with_psd:
        psd = sum(s.psd * s.n for s in with_psd) / sum(s.n for s in with_psd)
    return rms, mav, psd


def _xcorr_peak(a: np.ndarray, b: np.ndarray, max_lag: int) -> float:
    a = a - a.mean()
    b = b - b.mean()
    na, nb = np.sqrt((a * a).sum()), np.sqrt((b * b).sum())
    if na == 0 or nb == 0:
        return math.nan
    full = np.correlate(a, b, mode="full") / (na * nb)
    mid = a.size - 1
    return float(full[max(0, mid - max_lag):mid + max_lag + 1].max())


def emg_design(session: Session, *, recorder: Recorder, powerline: float | str | None,
               band: tuple[float, float], zero_phase: bool = True) -> E.EmgFilter:
    """Design the cleaning filter for a session (detecting the powerline if asked) and record it."""
    emg = session.emg
    assert emg is not None
    sfreq = emg.sfreq
    harmonics = None
    if powerline == "auto":
        excerpt = np.nan_to_num(np.asarray(emg.data[:, : int(min(emg.n_samples, POWERLINE_EXCERPT_S * sfreq))],
                                           dtype=np.float64))
        powerline = E.emg_detect_powerline(excerpt, sfreq=sfreq)
        if powerline is not None:
            harmonics = E.emg_line_harmonics(excerpt, sfreq=sfreq, powerline=powerline, upto=band[1])
        recorder.param(**{"emg.powerline_detected_hz": powerline})
    elif isinstance(powerline, str):
        raise FeatureError(f"powerline {powerline!r} is invalid; expected a frequency in Hz, 'auto' or None")
    design = E.emg_filter(sfreq=sfreq, band=band, powerline=powerline, harmonics=harmonics)
    if design.clipped:
        recorder.warn("emg.band_clipped", f"band-pass upper edge {design.requested_band[1]:g} Hz is above "
                      f"{E.MAX_EDGE_OF_NYQUIST:g} x Nyquist at {sfreq:g} Hz and was lowered to {design.band[1]:g} Hz")
    recorder.step(design.describe(zero_phase=zero_phase), **{
        "emg.sfreq_hz": sfreq, "emg.bandpass_hz": list(design.band), "emg.bandpass_order": design.order,
        "emg.notch_hz": list(design.notches), "emg.notch_q": design.notch_q, "emg.zero_phase": zero_phase})
    how = "zero-phase" if zero_phase else "causal"
    recorder.step(
        f"Linear envelopes were obtained by full-wave rectification and a {how} {E.ENVELOPE_LOWPASS_HZ:g} Hz "
        f"low-pass (Butterworth, order 4). Per task, RMS and mean absolute value were pooled over repetitions "
        f"and normalised to rest and to the other side; median and mean frequency and the fraction of power above "
        f"{E.HIGH_FREQUENCY_HZ:g} Hz come from Welch spectra ({E.WELCH_WINDOW_S * 1000:g} ms Hann windows, 50% "
        f"overlap) within the pass band. Onset is the last upward crossing of {ONSET_FRACTION:g} of the rise from "
        f"the resting envelope to the task peak; co-activation is the fraction of the target muscle's active time "
        f"(envelope above rest mean + {ACTIVE_SD:g} SD) in which a non-target muscle is also active, and envelope "
        f"cross-correlation is taken at lags up to {XCORR_MAX_LAG_S * 1000:g} ms.",
        **{"emg.envelope_lowpass_hz": E.ENVELOPE_LOWPASS_HZ, "emg.welch_window_s": E.WELCH_WINDOW_S,
           "emg.onset_fraction": ONSET_FRACTION, "emg.active_sd": ACTIVE_SD,
           "emg.xcorr_max_lag_s": XCORR_MAX_LAG_S})
    return design


def rest_levels(rest: list[Stretch]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(RMS, MAV, envelope mean, envelope SD) per channel at rest, in V; None without rest."""
    if not rest:
        return None
    rms, mav, _ = _pool(rest)
    n = sum(s.env_n for s in rest)
    mean = sum(s.env_sum for s in rest) / n
    var = np.maximum(sum(s.env_sumsq for s in rest) / n - mean * mean, 0.0)
    return rms, mav, mean, np.sqrt(var)


def stretch_measures(
    emg: EmgBlock,
    rest: list[Stretch],
    tasks: dict[str, list[Stretch]],
    *,
    freqs: np.ndarray,
    band: tuple[float, float],
    recorder: Recorder,
) -> Measures:
    """Per-task, per-side measures from the statistics of rest and task stretches.

    Parameters
    ----------
    emg : EmgBlock
        For the channel identities and the sampling rate.
    rest : list of Stretch
    tasks : dict
        Task -> its repetitions' stretches.
    freqs : ndarray, shape (n_freqs,)
        Frequency grid of the stretches' spectra, Hz.
    band : (float, float)
        Pass band the spectral measures are restricted to, Hz.
    recorder : Recorder

    Returns
    -------
    Measures
    """
    sfreq = emg.sfreq
    chans = emg.channels
    out = Measures()
    levels = rest_levels(rest)
    if levels is None:
        recorder.warn("emg.no_rest_level", "no usable rest stretch in the EMG: rest-normalised sEMG, onsets and "
                      "co-activation are unavailable")
    else:
        rest_rms, rest_mav, env_mean, env_sd = levels
        for c, ch in enumerate(chans):
            out.put(f"emg.{ch.muscle}.rms.rest", ch.side, rest_rms[c])
            out.put(f"emg.{ch.muscle}.mav.rest", ch.side, rest_mav[c])
            if rest_rms[c] <= 0:
                recorder.warn("emg.flat", f"EMG channel {ch.name!r} is flat at rest (RMS 0 V)")
    decim = max(1, int(round(sfreq / ENVELOPE_RATE_HZ)))
    max_lag = int(round(XCORR_MAX_LAG_S * sfreq / decim))
    for task, stretches in tasks.items():
        if task == "rest" or not stretches:
            continue
        rms, mav, psd = _pool(stretches)
        spectral = None
        if psd is not None:
            spectral = (E.emg_median_frequency(freqs, psd, band=band),
                        E.emg_mean_frequency(freqs, psd, band=band),
                        E.emg_power_fraction(freqs, psd, above=E.HIGH_FREQUENCY_HZ, band=band))
        for c, ch in enumerate(chans):
            key = f"emg.{ch.muscle}.{{}}.{task}"
            out.put(key.format("rms"), ch.side, rms[c])
            out.put(key.format("mav"), ch.side, mav[c])
            if levels is not None and rest_rms[c] > 0:
                out.put(key.format("rms_rest_norm"), ch.side, rms[c] / rest_rms[c])
                out.put(key.format("mav_rest_norm"), ch.side, mav[c] / rest_mav[c])
            if spectral is not None:
                out.put(key.format("mdf"), ch.side, spectral[0][c])
                out.put(key.format("mnf"), ch.side, spectral[1][c])
                out.put(key.format("hf_fraction"), ch.side, spectral[2][c])
        if levels is None:
            continue
        targets = STANDARD_PROTOCOL.task(task).target_muscles
        with_env = [s for s in stretches if s.env is not None]
        for c, ch in enumerate(chans):
            if ch.muscle in targets:
                onsets = [E.emg_onset(s.env[c], sfreq=sfreq, baseline=env_mean[c], min_rise=ACTIVE_SD * env_sd[c],
                                      fraction=ONSET_FRACTION) - s.lead / sfreq for s in with_env]
                onsets = [o for o in onsets if math.isfinite(o)]
                if onsets:
                    out.put(f"emg.{ch.muscle}.onset.{task}", ch.side, float(np.median(onsets)))
        for side in ("left", "right"):
            partner = next((emg.index(m, side) for m in targets if emg.index(m, side) is not None), None)
            if partner is None:
                continue
            thr_p = env_mean[partner] + ACTIVE_SD * env_sd[partner]
            for c, ch in enumerate(chans):
                if ch.side != side or ch.muscle in targets or ch.muscle not in FACIAL_MUSCLES:
                    continue
                thr = env_mean[c] + ACTIVE_SD * env_sd[c]
                both = active = 0
                corrs = []
                for s in with_env:
                    p_env, m_env = s.env[partner, s.lead:], s.env[c, s.lead:]
                    act_p = p_env > thr_p
                    active += int(act_p.sum())
                    both += int((act_p & (m_env > thr)).sum())
                    r = _xcorr_peak(m_env[::decim].astype(np.float64), p_env[::decim].astype(np.float64), max_lag)
                    if math.isfinite(r):
                        corrs.append(r)
                if active:
                    out.put(f"emg.{ch.muscle}.coactivation.{task}", side, both / active)
                if corrs:
                    out.put(f"emg.{ch.muscle}.xcorr.{task}", side, float(np.median(corrs)))
    return out


def emg_measures(
    session: Session,
    *,
    recorder: Recorder,
    powerline: float | str | None = "auto",
    band: tuple[float, float] = E.DEFAULT_BAND,
) -> Measures:
    """Per-task, per-side sEMG measures of a session (zero-phase filtering, stretch by stretch).

    Parameters
    ----------
    session : Session
        Must have EMG.
    recorder : Recorder
        Receives methods sentences, parameters and warnings.
    powerline : float, 'auto' or None
        Powerline frequency to notch with all its harmonics in the pass band
        (Hz); 'auto' detects 50 or 60 Hz and the harmonics that stand out in
        the first 30 s of raw signal; None: no notch.
    band : (float, float)
        Band-pass edges, Hz.

    Returns
    -------
    Measures
    """
    emg = session.emg
    if emg is None:
        raise FeatureError("session has no EMG; sEMG measures need an EMG stream")
    design = emg_design(session, recorder=recorder, powerline=powerline, band=band)
    gaps = [(g.start, g.end) for g in session.gaps if g.stream == "emg"]
    proc = _Processor(emg, design, gaps, recorder)
    wanted = [(("rest", k), a, b, 0.0, "rest") for k, (a, b) in enumerate(rest_intervals(session, recorder=recorder))]
    reps_by_task = {t: r for t, r in task_intervals(session, recorder=recorder).items() if t != "rest"}
    wanted += [((task, k), a, b, LEAD_S, f"task {task!r}") for task, reps in reps_by_task.items()
               for k, (a, b) in enumerate(reps)]
    got = proc.stretches(wanted)
    rest = [s for (kind, _), s in sorted(got.items()) if kind == "rest" and s is not None]
    tasks = {task: [got[(task, k)] for k in range(len(reps)) if got[(task, k)] is not None]
             for task, reps in reps_by_task.items()}
    return stretch_measures(emg, rest, tasks, freqs=proc.freqs, band=design.band, recorder=recorder)
