"""Surface-EMG signal processing: filter design, cleaning, envelopes, amplitude and spectrum.

NeuroKit2-style ``emg_<verb>`` functions on arrays; unlike NeuroKit2 every
function that needs the sampling rate takes it as the required keyword
``sfreq`` (Hz). Signals are ``(n_channels, n_samples)`` or ``(n_samples,)``
in volts; time runs along the last axis.

Cleaning follows ISEK/SENIAM practice for facial sEMG
(shared/docs/clinical.md): a Butterworth band-pass, 20-450 Hz by default,
whose upper edge is clipped to 90 % of the Nyquist frequency for slow
amplifiers, and IIR notches (Q = 30) at the powerline frequency and its
harmonics inside the pass band - all of them when the frequency is given,
or those that stand out of the spectrum when it is detected
(:func:`emg_detect_powerline`, :func:`emg_line_harmonics`). It is
**zero-phase**: the squared magnitude
response ``|H(f)|^2`` of the cascade is applied in the frequency domain,
which is what forward-backward filtering (``sosfiltfilt``) computes, after
odd-reflection padding as long as the slowest filter pole needs to decay to
1e-4. Streaming code (:mod:`models.features.streaming`) uses the same
design causally (``sosfilt`` with carried state): magnitude response
``|H|`` instead of ``|H|^2``, plus the filters' phase delay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft as sfft
from scipy import signal

from .errors import FeatureError

#: Default band-pass edges, Hz.
DEFAULT_BAND: tuple[float, float] = (20.0, 450.0)
#: Butterworth order of the band-pass (per edge).
BAND_ORDER = 4
#: Quality factor of the powerline notches.
NOTCH_Q = 30.0
#: Candidate powerline frequencies, Hz.
POWERLINE_CANDIDATES: tuple[float, ...] = (50.0, 60.0)
#: Low-pass cut-off of the linear envelope, Hz.
ENVELOPE_LOWPASS_HZ = 6.0
#: Upper band edge as a fraction of the Nyquist frequency, at most.
MAX_EDGE_OF_NYQUIST = 0.9
#: Welch window length, s.
WELCH_WINDOW_S = 0.25
#: Frequency above which power is counted as "high", Hz.
HIGH_FREQUENCY_HZ = 200.0
_SETTLE = 1e-4


@dataclass(frozen=True, eq=False)
class EmgFilter:
    """A designed EMG cleaning filter.

    Attributes
    ----------
    sfreq : float
        Sampling rate it was designed for, Hz.
    band : (float, float)
        Band-pass edges actually used, Hz (the upper one possibly clipped).
    requested_band : (float, float)
        Edges asked for, Hz.
    order : int
        Butterworth order per edge.
    powerline : float or None
        Powerline frequency notched, Hz.
    notches : tuple of float
        Notch centre frequencies, Hz.
    notch_q : float
    sos : ndarray, shape (n_sections, 6)
        Second-order sections of the whole cascade (band-pass then notches).
    settle_samples : int
        Samples after which the slowest pole's response has decayed to 1e-4.
    """

    sfreq: float
    band: tuple[float, float]
    requested_band: tuple[float, float]
    order: int
    powerline: float | None
    notches: tuple[float, ...]
    notch_q: float
    sos: np.ndarray
    settle_samples: int

    @property
    def clipped(self) -> bool:
        """True when the upper band edge was lowered to fit below the Nyquist frequency."""
        return self.band != self.requested_band

    def describe(self, *, zero_phase: bool = True) -> str:
        """Methods sentence for the report."""
        how = "zero-phase (squared magnitude response, equivalent to forward-backward filtering)" if zero_phase \
            else "causally (single forward pass with filter state carried between blocks)"
        text = (f"The sEMG, sampled at {self.sfreq:g} Hz, was band-pass filtered {self.band[0]:g}-{self.band[1]:g} Hz "
                f"(Butterworth, order {self.order} per edge)")
        if self.notches:
            text += (f" and notch filtered at {', '.join(f'{f:g}' for f in self.notches)} Hz "
                     f"(powerline {self.powerline:g} Hz{' and harmonics' if len(self.notches) > 1 else ''}, "
                     f"Q = {self.notch_q:g})")
        else:
            text += " without a powerline notch (no powerline interference detected or requested)"
        return text + f", {how}."


def emg_filter(
    *,
    sfreq: float,
    band: tuple[float, float] = DEFAULT_BAND,
    order: int = BAND_ORDER,
    powerline: float | None = None,
    harmonics: tuple[float, ...] | None = None,
    notch_q: float = NOTCH_Q,
) -> EmgFilter:
    """Design the cleaning filter for a sampling rate.

    Parameters
    ----------
    sfreq : float
        Sampling rate, Hz.
    band : (float, float)
        Band-pass edges, Hz. The upper edge is lowered to 90 % of the
        Nyquist frequency when it is above that.
    order : int
        Butterworth order per edge.
    powerline : float, optional
        Powerline frequency, Hz; notches go at it and its harmonics below
        the upper band edge. None: no notch.
    harmonics : tuple of float, optional
        Only these frequencies (Hz, multiples of ``powerline``, e.g. from
        :func:`emg_line_harmonics`) are notched; None: every harmonic below the
        upper band edge.
    notch_q : float
        Notch quality factor (centre / -3 dB width).

    Returns
    -------
    EmgFilter

    Raises
    ------
    FeatureError
        If the band is not increasing and positive, the sampling rate leaves
        no band, or the powerline frequency is not in (0, Nyquist).
    """
    sfreq = _check_sfreq(sfreq)
    low, high = (float(b) for b in band)
    if not (0 < low < high):
        raise FeatureError(f"band-pass edges {low:g}-{high:g} Hz are invalid; expected 0 < low < high")
    nyquist = sfreq / 2
    edge = min(high, MAX_EDGE_OF_NYQUIST * nyquist)
    if low >= edge:
        raise FeatureError(
            f"band-pass {low:g}-{high:g} Hz cannot be applied at {sfreq:g} Hz: the upper edge must stay below "
            f"{MAX_EDGE_OF_NYQUIST:g} x Nyquist = {MAX_EDGE_OF_NYQUIST * nyquist:g} Hz and above the lower edge; "
            f"a sampling rate above {low / MAX_EDGE_OF_NYQUIST * 2:g} Hz is needed"
        )
    if int(order) < 1:
        raise FeatureError(f"band-pass order {order!r} is invalid; expected an integer >= 1")
    sections = [signal.butter(int(order), [low, edge], btype="bandpass", fs=sfreq, output="sos")]
    notches: list[float] = []
    if powerline is not None:
        powerline = float(powerline)
        if not 0 < powerline < nyquist:
            raise FeatureError(f"powerline frequency {powerline:g} Hz is invalid; expected 0 < f < {nyquist:g} Hz")
        if notch_q <= 0:
            raise FeatureError(f"notch quality factor {notch_q!r} is invalid; expected > 0")
        k = 1
        while k * powerline < edge:
            if harmonics is None or any(abs(k * powerline - h) < 1e-6 for h in harmonics):
                notches.append(k * powerline)
                b, a = signal.iirnotch(k * powerline, notch_q, fs=sfreq)
                sections.append(signal.tf2sos(b, a))
            k += 1
    sos = np.vstack(sections)
    return EmgFilter(sfreq, (low, edge), (low, high), int(order), powerline, tuple(notches), float(notch_q), sos,
                     settle_samples(sos))


def _check_sfreq(sfreq: float) -> float:
    if not isinstance(sfreq, (int, float, np.integer, np.floating)) or not math.isfinite(sfreq) or sfreq <= 0:
        raise FeatureError(f"sampling rate {sfreq!r} Hz is invalid; expected a finite number > 0")
    return float(sfreq)


def settle_samples(sos: np.ndarray) -> int:
    """Samples after which the slowest pole of ``sos`` (n_sections, 6) has decayed to 1e-4 (>= 1)."""
    radius = 0.0
    for section in np.atleast_2d(sos):
        poles = np.roots(section[3:])
        if poles.size:
            radius = max(radius, float(np.max(np.abs(poles))))
    if radius <= 0:
        return 1
    return int(math.ceil(math.log(_SETTLE) / math.log(min(radius, 1 - 1e-12))))


def lowpass_sos(*, sfreq: float, cutoff: float, order: int = 4) -> np.ndarray:
    """Butterworth low-pass second-order sections.

    Parameters
    ----------
    sfreq : float
        Sampling rate, Hz.
    cutoff : float
        -3 dB frequency, Hz, below the Nyquist frequency.
    order : int

    Returns
    -------
    ndarray, shape (n_sections, 6)
    """
    sfreq = _check_sfreq(sfreq)
    if not 0 < cutoff < sfreq / 2:
        raise FeatureError(f"low-pass cut-off {cutoff:g} Hz is invalid at {sfreq:g} Hz; expected 0 < f < {sfreq / 2:g}")
    return signal.butter(int(order), cutoff, btype="lowpass", fs=sfreq, output="sos")


@lru_cache(maxsize=64)
def _power_gain(sos_bytes: bytes, n_sections: int, sfreq: float, nfft: int, single: bool) -> np.ndarray:
    sos = np.frombuffer(sos_bytes, dtype=np.float64).reshape(n_sections, 6)
    freqs = sfft.rfftfreq(nfft, d=1.0 / sfreq)
    _, response = signal.sosfreqz(sos, worN=freqs, fs=sfreq)
    gain = (response.real**2 + response.imag**2).astype(np.float32 if single else np.float64)
    gain.flags.writeable = False
    return gain


def zero_phase(data: np.ndarray, sos: np.ndarray, *, sfreq: float, pad: int) -> np.ndarray:
    """Apply ``sos`` forwards and backwards (gain ``|H|^2``, no phase) along the last axis.

    Parameters
    ----------
    data : ndarray, shape (..., n_samples)
    sos : ndarray, shape (n_sections, 6)
    sfreq : float
        Sampling rate, Hz.
    pad : int
        Odd-reflection padding at each end, samples (limited to n_samples - 1).

    Returns
    -------
    ndarray, same shape; float32 for float32 input, else float64.
    """
    x = np.asarray(data)
    single = x.dtype == np.float32
    x = x.astype(np.float32 if single else np.float64, copy=False)
    n = x.shape[-1]
    pad = max(0, min(int(pad), n - 1))
    if pad:
        first, last = x[..., :1], x[..., -1:]
        x = np.concatenate([2 * first - x[..., pad:0:-1], x, 2 * last - x[..., -2:-pad - 2:-1]], axis=-1)
    total = x.shape[-1]
    nfft = sfft.next_fast_len(-(-total // 1024) * 1024, real=True)
    sos64 = np.ascontiguousarray(sos, dtype=np.float64)
    gain = _power_gain(sos64.tobytes(), sos64.shape[0], float(sfreq), nfft, single)
    spectrum = sfft.rfft(x, n=nfft, axis=-1, workers=1)
    spectrum *= gain
    out = sfft.irfft(spectrum, n=nfft, axis=-1, workers=1)[..., pad:pad + n]
    return np.ascontiguousarray(out)


def emg_clean(
    data: np.ndarray,
    *,
    sfreq: float,
    band: tuple[float, float] = DEFAULT_BAND,
    powerline: float | None = None,
    design: EmgFilter | None = None,
) -> np.ndarray:
    """Band-pass and notch filter sEMG with zero phase.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples) or (n_samples,)
        Raw sEMG, V.
    sfreq : float
        Sampling rate, Hz.
    band : (float, float)
        Band-pass edges, Hz (ignored when ``design`` is given).
    powerline : float, optional
        Powerline frequency to notch with its harmonics, Hz (ignored when
        ``design`` is given); see :func:`emg_detect_powerline`.
    design : EmgFilter, optional
        A filter from :func:`emg_filter` (must match ``sfreq``).

    Returns
    -------
    ndarray, same shape as ``data``
        Cleaned sEMG, V.
    """
    sfreq = _check_sfreq(sfreq)
    if design is None:
        design = emg_filter(sfreq=sfreq, band=band, powerline=powerline)
    elif design.sfreq != sfreq:
        raise FeatureError(f"EMG filter was designed for {design.sfreq:g} Hz; the signal is sampled at {sfreq:g} Hz")
    return zero_phase(data, design.sos, sfreq=sfreq, pad=design.settle_samples)


def emg_envelope(clean: np.ndarray, *, sfreq: float, lowpass: float = ENVELOPE_LOWPASS_HZ) -> np.ndarray:
    """Linear envelope: full-wave rectification then zero-phase Butterworth low-pass.

    Parameters
    ----------
    clean : ndarray, shape (n_channels, n_samples) or (n_samples,)
        Cleaned sEMG, V.
    sfreq : float
        Sampling rate, Hz.
    lowpass : float
        Cut-off, Hz (4th order).

    Returns
    -------
    ndarray, same shape
        Envelope, V, clipped at 0.
    """
    sos = lowpass_sos(sfreq=sfreq, cutoff=lowpass)
    env = zero_phase(np.abs(clean), sos, sfreq=sfreq, pad=settle_samples(sos))
    return np.maximum(env, 0, out=env)


def emg_rms(x: np.ndarray) -> np.ndarray:
    """Root mean square along the last axis (V for V input)."""
    x = np.asarray(x, dtype=np.float64)
    return np.sqrt(np.mean(x * x, axis=-1))


def emg_mav(x: np.ndarray) -> np.ndarray:
    """Mean absolute value along the last axis (V for V input)."""
    return np.mean(np.abs(np.asarray(x, dtype=np.float64)), axis=-1)


def welch_nperseg(*, sfreq: float, n_samples: int, window_s: float = WELCH_WINDOW_S) -> int:
    """Welch segment length: the power of two nearest ``window_s`` seconds, at most ``n_samples``."""
    target = 2 ** int(round(math.log2(max(2.0, window_s * _check_sfreq(sfreq)))))
    return int(min(target, n_samples))


def emg_psd(x: np.ndarray, *, sfreq: float, window_s: float = WELCH_WINDOW_S) -> tuple[np.ndarray, np.ndarray]:
    """Power spectral density by Welch's method (Hann, 50 % overlap).

    Parameters
    ----------
    x : ndarray, shape (n_channels, n_samples) or (n_samples,)
        sEMG, V.
    sfreq : float
        Sampling rate, Hz.
    window_s : float
        Segment length, s (rounded to a power of two samples).

    Returns
    -------
    freqs : ndarray, shape (n_freqs,)
        Hz.
    psd : ndarray, shape (n_channels, n_freqs) or (n_freqs,)
        V^2/Hz.
    """
    x = np.asarray(x)
    nperseg = welch_nperseg(sfreq=sfreq, n_samples=x.shape[-1], window_s=window_s)
    return welch(x, sfreq=sfreq, nperseg=nperseg, noverlap=nperseg // 2)


@lru_cache(maxsize=16)
def _hann(n: int) -> np.ndarray:
    w = signal.get_window("hann", n)
    w.flags.writeable = False
    return w


def welch(x: np.ndarray, *, sfreq: float, nperseg: int, noverlap: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD along the last axis: Hann windows, constant detrend, one-sided density.

    Same definition and scaling as :func:`scipy.signal.welch` with these
    settings, computed directly on strided segments (much faster for short
    multi-channel stretches).

    Parameters
    ----------
    x : ndarray, shape (..., n_samples)
        V.
    sfreq : float
        Sampling rate, Hz.
    nperseg, noverlap : int
        Segment length and overlap, samples (``nperseg <= n_samples``).

    Returns
    -------
    freqs : ndarray, shape (nperseg // 2 + 1,)
        Hz.
    psd : ndarray, shape (..., nperseg // 2 + 1)
        V^2/Hz.
    """
    sfreq = _check_sfreq(sfreq)
    x = np.asarray(x)
    if not 0 < nperseg <= x.shape[-1] or not 0 <= noverlap < nperseg:
        raise FeatureError(f"Welch segments of {nperseg} samples (overlap {noverlap}) do not fit "
                           f"{x.shape[-1]} samples")
    step = nperseg - noverlap
    segs = np.lib.stride_tricks.sliding_window_view(x, nperseg, axis=-1)[..., ::step, :]
    window = _hann(nperseg)
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    seg = (segs - segs.mean(axis=-1, keepdims=True)) * window.astype(dtype)
    spec = sfft.rfft(seg, axis=-1, workers=1)
    power = (spec.real**2 + spec.imag**2).mean(axis=-2, dtype=np.float64)
    power *= 1.0 / (sfreq * float((window**2).sum()))
    power[..., 1:] *= 2
    if nperseg % 2 == 0:
        power[..., -1] /= 2
    return sfft.rfftfreq(nperseg, 1 / sfreq), power


