"""Landmark measures per frame (Emotrics-style) and movement kinematics.

All inputs are :class:`~models.features.landmarks.FaceTrack` trajectories
in the measurement frame (mm; +x patient's left, +y up, origin between the
pupils). Definitions (shared/docs/clinical.md, "Landmark measures"):

=====================  ===============================================================
brow_height            mid-brow height above the (session-median) pupil, mm
mrd1 / mrd2            upper-lid margin above / lower-lid margin below the pupil, mm
fissure                upper-lid margin height above the lower-lid margin, mm
commissure             lower-lip midline point to commissure, frontal plane, mm
commissure_height      commissure height above the inter-pupil line, mm
smile_angle            angle above horizontal of lower-lip midline -> commissure, deg
lower_lip              paramedian lower-lip height above the inter-pupil line, mm
nasolabial             nasal ala to commissure, frontal plane, mm
dental_show            inner upper to inner lower lip at the midline, mm
mouth_width            commissure to commissure, frontal plane, mm
=====================  ===============================================================

Displacement measures (``commissure_displacement``: frontal plane;
``cheek_displacement``: 3-D) are distances from a rest position, computed by
:func:`landmark_displacement`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import signal

from .errors import FeatureError
from .landmarks import FaceTrack

#: Low-pass cut-off applied before differentiating positions, Hz.
KINEMATICS_LOWPASS_HZ = 6.0
#: Longest run of lost frames that is interpolated before kinematics, s.
MAX_INTERPOLATED_GAP_S = 0.25


def _xy_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = a[:, :2] - b[:, :2]
    return np.hypot(d[:, 0], d[:, 1])


def landmark_measures(track: FaceTrack) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """Per-frame landmark measures.

    Parameters
    ----------
    track : FaceTrack

    Returns
    -------
    bilateral : dict
        Measure -> side -> ndarray, shape (n_frames,). Only measures whose
        landmarks are present appear.
    midline : dict
        Measure -> ndarray, shape (n_frames,).
    """
    p = track.points
    bilateral: dict[str, dict[str, np.ndarray]] = {}

    def put(measure: str, side: str, values: np.ndarray) -> None:
        bilateral.setdefault(measure, {})[side] = values

    for side in ("left", "right"):
        pupil = track.pupils.get(side)
        brow, up, low = f"brow_mid_{side}", f"upper_lid_{side}", f"lower_lid_{side}"
        com, ala, lip = f"commissure_{side}", f"ala_{side}", f"lower_lip_{side}"
        if pupil is not None:
            if brow in p:
                put("brow_height", side, p[brow][:, 1] - pupil[1])
            if up in p:
                put("mrd1", side, p[up][:, 1] - pupil[1])
            if low in p:
                put("mrd2", side, pupil[1] - p[low][:, 1])
        if len(track.pupils) == 2:
            if com in p:
                put("commissure_height", side, p[com][:, 1])
            if lip in p:
                put("lower_lip", side, p[lip][:, 1])
        if up in p and low in p:
            put("fissure", side, p[up][:, 1] - p[low][:, 1])
        if com in p and "lower_lip_mid" in p:
            put("commissure", side, _xy_dist(p[com], p["lower_lip_mid"]))
            dy = p[com][:, 1] - p["lower_lip_mid"][:, 1]
            dx = np.abs(p[com][:, 0] - p["lower_lip_mid"][:, 0])
            put("smile_angle", side, np.degrees(np.arctan2(dy, dx)))
        if com in p and ala in p:
            put("nasolabial", side, _xy_dist(p[ala], p[com]))
    bilateral = {m: sides for m, sides in bilateral.items()}
    midline: dict[str, np.ndarray] = {}
    if track.has("inner_upper_lip_mid", "inner_lower_lip_mid"):
        midline["dental_show"] = _xy_dist(p["inner_upper_lip_mid"], p["inner_lower_lip_mid"])
    if track.has("commissure_left", "commissure_right"):
        midline["mouth_width"] = _xy_dist(p["commissure_left"], p["commissure_right"])
    return bilateral, midline


def landmark_displacement(trace: np.ndarray, rest: np.ndarray, *, planar: bool) -> np.ndarray:
    """Distance of a landmark from its rest position per frame.

    Parameters
    ----------
    trace : ndarray, shape (n_frames, 3)
        mm.
    rest : ndarray, shape (3,)
        Rest position, mm.
    planar : bool
        Frontal (x, y) plane only when True, else 3-D.

    Returns
    -------
    ndarray, shape (n_frames,)
        mm.
    """
    d = trace - rest
    if planar:
        d = d[:, :2]
    return np.sqrt(np.sum(d * d, axis=1))


def _fill_short_gaps(x: np.ndarray, max_gap: int) -> np.ndarray:
    bad = ~np.isfinite(x)
    if not bad.any():
        return x
    good = np.flatnonzero(~bad)
    if good.size < 2:
        return x
    out = x.copy()
    edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    for a, b in zip(starts, ends):
        if b - a <= max_gap and a > 0 and b < x.size:
            out[a:b] = np.interp(np.arange(a, b), good, x[good])
    return out


@lru_cache(maxsize=16)
def _lowpass(sfreq: float, cutoff: float) -> np.ndarray:
    return signal.butter(4, cutoff, btype="lowpass", fs=sfreq, output="sos")


def landmark_velocity(
    trace: np.ndarray,
    *,
    sfreq: float,
    lowpass: float = KINEMATICS_LOWPASS_HZ,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed position, velocity and acceleration of a 1-D movement trace.

    Runs of lost frames up to 0.25 s are interpolated linearly; the trace is
    then low-passed (Butterworth, 4th order, zero phase) and differentiated
    by central differences.

    Parameters
    ----------
    trace : ndarray, shape (n_frames,)
        Position or distance, mm.
    sfreq : float
        Frame rate, Hz.
    lowpass : float
        Cut-off, Hz; skipped when it is not below the Nyquist frequency.

    Returns
    -------
    position : ndarray, shape (n_frames,)
        mm.
    velocity : ndarray, shape (n_frames,)
        mm/s.
    acceleration : ndarray, shape (n_frames,)
        mm/s^2. All NaN when lost frames remain after interpolation.
    """
    if not (isinstance(sfreq, (int, float, np.integer, np.floating)) and math.isfinite(sfreq) and sfreq > 0):
        raise FeatureError(f"frame rate {sfreq!r} Hz is invalid; expected a finite number > 0")
    x = _fill_short_gaps(np.asarray(trace, dtype=np.float64), int(MAX_INTERPOLATED_GAP_S * sfreq))
    if x.size < 3 or not np.isfinite(x).all():
        nan = np.full(x.shape, np.nan)
        return nan, nan, nan
    if lowpass < sfreq / 2:
        sos = _lowpass(float(sfreq), float(lowpass))
        padlen = min(x.size - 1, int(sfreq))
        x = signal.sosfiltfilt(sos, x, padlen=padlen)
    velocity = np.gradient(x) * sfreq
    acceleration = np.gradient(velocity) * sfreq
    return x, velocity, acceleration


