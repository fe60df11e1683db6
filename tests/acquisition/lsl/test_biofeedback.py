"""Biofeedback: sliding EMG RMS per side and landmark symmetry, fed chunk by chunk."""

from __future__ import annotations

import numpy as np
import pytest

from acquisition.face_mesh import LANDMARKS, neutral_face
from acquisition.lsl_biofeedback import BiofeedbackMonitor, EmgRms, landmark_symmetry
from acquisition.lsl_streams import map_emg_channels, motion_layout


def test_rms_of_an_in_band_sine_over_the_window():
    fs = 2000.0
    t = np.arange(int(fs)) / fs
    x = np.stack([100e-6 * np.sin(2 * np.pi * 100 * t), 20e-6 * np.sin(2 * np.pi * 150 * t)], axis=1)
    x[:, 0] += 5e-3  # electrode offset: removed by the band-pass
    rms = EmgRms(sfreq=fs, n_channels=2, window_s=0.25)
    for start in range(0, len(x), 37):  # odd chunk sizes cross the ring buffer's end
        rms.push(x[start : start + 37])
    np.testing.assert_allclose(rms.rms(), [100e-6 / np.sqrt(2), 20e-6 / np.sqrt(2)], rtol=0.05)


def test_symmetry_is_one_for_the_symmetric_face_and_drops_with_a_lifted_corner():
    face = neutral_face().astype(np.float64)
    assert landmark_symmetry(face[None]) == {"brow": 1.0, "eye": 1.0, "mouth": 1.0, "overall": 1.0}
    smile = face.copy()
    smile[LANDMARKS["commissure_left"]] += [8.0, 6.0, 0.0]  # left corner out and up by 10 mm
    sym = landmark_symmetry(np.stack([face, smile, np.full_like(face, np.nan)]))
    assert sym["brow"] == 1.0 and sym["eye"] == 1.0
    assert 0.7 < sym["mouth"] < 1.0
    assert landmark_symmetry(np.full((2, 478, 3), np.nan)) is None


def test_monitor_emits_frames_paced_by_emg_with_pairs_and_symmetry():
    frames = []
    mapping = map_emg_channels([{"label": "Zyg li"}, {"label": "Zyg re"}, {"label": "Mass li"}],
                               stream_name="amp")
    layout = motion_layout({"fpcds": {"scheme": "mediapipe478"}}, channel_count=1434, stream_name="cam")
    monitor = BiofeedbackMonitor(frames.append, origin=100.0, emg_mapping=mapping, emg_sfreq=1000.0,
                                 motion_layout=layout, motion_sfreq=30.0, rate_hz=10.0)
    rng = np.random.default_rng(0)
    face = neutral_face().reshape(1, -1).astype(np.float32)
    for i in range(100):  # 1 s of 10-sample EMG chunks, a face frame every ~33 ms
        t = 100.0 + (i + 1) * 0.01
        chunk = np.stack([rng.normal(0, 40e-6, 10), rng.normal(0, 10e-6, 10), rng.normal(0, 5e-6, 10)], axis=1)
        monitor("emg", chunk.astype(np.float32), t - np.arange(10)[::-1] / 1000.0)
        if i % 3 == 0:
            monitor("motion", face, np.array([t]))
        monitor("markers", [["x"]], np.array([t]))
    assert 9 <= len(frames) <= 11
    last = frames[-1]
    assert last["t"] == pytest.approx(last["lsl_time"] - 100.0)
    (pair,) = last["emg"]  # only zygomaticus has both sides
    assert pair["muscle"] == "zygomaticus"
    assert pair["left_uv"] > 2 * pair["right_uv"] > 0
    assert pair["asymmetry_pct"] == pytest.approx(100 * (pair["left_uv"] - pair["right_uv"]) / pair["left_uv"],
                                                  abs=0.01)
    assert last["symmetry"]["overall"] == 1.0 and last["stale"] == []


def test_monitor_falls_back_to_motion_when_emg_goes_silent():
    frames = []
    layout = motion_layout({"fpcds": {"scheme": "mediapipe478"}}, channel_count=1434, stream_name="cam")
    monitor = BiofeedbackMonitor(frames.append, origin=0.0, emg_mapping=map_emg_channels(
        [{"label": "Zyg li"}, {"label": "Zyg re"}], stream_name="amp"), emg_sfreq=1000.0,
        motion_layout=layout, motion_sfreq=30.0, rate_hz=5.0)
    monitor("emg", np.zeros((10, 2), np.float32), np.arange(10) / 1000.0)
    face = neutral_face().reshape(1, -1).astype(np.float32)
    for i in range(60):  # two seconds of face frames, no more EMG
        monitor("motion", face, np.array([0.01 + i / 30.0]))
    assert len(frames) >= 8
    assert frames[-1]["stale"] == ["emg"]