def _in_band(freqs: np.ndarray, psd: np.ndarray, band: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    if band is None:
        return freqs, psd
    keep = (freqs >= band[0]) & (freqs <= band[1])
    return freqs[keep], psd[..., keep]


def emg_median_frequency(freqs: np.ndarray, psd: np.ndarray, *, band: tuple[float, float] | None = None) -> np.ndarray:
    """Frequency that splits the spectral power in halves, Hz (NaN when there is no power).

    Parameters
    ----------
    freqs : ndarray, shape (n_freqs,)
        Hz.
    psd : ndarray, shape (..., n_freqs)
    band : (float, float), optional
        Only power between these frequencies (Hz) counts.

    Returns
    -------
    ndarray, shape (...)
        Each bin is taken to cover its frequency +/- half the bin width, and
        the cumulative power is interpolated linearly within the bin.
    """
    f, p = _in_band(np.asarray(freqs, dtype=np.float64), np.asarray(psd, dtype=np.float64), band)
    if f.size == 0:
        return np.full(p.shape[:-1], np.nan)
    width = float(f[1] - f[0]) if f.size > 1 else 0.0
    half = width / 2
    cum = np.cumsum(p, axis=-1)
    total = cum[..., -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = cum / total
    out = np.empty(p.shape[:-1])
    flat_frac = frac.reshape(-1, f.size)
    flat_out = out.reshape(-1)
    for i, row in enumerate(flat_frac):
        if not np.isfinite(row[-1]) or row[-1] <= 0:
            flat_out[i] = np.nan
            continue
        # bin j covers f[j] +/- df/2: interpolate the cumulative power between bin edges
        j = int(np.searchsorted(row, 0.5))
        below = row[j - 1] if j > 0 else 0.0
        flat_out[i] = f[j] - half + width * (0.5 - below) / (row[j] - below)
    return out


def emg_mean_frequency(freqs: np.ndarray, psd: np.ndarray, *, band: tuple[float, float] | None = None) -> np.ndarray:
    """Power-weighted mean frequency, Hz (NaN when there is no power); shapes as :func:`emg_median_frequency`."""
    f, p = _in_band(np.asarray(freqs, dtype=np.float64), np.asarray(psd, dtype=np.float64), band)
    total = p.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (p * f).sum(axis=-1) / total, np.nan)


def emg_power_fraction(
    freqs: np.ndarray,
    psd: np.ndarray,
    *,
    above: float = HIGH_FREQUENCY_HZ,
    band: tuple[float, float] | None = None,
) -> np.ndarray:
    """Fraction of spectral power above ``above`` Hz (0-1; NaN when there is no power)."""
    f, p = _in_band(np.asarray(freqs, dtype=np.float64), np.asarray(psd, dtype=np.float64), band)
    total = p.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, p[..., f > above].sum(axis=-1) / total, np.nan)


