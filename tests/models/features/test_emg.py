"""Known-answer and error-path tests of the sEMG signal functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from models.features import emg as E
from models.features.errors import FeatureError
from tests.models.features.builders import band_noise

FS = 2000.0


def test_rms_and_mav_of_a_sine_are_known():
    t = np.arange(int(FS * 10)) / FS
    x = 2e-4 * np.sin(2 * np.pi * 97.3 * t)
    assert E.emg_rms(x) == pytest.approx(2e-4 / math.sqrt(2), rel=1e-4)
    assert E.emg_mav(x) == pytest.approx(2e-4 * 2 / math.pi, rel=1e-3)
    # cleaning keeps an in-band sine intact (zero phase, unit gain in the pass band)
    assert E.emg_rms(E.emg_clean(x, sfreq=FS))[()] == pytest.approx(2e-4 / math.sqrt(2), rel=1e-3)


def test_median_and_mean_frequency_of_band_limited_noise():
    x = band_noise(np.random.default_rng(1), 400_000, FS, low=50, high=150)
    freqs, psd = E.emg_psd(x, sfreq=FS)
    assert E.emg_median_frequency(freqs, psd) == pytest.approx(100, abs=1.5)
    assert E.emg_mean_frequency(freqs, psd) == pytest.approx(100, abs=1.5)
    assert E.emg_power_fraction(freqs, psd, above=125) == pytest.approx(0.25, abs=0.02)


def test_high_frequency_fraction_and_band_restriction():
    x = band_noise(np.random.default_rng(2), 400_000, FS, low=100, high=300)
    freqs, psd = E.emg_psd(x, sfreq=FS)
    assert E.emg_power_fraction(freqs, psd, above=200) == pytest.approx(0.5, abs=0.02)
    # only 100-200 Hz counts: the median is then 150 Hz
    assert E.emg_median_frequency(freqs, psd, band=(100, 200)) == pytest.approx(150, abs=2)


def test_spectral_measures_of_silence_are_nan():
    freqs = np.linspace(0, 1000, 513)
    zero = np.zeros((2, 513))
    assert np.isnan(E.emg_median_frequency(freqs, zero)).all()
    assert np.isnan(E.emg_mean_frequency(freqs, zero)).all()
    assert np.isnan(E.emg_power_fraction(freqs, zero)).all()


def test_zero_phase_cleaning_matches_forward_backward_filtering():
    x = (np.random.default_rng(3).standard_normal((2, 60_000)) * 1e-5).astype(np.float32)
    design = E.emg_filter(sfreq=FS, powerline=50)
    ours = E.emg_clean(x, sfreq=FS, design=design)
    ref = signal.sosfiltfilt(design.sos, x.astype(np.float64), axis=-1)
    interior = slice(design.settle_samples, -design.settle_samples)
    assert ours.dtype == np.float32 and ours.shape == x.shape
    assert np.max(np.abs(ours[:, interior] - ref[:, interior])) < 1e-4 * np.max(np.abs(ref))


def test_notch_removes_powerline_and_its_harmonics():
    t = np.arange(int(FS * 10)) / FS
    emg = band_noise(np.random.default_rng(4), t.size, FS) * 1e-5
    hum = 2e-5 * (np.sin(2 * np.pi * 60 * t) + np.sin(2 * np.pi * 180 * t))
    clean = E.emg_clean(emg + hum, sfreq=FS, powerline=60)
    freqs, psd = E.emg_psd(clean, sfreq=FS)
    ref_f, ref = E.emg_psd(E.emg_clean(emg, sfreq=FS, powerline=60), sfreq=FS)
    for f0 in (60, 180):
        k = np.argmin(np.abs(freqs - f0))
        assert psd[k] < 3 * ref[k]


def test_powerline_detection_finds_50_or_60_hz_or_nothing():
    t = np.arange(int(FS * 20)) / FS
    noise = band_noise(np.random.default_rng(5), t.size, FS, 20, 450) * 1e-5
    assert E.emg_detect_powerline(noise + 5e-6 * np.sin(2 * np.pi * 50 * t), sfreq=FS) == 50.0
    assert E.emg_detect_powerline(noise + 5e-6 * np.sin(2 * np.pi * 60 * t), sfreq=FS) == 60.0
    assert E.emg_detect_powerline(noise, sfreq=FS) is None
    assert E.emg_detect_powerline(noise[:100], sfreq=FS) is None  # too short to tell


def test_only_harmonics_present_are_notched_after_detection():
    t = np.arange(int(FS * 20)) / FS
    noise = band_noise(np.random.default_rng(6), t.size, FS, 20, 450) * 1e-5
    x = noise + 5e-6 * (np.sin(2 * np.pi * 50 * t) + np.sin(2 * np.pi * 150 * t))
    harmonics = E.emg_line_harmonics(x, sfreq=FS, powerline=50, upto=450)
    assert harmonics == (50.0, 150.0)
    design = E.emg_filter(sfreq=FS, powerline=50, harmonics=harmonics)
    assert design.notches == (50.0, 150.0)
    assert E.emg_filter(sfreq=FS, powerline=50).notches == tuple(float(f) for f in range(50, 450, 50))


def test_band_is_clipped_below_nyquist_for_slow_amplifiers():
    design = E.emg_filter(sfreq=500.0)
    assert design.band == (20.0, 225.0) and design.clipped
    assert "20-225 Hz" in design.describe()
    assert not E.emg_filter(sfreq=FS).clipped


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sfreq": 0}, "sampling rate 0 Hz is invalid"),
        ({"sfreq": float("nan")}, "sampling rate nan Hz is invalid"),
        ({"sfreq": 40.0}, "cannot be applied at 40 Hz"),
        ({"sfreq": FS, "band": (450, 20)}, "band-pass edges 450-20 Hz are invalid"),
        ({"sfreq": FS, "powerline": 1500}, "powerline frequency 1500 Hz is invalid"),
        ({"sfreq": FS, "powerline": 50, "notch_q": 0}, "notch quality factor 0 is invalid"),
        ({"sfreq": FS, "order": 0}, "band-pass order 0 is invalid"),
    ],
)
def test_filter_design_errors_name_the_problem(kwargs, message):
    with pytest.raises(FeatureError, match=message):
        E.emg_filter(**kwargs)


def test_design_for_another_rate_is_refused():
    with pytest.raises(FeatureError, match="designed for 1000 Hz; the signal is sampled at 2000 Hz"):
        E.emg_clean(np.zeros(4000), sfreq=FS, design=E.emg_filter(sfreq=1000.0))


def test_sampling_rate_is_a_required_keyword():
    with pytest.raises(TypeError):
        E.emg_clean(np.zeros(100), 2000.0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        E.emg_envelope(np.zeros(100))  # type: ignore[call-arg]


def test_envelope_follows_amplitude_modulation():
    t = np.arange(int(FS * 6)) / FS
    amp = np.where((t > 2) & (t < 4), 50e-6, 5e-6)
    x = amp * band_noise(np.random.default_rng(7), t.size, FS)
    env = E.emg_envelope(E.emg_clean(x, sfreq=FS), sfreq=FS)
    assert (env >= 0).all()
    on, off = env[int(2.8 * FS):int(3.2 * FS)].mean(), env[int(0.5 * FS):int(1.5 * FS)].mean()
    # mean absolute value of Gaussian noise = RMS * sqrt(2/pi)
    assert on == pytest.approx(50e-6 * math.sqrt(2 / math.pi), rel=0.1)
    assert on / off == pytest.approx(10, rel=0.2)


def test_onset_of_shifted_envelopes_differs_by_the_shift():
    t = np.arange(int(FS * 3)) / FS
    ramp = lambda t0: 1e-6 + 40e-6 * np.clip((t - t0) / 0.3, 0, 1)  # noqa: E731
    left = E.emg_onset(ramp(0.5), sfreq=FS, baseline=1e-6, min_rise=3e-6)
    right = E.emg_onset(ramp(0.75), sfreq=FS, baseline=1e-6, min_rise=3e-6)
    assert left == pytest.approx(0.5 + 0.2 * 0.3, abs=1 / FS)
    assert right - left == pytest.approx(0.25, abs=1 / FS)


def test_onset_without_a_rise_is_nan():
    flat = np.full(1000, 2e-6)
    assert math.isnan(E.emg_onset(flat, sfreq=FS, baseline=2e-6, min_rise=1e-6))
    assert math.isnan(E.emg_onset(np.array([np.nan, 1.0]), sfreq=FS, baseline=0.0, min_rise=0.1))


def test_lowpass_and_welch_arguments_are_checked():
    with pytest.raises(FeatureError, match="low-pass cut-off 1500 Hz is invalid at 2000 Hz"):
        E.lowpass_sos(sfreq=FS, cutoff=1500)
    with pytest.raises(FeatureError, match="Welch segments of 512 samples \\(overlap 256\\) do not fit 100 samples"):
        E.welch(np.zeros(100), sfreq=FS, nperseg=512, noverlap=256)


def test_welch_matches_scipy():
    x = np.random.default_rng(8).standard_normal((2, 5000))
    for nperseg, noverlap in ((512, 256), (2000, 0)):
        f, p = E.welch(x, sfreq=FS, nperseg=nperseg, noverlap=noverlap)
        rf, rp = signal.welch(x, fs=FS, nperseg=nperseg, noverlap=noverlap)
        np.testing.assert_allclose(f, rf)
        np.testing.assert_allclose(p, rp, rtol=1e-10)