def movement_onset(displacement: np.ndarray, *, sfreq: float, fraction: float = 0.2,
                   min_rise: float = 0.5) -> tuple[float, float]:
    """Onset and peak time of a movement away from rest.

    Parameters
    ----------
    displacement : ndarray, shape (n_frames,)
        Distance from rest (>= 0 in principle), mm, smoothed.
    sfreq : float
        Frame rate, Hz.
    fraction : float
        Onset = last upward crossing of ``fraction`` x peak before the peak.
    min_rise : float
        Below this peak (mm) there is no movement: NaN, NaN.

    Returns
    -------
    onset_s, peak_s : float
        Seconds from the first frame (onset linearly interpolated).
    """
    d = np.asarray(displacement, dtype=np.float64)
    if d.size < 2 or not np.isfinite(d).all():
        return math.nan, math.nan
    base = float(d[0])
    peak_i = int(np.argmax(d))
    rise = d[peak_i] - base
    if rise < min_rise:
        return math.nan, math.nan
    level = base + fraction * rise
    below = np.flatnonzero(d[: peak_i + 1] < level)
    if below.size == 0:
        return 0.0, peak_i / sfreq
    i = int(below[-1]) + 1
    onset = (i - 1 + (level - d[i - 1]) / (d[i] - d[i - 1])) / sfreq
    return onset, peak_i / sfreq