def emg_detect_powerline(
    data: np.ndarray,
    *,
    sfreq: float,
    candidates: tuple[float, ...] = POWERLINE_CANDIDATES,
    min_ratio: float = 4.0,
) -> float | None:
    """Find powerline interference: which candidate's first three harmonics stand out of the spectrum.

    For each candidate the power in the 1 Hz bins at its harmonics (below the
    Nyquist frequency) is compared with the median power 3-8 Hz either side;
    the candidate with the largest ratio at any of its harmonics wins if that ratio is at
    least ``min_ratio`` (6 dB by default).

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples) or (n_samples,)
        Raw sEMG (at least 1 s).
    sfreq : float
        Sampling rate, Hz.
    candidates : tuple of float
        Powerline frequencies to test, Hz.
    min_ratio : float

    Returns
    -------
    float or None
        The detected frequency (Hz), or None when no line stands out.
    """
    sfreq = _check_sfreq(sfreq)
    spec = _mean_spectrum(data, sfreq)
    if spec is None:
        return None
    freqs, spectrum = spec
    best, best_ratio = None, 0.0
    for f0 in candidates:
        ratios = [_line_ratio(freqs, spectrum, k * f0) for k in (1, 2, 3) if k * f0 + 8 < sfreq / 2]
        if ratios:
            ratio = float(np.max(ratios))
            if ratio > best_ratio:
                best, best_ratio = f0, ratio
    return best if best_ratio >= min_ratio else None


