"""Synthetic facial sEMG: band-limited stochastic signals modulated by activation x nerve function.

Model per channel (muscle m, side s)::

    x(t) = A_m * g_s * f_s(branch(m)) * a_m,s(t) * n_shaped(t)   (motor-unit activity)
         + tone + noise floor + powerline + baseline wander + electrode pops

with ``n_shaped`` unit-variance Gaussian noise through a band-pass shaping
filter whose band moves down in acute palsy (median frequency -21%) and
loses its > 200 Hz part in chronic complete palsy (shared/docs/clinical.md).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from ..anatomy import muscle_branch
from .activation import TASK_MUSCLES, synkinetic_levels, task_envelope
from .patient import Patient

#: RMS at maximal voluntary contraction per muscle, volts. Facial sEMG MVC
#: amplitudes lie around 50-300 uV; the ordering follows the Fridlund
#: reference (zygomaticus and orbicularis oris largest, frontalis smaller).
MVC_RMS_V = {
    "frontalis_medial": 80e-6, "frontalis_lateral": 80e-6, "corrugator": 90e-6, "depressor_supercilii": 60e-6,
    "orbicularis_oculi": 110e-6, "levator_labii": 90e-6, "zygomaticus": 150e-6, "orbicularis_oris": 160e-6,
    "depressor_anguli_oris": 120e-6, "mentalis": 110e-6, "masseter": 200e-6,
}
#: Resting tone (fraction of MVC) and amplifier/electrode noise floor (V RMS).
REST_TONE = 0.02
NOISE_FLOOR_V = 1.5e-6
#: Healthy shaping band (Hz): median frequency ~120-140 Hz for facial muscles.
HEALTHY_BAND_HZ = (45.0, 320.0)
#: Acute palsy: median frequency 21% lower (clinical.md).
ACUTE_MDF_DROP = 0.21
ACUTE_DAYS = 21.0
#: Chronic phase: loss of > 200 Hz power, most in complete palsy.
CHRONIC_DAYS = 90.0
HIGH_FREQ_CUTOFF_HZ = 200.0
#: Artefacts.
POWERLINE_V = (0.5e-6, 4e-6)
WANDER_V = (2e-6, 20e-6)
POP_RATE_PER_MIN = 0.2


def _shaping_sos(sfreq: float, low: float, high: float) -> np.ndarray:
    high = min(high, 0.45 * sfreq)
    return signal.butter(2, [low, high], btype="bandpass", fs=sfreq, output="sos")


def _spectral_state(patient: Patient, side: str, f: float) -> tuple[float, float]:
    """(band scale, share of > 200 Hz power removed) for a channel."""
    if side != patient.affected_side or patient.days_since_onset is None:
        return 1.0, 0.0
    # spectral changes follow axonal degeneration, scaled by this branch's loss
    damage = patient.degeneration * min(1.0, (1.0 - f) / max(patient.severity, 1e-6)) if patient.severity > 0 else 0.0
    days = patient.days_since_onset
    scale = 1.0 - ACUTE_MDF_DROP / 0.6 * damage if days <= ACUTE_DAYS else 1.0
    scale = float(np.clip(scale, 0.6, 1.0))
    hf_removed = float(np.clip(damage, 0, 1) ** 1.5) if days >= CHRONIC_DAYS else 0.0
    return scale, hf_removed


def muscle_activation(
    patient: Patient, muscle: str, side: str, times: np.ndarray, segments: list[tuple[str, int, float, float]]
) -> np.ndarray:
    """Drive a_m,s(t) in [0, ~1] before nerve function is applied, shape (n,)."""
    activation = np.full(times.shape, REST_TONE)
    lower_face = muscle_branch(muscle) not in ("temporal", None)
    affected = side == patient.affected_side
    delay = patient.central_delay_s if (affected and lower_face) else 0.0
    # a weak muscle is also slow to rise: blink peak speed -57% in palsy (clinical.md)
    rise = 0.25 * (1.0 + 1.5 * patient.severity) if affected else 0.25
    for task, _rep, start, end in segments:
        levels = dict(TASK_MUSCLES.get(task, {}))
        if affected:
            levels.update(synkinetic_levels(task, levels, patient.synkinesis))
        level = levels.get(muscle, 0.0)
        if level > 0:
            activation += level * task_envelope(times, start, end, delay=delay, rise=rise)
    return activation


def synthesize_emg(
    patient: Patient,
    channels: list[tuple[str, str, str]],
    segments: list[tuple[str, int, float, float]],
    *,
    sfreq: float,
    duration: float,
    rng: np.random.Generator,
    mains_hz: float,
) -> np.ndarray:
    """Simulate all EMG channels.

    Parameters
    ----------
    channels : list of (label, muscle, side)
    segments : list of (task, repetition, start_s, end_s)
    sfreq : float
        Hz.
    duration : float
        s.
    mains_hz : float
        Powerline frequency (50 or 60 Hz).

    Returns
    -------
    ndarray, shape (n_channels, n_samples), float32
        Volts.
    """
    n = int(round(duration * sfreq))
    times = np.arange(n) / sfreq
    out = np.empty((len(channels), n), dtype=np.float32)
    lowpass = signal.butter(6, HIGH_FREQ_CUTOFF_HZ, btype="lowpass", fs=sfreq, output="sos")
    for row, (_label, muscle, side) in enumerate(channels):
        branch = muscle_branch(muscle)
        f = 1.0 if branch is None else patient.function[side][branch]
        scale, hf_removed = _spectral_state(patient, side, f)
        sos = _shaping_sos(sfreq, HEALTHY_BAND_HZ[0] * scale, HEALTHY_BAND_HZ[1] * scale)
        shaped = signal.sosfilt(sos, rng.standard_normal(n))
        if hf_removed > 0:
            shaped = (1 - hf_removed) * shaped + hf_removed * signal.sosfilt(lowpass, shaped)
        shaped /= np.sqrt(np.mean(shaped**2)) + 1e-12
        gain = patient.side_gain[side] * f
        drive = muscle_activation(patient, muscle, side, times, segments)
        x = MVC_RMS_V[muscle] * gain * drive * shaped
        x += NOISE_FLOOR_V * rng.standard_normal(n)
        phase = rng.uniform(0, 2 * np.pi)
        line = rng.uniform(*POWERLINE_V)
        x += line * (np.sin(2 * np.pi * mains_hz * times + phase) + 0.3 * np.sin(2 * np.pi * 3 * mains_hz * times))
        x += rng.uniform(*WANDER_V) * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * times + rng.uniform(0, 6.3))
        n_pops = rng.poisson(POP_RATE_PER_MIN * duration / 60.0)
        for _ in range(n_pops):
            at = int(rng.integers(0, n))
            decay = np.exp(-np.arange(n - at) / (0.08 * sfreq))
            x[at:] += rng.choice([-1, 1]) * rng.uniform(50e-6, 200e-6) * decay
        out[row] = x
    return out
