"""The simulator: determinism, cohort composition and the documented effect sizes."""

from __future__ import annotations

import csv
import json
from collections import Counter
import numpy as np
import pytest
from scipy import signal, stats

from acquisition.face_mesh import LANDMARKS
from acquisition.native import content_hash, read_session
from acquisition.simulate import (
    LABEL_COLUMNS,
    SimulationOptions,
    cohort_patient,
    make_patient,
    simulate_cohort,
    simulate_session,
)
from plugin.cli import main
from tests.paths import REAL_DATA as REAL

SHORT = SimulationOptions(repetitions=1, rest_s=1.5)
EMG_ONLY = SimulationOptions(repetitions=1, rest_s=1.5, modalities=("emg",))
MOTION_ONLY = SimulationOptions(repetitions=1, rest_s=1.5, modalities=("motion",))


def task_rms(session, task, muscle, side):
    """RMS (V) of a 20-450 Hz band-passed channel over the repetitions of ``task``."""
    e = session.emg
    sos = signal.butter(4, [20, 450], btype="bandpass", fs=e.sfreq, output="sos")
    x = signal.sosfiltfilt(sos, e.data[e.index(muscle, side)])
    parts = [x[int(s.start * e.sfreq) : int(s.end * e.sfreq)] for s in session.segments_for(task)]
    return float(np.sqrt(np.mean(np.concatenate(parts) ** 2)))


def task_spectrum(session, task, muscle, side):
    e = session.emg
    parts = [e.data[e.index(muscle, side), int(s.start * e.sfreq) : int(s.end * e.sfreq)]
             for s in session.segments_for(task)]
    f, p = signal.welch(np.concatenate(parts), fs=e.sfreq, nperseg=512)
    band = (f >= 20) & (f <= 450)
    return f[band], p[band]


def median_frequency(session, task, muscle, side):
    f, p = task_spectrum(session, task, muscle, side)
    c = np.cumsum(p)
    return float(f[np.searchsorted(c, c[-1] / 2)])


def excursion(session, task, landmark, reference):
    """Peak change (mm) of the distance between two landmarks from rest to ``task``."""
    m = session.motion
    d = np.linalg.norm(m.data[:, LANDMARKS[landmark]] - m.data[:, LANDMARKS[reference]], axis=1)
    rest = session.segments_for("rest")[0]
    base = np.median(d[int(rest.start * m.sfreq) : int(rest.end * m.sfreq)])
    seg = session.segments_for(task)[0]
    window = d[int(seg.start * m.sfreq) : int(seg.end * m.sfreq)]
    return float(np.max(np.abs(window - base)))


# ------------------------------------------------------------------ determinism
def test_same_seed_same_session_and_cohort_patient_independent_of_size():
    p = make_patient(condition="bell", onset_severity=0.6, seed=4)
    assert content_hash(simulate_session(p, seed=9, options=SHORT)) == content_hash(
        simulate_session(p, seed=9, options=SHORT)
    )
    assert content_hash(simulate_session(p, seed=9, options=SHORT)) != content_hash(
        simulate_session(p, seed=10, options=SHORT)
    )
    assert cohort_patient(3, 5).as_dict() == cohort_patient(3, 5).as_dict()