def _line_ratio(freqs: np.ndarray, spectrum: np.ndarray, h: float) -> float:
    df = freqs[1] - freqs[0]
    line = spectrum[np.abs(freqs - h) <= df].max()
    floor = np.median(spectrum[(np.abs(freqs - h) >= 3) & (np.abs(freqs - h) <= 8)])
    return float(line / floor) if floor > 0 else math.inf


def _mean_spectrum(data: np.ndarray, sfreq: float) -> tuple[np.ndarray, np.ndarray] | None:
    x = np.atleast_2d(np.asarray(data, dtype=np.float64))
    nperseg = int(min(x.shape[-1], round(sfreq)))
    if nperseg < sfreq / 2:
        return None
    freqs, psd = welch(x, sfreq=sfreq, nperseg=nperseg, noverlap=nperseg // 2)
    norm = psd.sum(axis=-1, keepdims=True)
    norm[norm <= 0] = 1.0
    return freqs, (psd / norm).mean(axis=0)


def emg_line_harmonics(
    data: np.ndarray,
    *,
    sfreq: float,
    powerline: float,
    upto: float,
    min_ratio: float = 4.0,
) -> tuple[float, ...]:
    """Harmonics of the powerline frequency that stand out of the spectrum.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples) or (n_samples,)
        Raw sEMG (at least 1 s).
    sfreq : float
        Sampling rate, Hz.
    powerline : float
        Fundamental, Hz (always returned first).
    upto : float
        Highest frequency considered, Hz (e.g. the upper band edge).
    min_ratio : float
        A line counts when its 1 Hz bin holds at least this times the median
        power 3-8 Hz away.

    Returns
    -------
    tuple of float
        Hz, ascending.
    """
    sfreq = _check_sfreq(sfreq)
    spec = _mean_spectrum(data, sfreq)
    found = [float(powerline)]
    if spec is None:
        return tuple(found)
    freqs, spectrum = spec
    k = 2
    while k * powerline < min(upto, sfreq / 2 - 8):
        if _line_ratio(freqs, spectrum, k * powerline) >= min_ratio:
            found.append(k * powerline)
        k += 1
    return tuple(found)


def emg_onset(
    envelope: np.ndarray,
    *,
    sfreq: float,
    baseline: float,
    min_rise: float,
    fraction: float = 0.2,
) -> float:
    """Time at which an envelope, rising to its peak, crosses ``fraction`` of its rise from baseline.

    Parameters
    ----------
    envelope : ndarray, shape (n_samples,)
        V.
    sfreq : float
        Sampling rate, Hz.
    baseline : float
        Resting envelope level, V.
    min_rise : float
        The peak must exceed ``baseline`` by at least this (V), else there is no onset.
    fraction : float
        Threshold as a fraction of the rise (0-1).

    Returns
    -------
    float
        Seconds from the first sample (linearly interpolated); NaN when the
        envelope never rises by ``min_rise``.
    """
    sfreq = _check_sfreq(sfreq)
    env = np.asarray(envelope, dtype=np.float64)
    if env.size < 2 or not np.isfinite(env).all():
        return math.nan
    peak_i = int(np.argmax(env))
    rise = env[peak_i] - baseline
    if not rise >= min_rise or rise <= 0:
        return math.nan
    level = baseline + fraction * rise
    below = np.flatnonzero(env[: peak_i + 1] < level)
    if below.size == 0:
        return 0.0
    i = int(below[-1]) + 1
    lo, hi = env[i - 1], env[i]
    return (i - 1 + (level - lo) / (hi - lo)) / sfreq
