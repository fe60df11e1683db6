"""The real healthy bilateral sEMG reference (Fridlund placement): ratios near 1, no palsy called.

shared/data/real/fridlund_bilateral_semg.csv holds mean sEMG amplitudes of 11
muscles x 2 sides (li = left, re = right) for 6 emotions in healthy people.
Fed through the feature recipes as per-side amplitudes, the bilateral ratio
features must stay near 1 and within the asymmetry healthy faces show.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from acquisition.anatomy import muscle_from_fridlund
from acquisition.session import Subject
from models.features.measures import Measures, orient
from models.features.names import feature_names, recipes
from models.features.record import Recorder
from models.features.side import decide_side

REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "data" / "real" / "fridlund_bilateral_semg.csv"
#: Emotions mapped to the protocol task that performs them.
EMOTION_TASK = {"happy": "smile_open", "suprised": "brow_raise", "distugusted": "snarl", "sad": "eee",
                "angry": "tight_eye_closure", "fearful": "pucker"}
#: Amplitudes below this are the recording floor (the file has exact zeros).
ACTIVE = 1.0

pytestmark = pytest.mark.skipif(not REFERENCE.exists(), reason=f"real reference {REFERENCE} not present")


@pytest.fixture(scope="module")
def reference() -> dict[str, dict[tuple[str, str], float]]:
    with open(REFERENCE, newline="") as fh:
        rows = list(csv.reader(fh))
    header = [h.strip() for h in rows[0]]
    out = {}
    for row in rows[1:]:
        emotion = row[0].strip()
        out[emotion] = {muscle_from_fridlund(label): float(value) for label, value in zip(header[1:], row[1:])}
    return out


def test_the_file_is_what_we_expect(reference):
    assert set(reference) == set(EMOTION_TASK)
    assert all(len(values) == 22 for values in reference.values())


def test_bilateral_ratio_features_of_healthy_faces_are_near_one(reference):
    m = Measures()
    for emotion, values in reference.items():
        task = EMOTION_TASK[emotion]
        for (muscle, side), amplitude in values.items():
            if amplitude >= ACTIVE:
                m.put(f"emg.{muscle}.rms.{task}", side, amplitude * 1e-6)
    names = tuple(n for n in feature_names() if ".rms_ratio." in n)
    ratios = orient(m, recipes(), names, affected="left")
    ratios = ratios[np.isfinite(ratios)]
    logs = np.log(ratios)
    assert len(ratios) >= 30
    assert math.exp(np.mean(logs)) == pytest.approx(1.0, abs=0.1)  # no side bias
    assert np.median(np.abs(logs)) < math.log(1.25)  # typical healthy asymmetry well under 25 %
    # a palsy's 37-62 % RMS loss (ratio <= 0.63) is rare in healthy faces
    assert np.mean(ratios <= 0.63) < 0.15
    # orientation by the other side inverts every ratio
    flipped = orient(m, recipes(), names, affected="right")
    np.testing.assert_allclose(1 / flipped[np.isfinite(flipped)], ratios)


def test_healthy_reference_is_not_called_a_clear_palsy(reference):
    m = Measures()
    for emotion, values in reference.items():
        task = EMOTION_TASK[emotion]
        # activation above the smallest amplitude of that emotion as a stand-in for rest
        floor = min(v for v in values.values() if v >= ACTIVE)
        for (muscle, side), amplitude in values.items():
            if amplitude >= ACTIVE:
                m.put(f"emg.{muscle}.rms_rest_norm.{task}", side, amplitude / floor)
    rec = Recorder()
    decision = decide_side(Subject(), m, recorder=rec)
    assert decision.n_evidence >= 5
    assert abs(decision.log_ratio) < math.log(1.25)