def test_cli_cohort_is_byte_identical_and_inspectable(tmp_path, capsys):
    for name in ("a", "b"):
        assert main(["simulate", "--out", str(tmp_path / name), "--patients", "4", "--seed", "2", "--jobs", "2"]) == 0
    files_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files_a == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    with open(tmp_path / "a" / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(LABEL_COLUMNS)
    capsys.readouterr()
    for row in rows:
        path = tmp_path / "a" / row["session_file"]
        assert main(["inspect", "--json", "--verify", str(path)]) == 0
        info = json.loads(capsys.readouterr().out)
        assert info["content_sha256"] == row["content_sha256"]
        assert info["emg"]["n_channels"] == 10 and info["motion"]["n_points"] == 478
        assert {t["task"] for t in info["tasks"]} == {
            "rest", "brow_raise", "gentle_eye_closure", "tight_eye_closure", "snarl", "smile_closed",
            "smile_open", "pucker", "eee", "cheek_puff"}
        assert read_session(path).subject.age == float(row["age"])


def test_cli_rejects_bad_arguments(tmp_path, capsys):
    assert main(["simulate", "--out", str(tmp_path), "--patients", "0"]) == 2
    assert "--patients is 0; expected at least 1" in capsys.readouterr().err
    assert main(["simulate", "--out", str(tmp_path), "--modalities", "eeg"]) == 2
    assert "--modalities 'eeg'" in capsys.readouterr().err
    assert main(["simulate", "--patients", "1"]) == 2
    assert "--out DIR is required" in capsys.readouterr().err


# ------------------------------------------------------------ cohort composition
@pytest.fixture(scope="module")
def cohort200():
    return [cohort_patient(1, i) for i in range(200)]


def test_every_grade_and_lesion_type_in_a_cohort_of_200(cohort200):
    grades = Counter(p.labels["hb_grade"] for p in cohort200)
    assert set(grades) == {1, 2, 3, 4, 5, 6}
    assert set(p.labels["lesion"] for p in cohort200) == {"healthy", "peripheral", "central"}
    assert {p.labels["affected_side"] for p in cohort200} == {"left", "right", "none"}


def test_synkinesis_and_recovery_follow_the_priors():
    patients = [cohort_patient(11, i) for i in range(1500)]
    peripheral = [p for p in patients if p.lesion == "peripheral"]
    synk = np.mean([p.labels["synkinesis"] for p in peripheral])
    assert 0.22 <= synk <= 0.38  # 28-32% of patients
    bell = [p for p in patients if p.condition == "bell"]
    recovered = np.mean([p.labels["recovered_6mo"] for p in bell])
    complete = np.mean([p.labels["recovered_6mo"] for p in bell if p.onset_severity >= 0.93])
    incomplete = np.mean([p.labels["recovered_6mo"] for p in bell if p.onset_severity < 0.93])
    assert 0.64 <= recovered <= 0.80  # 71% overall (Peitersen)
    assert 0.52 <= complete <= 0.72  # ~61% if complete
    assert incomplete >= 0.90  # 94% if incomplete
    old = [p.labels["recovered_6mo"] for p in bell if p.age > 60 and p.onset_severity >= 0.93]
    young = [p.labels["recovered_6mo"] for p in bell if p.age <= 60 and p.onset_severity >= 0.93]
    assert np.mean(old) < np.mean(young)  # poorer with age > 60


def test_fdi_scores_track_severity(cohort200):
    sev = [p.severity for p in cohort200]
    assert stats.spearmanr(sev, [p.fdi_physical for p in cohort200])[0] < -0.6
    assert stats.spearmanr(sev, [p.fdi_social for p in cohort200])[0] < -0.3


# -------------------------------------------------------------- sEMG effect sizes
def test_affected_side_rms_is_37_to_62_percent_lower_and_tracks_hb():
    ratios, grades = [], []
    for i in range(30):
        s0 = 0.2 + 0.8 * i / 29
        p = make_patient(condition="bell", affected_side="left" if i % 2 else "right", onset_severity=s0,
                         days_since_onset=10, seed=100 + i)
        s = simulate_session(p, seed=i, options=EMG_ONLY)
        healthy = "right" if p.affected_side == "left" else "left"
        r = task_rms(s, "smile_open", "zygomaticus", p.affected_side) / task_rms(s, "smile_open", "zygomaticus",
                                                                                 healthy)
        ratios.append(r)
        grades.append(p.labels["hb_grade"])
    ratios, grades = np.array(ratios), np.array(grades)
    moderate = ratios[(grades >= 3) & (grades <= 4)]
    assert len(moderate) >= 5
    assert 0.38 <= np.median(moderate) <= 0.63  # "37-62% lower"
    assert stats.spearmanr(ratios, grades)[0] <= -0.75  # r = -0.84 with HB


def fridlund_log_ratio_sigma():
    with open(REAL / "fridlund_bilateral_semg.csv", newline="") as fh:
        rows = [[c.strip() for c in r] for r in csv.reader(fh)]
    header = rows[0]
    logs = []
    for row in rows[1:]:
        values = dict(zip(header, row))
        for key in header[1:]:
            if key.endswith(" li"):
                left, right = float(values[key]), float(values[key[:-3] + " re"])
                if left > 0.5 and right > 0.5:
                    logs.append(np.log(left / right))
    return float(np.median(np.abs(logs)) / 0.6745)


def test_healthy_bilateral_ratio_near_one_with_the_real_reference_spread():
    logs = []
    for i in range(40):
        p = make_patient(condition="healthy", seed=500 + i)
        s = simulate_session(p, seed=i, options=EMG_ONLY)
        for muscle in ("zygomaticus", "orbicularis_oris"):
            task = "smile_open" if muscle == "zygomaticus" else "pucker"
            logs.append(np.log(task_rms(s, task, muscle, "left") / task_rms(s, task, muscle, "right")))
    logs = np.array(logs)
    assert abs(np.median(logs)) < 0.12  # ratio near 1
    sigma = np.median(np.abs(logs - np.median(logs))) / 0.6745
    reference = fridlund_log_ratio_sigma()  # real healthy subjects
    assert 0.6 * reference <= sigma <= 1.4 * reference
    assert sigma > 0.08  # healthy faces are not perfectly symmetric


def test_acute_median_frequency_drop_and_chronic_high_frequency_loss():
    drops = []
    for i in range(12):
        p = make_patient(condition="bell", onset_severity=0.75, days_since_onset=7, seed=700 + i)
        s = simulate_session(p, seed=i, options=EMG_ONLY)
        drops.append(1 - median_frequency(s, "smile_open", "zygomaticus", "left")
                     / median_frequency(s, "smile_open", "zygomaticus", "right"))
    assert 0.10 <= np.mean(drops) <= 0.32  # "median frequency 21% lower in acute FP"

    def hf_fraction(s, side):
        f, p = task_spectrum(s, "smile_open", "zygomaticus", side)
        return p[f > 200].sum() / p.sum()

    chronic = make_patient(condition="bell", onset_severity=1.0, days_since_onset=120, seed=7)
    object.__setattr__(chronic, "degeneration", 1.0)
    s = simulate_session(chronic, seed=3, options=EMG_ONLY)
    assert hf_fraction(s, "left") < 0.5 * hf_fraction(s, "right")


# ------------------------------------------------------------- motion effect sizes
def test_motion_amplitude_reduced_on_affected_side_and_healthy_difference_small():
    healthy_diffs = []
    for i in range(10):
        s = simulate_session(make_patient(condition="healthy", seed=900 + i), seed=i, options=MOTION_ONLY)
        left = excursion(s, "smile_open", "commissure_left", "lower_lip_mid")
        right = excursion(s, "smile_open", "commissure_right", "lower_lip_mid")
        healthy_diffs.append(abs(left - right) / max(left, right))
    assert np.median(healthy_diffs) < 0.12  # healthy bilateral difference ~7%

    p = make_patient(condition="bell", affected_side="right", onset_severity=0.4, days_since_onset=5, seed=3)
    s = simulate_session(p, seed=1, options=MOTION_ONLY)
    ratio = excursion(s, "smile_open", "commissure_right", "lower_lip_mid") / excursion(
        s, "smile_open", "commissure_left", "lower_lip_mid")
    assert 0.45 <= ratio <= 0.75  # mouth-corner displacement -40% in moderate palsy
    brow = excursion(s, "brow_raise", "brow_mid_right", "iris_center_right") / excursion(
        s, "brow_raise", "brow_mid_left", "iris_center_left")
    assert 0.45 <= brow <= 0.75  # peripheral: all branches on one side


def test_central_palsy_spares_forehead_keeps_two_thirds_of_smile_and_lags():
    p = make_patient(condition="central", affected_side="left", onset_severity=0.9, days_since_onset=2, seed=5)
    s = simulate_session(p, seed=2, options=MOTION_ONLY)
    brow = excursion(s, "brow_raise", "brow_mid_left", "iris_center_left") / excursion(
        s, "brow_raise", "brow_mid_right", "iris_center_right")
    smile = excursion(s, "smile_open", "commissure_left", "lower_lip_mid") / excursion(
        s, "smile_open", "commissure_right", "lower_lip_mid")
    assert brow >= 0.85
    assert 0.5 <= smile <= 0.85  # ~67% retained
    # onset delay of the affected side: time to reach half of its own (smoothed) plateau
    m = s.motion
    seg = s.segments_for("smile_open")[0]
    i0, i1 = int((seg.start - 0.5) * m.sfreq), int(seg.end * m.sfreq)
    onsets = {}
    for side in ("left", "right"):
        y = m.data[i0:i1, LANDMARKS[f"commissure_{side}"], 1] - m.data[i0:i1, LANDMARKS["nasion"], 1]
        y = np.convolve(y - np.median(y[:10]), np.ones(5) / 5, mode="same")
        onsets[side] = np.argmax(y > 0.5 * np.median(y[len(y) // 2 :])) / m.sfreq
    assert onsets["left"] - onsets["right"] >= 0.2  # > 0.2 s sequence difference


def test_session_contents():
    p = make_patient(condition="bell", affected_side="left", onset_severity=0.5, seed=1)
    s = simulate_session(p, seed=1)
    assert s.emg.sfreq == 2000.0 and s.motion.sfreq == 30.0 and s.motion.units == "mm"
    assert len(s.segments) == 30 and len(s.markers) == 60  # 10 tasks x 3 repetitions
    assert s.subject.affected_side is None  # the models must infer it
    assert "SIMULATED DATA" in s.provenance.devices[0]
    assert np.isfinite(s.emg.data).all() and np.isfinite(s.motion.data).all()
    assert 1e-6 < float(np.std(s.emg.data)) < 1e-3  # volts, not mV or uV


def test_labels_file_schema(tmp_path):
    labels = simulate_cohort(tmp_path, n_patients=3, seed=8, options=EMG_ONLY, jobs=1)
    rows = list(csv.DictReader(open(labels)))
    assert len(rows) == 3
    for row in rows:
        assert row["lesion"] in {"healthy", "peripheral", "central"}
        assert row["affected_side"] in {"left", "right", "none"}
        assert row["synkinesis"] in {"0", "1"} and row["recovered_6mo"] in {"0", "1"}
        assert 1 <= int(row["hb_grade"]) <= 6 and 0 <= int(row["sunnybrook_composite"]) <= 100
        assert (tmp_path / row["session_file"]).exists()
