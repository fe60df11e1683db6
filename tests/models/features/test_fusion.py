"""The assembled table: affected side, warnings for every recoverable data problem."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from acquisition.session import Gap, QualityIssue, Segment, Subject
from models.features import extract_features
from models.features.errors import FeatureError
from models.features.emg_measures import emg_measures
from models.features.measures import Measures
from models.features.record import Recorder
from models.features.side import decide_side
from tests.models.features.builders import constructed_session

SHORT = ("rest", "brow_raise", "smile_open")


def codes(table) -> set[str]:
    return {w.code for w in table.warnings}


@pytest.mark.parametrize("side", ["left", "right"])
def test_affected_side_is_inferred_from_the_weaker_side(side):
    table = extract_features(constructed_session(affected=side, weakness=0.6, tasks=SHORT, reps=1))
    assert (table.affected_side, table.affected_side_source) == (side, "inferred")
    assert "it was inferred as the " + side in table.record.methods_text()
    assert table["emg.zygomaticus.rms_ratio.smile_open"] == pytest.approx(0.4, abs=0.08)


def test_recorded_side_wins_and_contradictions_are_warned():
    session = constructed_session(affected="left", weakness=0.6, tasks=SHORT, reps=1)
    table = extract_features(replace(session, subject=Subject(affected_side="right")))
    assert (table.affected_side, table.affected_side_source) == ("right", "subject")
    assert "side.contradiction" in codes(table)
    # oriented by the recorded side, the ratio turns over
    assert table["emg.zygomaticus.rms_ratio.smile_open"] == pytest.approx(1 / 0.4, rel=0.2)


def test_symmetric_faces_are_flagged_as_unclear():
    table = extract_features(constructed_session(weakness=0.0, tasks=SHORT, reps=1))
    assert table.affected_side_source == "inferred" and "side.unclear" in codes(table)


def test_no_movement_means_unknown_side():
    rec = Recorder()
    decision = decide_side(Subject(), Measures(), recorder=rec)
    assert (decision.side, decision.source) == ("left", "unknown")
    assert rec.warnings[0].code == "side.unknown"


def test_missing_streams_are_warned():
    emg_only = extract_features(constructed_session(motion=False, tasks=SHORT, reps=1))
    motion_only = extract_features(constructed_session(emg=False, tasks=SHORT, reps=1))
    assert "motion.absent" in codes(emg_only) and "emg.absent" in codes(motion_only)


def test_no_rest_task_uses_the_pauses_between_tasks():
    session = constructed_session(tasks=("brow_raise", "smile_open"), reps=2)
    table = extract_features(session)
    warning = next(w for w in table.warnings if w.code == "session.no_rest")
    assert "pauses between tasks" in warning.message
    assert table["emg.zygomaticus.rms_rest_norm_healthy.smile_open"] > 10
    assert table["motion.brow_height.excursion_healthy.brow_raise"] == pytest.approx(10, abs=0.05)


def test_no_rest_at_all_leaves_rest_features_empty():
    session = constructed_session(tasks=("smile_open",), reps=1)
    table = extract_features(session)
    assert {"session.no_rest", "emg.no_rest_level", "motion.no_rest"} <= codes(table)
    assert math.isnan(table["emg.zygomaticus.rms_rest_norm_healthy.smile_open"])
    assert table["emg.zygomaticus.rms_ratio.smile_open"] == pytest.approx(0.5, abs=0.1)


def test_no_segments_and_unknown_tasks_are_warned():
    session = constructed_session(tasks=SHORT, reps=1)
    none = extract_features(replace(session, segments=()))
    assert "session.no_segments" in codes(none)
    assert none.available(modality="emg") == () and none.available(modality="motion") == ()
    odd = extract_features(session.with_segments(session.segments + (Segment("whistle", 1.0, 2.0),)))
    assert any(w.code == "session.unknown_tasks" and "whistle" in w.message for w in odd.warnings)


def test_emg_gaps_and_lost_samples_skip_stretches_with_a_warning():
    session = constructed_session(motion=False, tasks=SHORT, reps=2)
    seg = next(s for s in session.segments if s.task == "smile_open")
    data = np.array(session.emg.data)
    data[:, int((seg.start + 0.2) * 2000):int((seg.start + 0.4) * 2000)] = np.nan
    session = replace(session, emg=replace(session.emg, data=data),
                      gaps=(Gap("emg", seg.start, seg.end, "electrode off"),))
    table = extract_features(session)
    assert any(w.code == "emg.gap" and "smile_open" in w.message for w in table.warnings)
    assert table["emg.zygomaticus.rms_healthy.smile_open"] == pytest.approx(60, rel=0.15)


def test_session_quality_findings_are_carried_into_the_record():
    session = constructed_session(tasks=SHORT, reps=1)
    issue = QualityIssue("emg.clipping", "warning", "channel 'Zyg li' clips 2% of samples", "emg", "Zyg li")
    table = extract_features(session.with_quality((issue,)))
    assert any(w.code == "session.emg.clipping" and "clips 2%" in w.message for w in table.warnings)


def test_low_sampling_rate_clips_the_band_with_a_warning():
    session = constructed_session(motion=False, sfreq=800.0, tasks=SHORT, reps=1)
    table = extract_features(session)
    assert "emg.band_clipped" in codes(table)
    assert "band-pass filtered 20-360 Hz" in table.record.methods_text()


def test_explicit_powerline_and_errors():
    session = constructed_session(motion=False, tasks=SHORT, reps=1)
    table = extract_features(session, powerline=60)
    assert table.record.parameters["emg.notch_hz"] == [60.0, 120.0, 180.0, 240.0, 300.0, 360.0, 420.0]
    assert extract_features(session, powerline=None).record.parameters["emg.notch_hz"] == []
    with pytest.raises(FeatureError, match="powerline 'fifty' is invalid"):
        extract_features(session, powerline="fifty")
    with pytest.raises(FeatureError, match="session has no EMG"):
        emg_measures(constructed_session(emg=False, tasks=SHORT, reps=1), recorder=Recorder())


def test_scores_can_be_left_out():
    table = extract_features(constructed_session(tasks=SHORT, reps=1), with_scores=False)
    assert table.scores is None


def test_too_short_stretches_and_flat_channels_are_warned():
    session = constructed_session(motion=False, tasks=SHORT, reps=1)
    data = np.array(session.emg.data)
    data[0] = 0.0  # a dead channel
    blip = Segment("smile_open", 15.0, 15.05, 9)
    session = replace(session, emg=replace(session.emg, data=data), segments=session.segments + (blip,))
    table = extract_features(session)
    assert any(w.code == "emg.short_stretch" and "under 0.1 s" in w.message for w in table.warnings)
    name = session.emg.channels[0].name
    assert any(w.code == "emg.flat" and repr(name) in w.message for w in table.warnings)
