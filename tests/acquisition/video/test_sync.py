"""Combining video motion with EMG: the three synchronisation methods and their failure modes."""

from __future__ import annotations

import numpy as np
import pytest

from acquisition.errors import SessionValidationError
from acquisition.face_mesh import neutral_face
from acquisition.readers.video import read_video
from acquisition.session import (
    EmgBlock,
    EmgChannel,
    Gap,
    Marker,
    MotionBlock,
    Provenance,
    Segment,
    Session,
    SourceFile,
    Subject,
)
from acquisition.sync import combine_sessions, detect_flash

from .conftest import FLASH_FRAMES, FPS


def emg_session(*, seconds: float = 20.0, markers=(), segments=(), subject=None, offsets=(), t0=0.0) -> Session:
    sfreq = 1000.0
    rng = np.random.default_rng(0)
    emg = EmgBlock(
        (rng.standard_normal((2, int(seconds * sfreq))) * 1e-5).astype(np.float32),
        sfreq,
        (EmgChannel("Zyg li", "zygomaticus", "left"), EmgChannel("Zyg re", "zygomaticus", "right")),
        t0,
    )
    return Session(
        emg=emg,
        markers=tuple(markers),
        segments=tuple(segments),
        subject=subject or Subject(),
        provenance=Provenance(
            sources=(SourceFile("emg.xdf", "a" * 64, "xdf"),), clock_offsets=offsets, notes=("EMG read",)
        ),
    )


def video_session(*, seconds: float = 4.0, markers=(), segments=(), subject=None, offsets=(), gaps=()) -> Session:
    n = int(seconds * FPS)
    motion = MotionBlock(
        np.repeat(np.asarray(neutral_face())[None], n, axis=0).astype(np.float32), FPS, "mediapipe478", "mm"
    )
    return Session(
        motion=motion,
        markers=tuple(markers),
        segments=tuple(segments),
        subject=subject or Subject(),
        gaps=tuple(gaps),
        provenance=Provenance(
            sources=(SourceFile("face.mp4", "b" * 64, "video"),), clock_offsets=offsets, notes=("tracked",)
        ),
    )


def test_given_offset_moves_motion_markers_gaps_and_segments():
    video = video_session(
        markers=[Marker(1.0, "blink")],
        segments=[Segment("smile_open", 1.0, 2.0)],
        gaps=[Gap("motion", 0.5, 0.6, "face lost")],
    )
    combined = combine_sessions(emg_session(), video, method="offset", offset_s=3.25)
    assert combined.modalities == ("emg", "motion")
    assert combined.motion.t0 == pytest.approx(3.25) and combined.motion.sfreq == FPS
    assert combined.segments == (Segment("smile_open", 4.25, 5.25),)
    assert Marker(4.25, "blink") in combined.markers
    assert combined.gaps == (Gap("motion", 3.75, 3.85, "face lost"),)
    assert [s.name for s in combined.provenance.sources] == ["emg.xdf", "face.mp4"]
    notes = combined.provenance.notes
    assert notes[:2] == ("EMG read", "video: tracked")
    assert "given offset of +3.2500 s" in notes[-1]
    assert dict(combined.provenance.clock_offsets)["motion"] == pytest.approx(3.25)


def test_emg_segments_win_over_video_segments():
    combined = combine_sessions(
        emg_session(segments=[Segment("rest", 0, 3)]),
        video_session(segments=[Segment("smile_open", 1.0, 2.0)]),
        method="offset",
        offset_s=0.0,
    )
    assert combined.segments == (Segment("rest", 0, 3),)
    assert "kept the EMG session's" in " ".join(combined.provenance.notes)


def test_lsl_frame_stamps_give_offset_and_drift():
    video = video_session(seconds=4.0)
    rng = np.random.default_rng(2)
    # the camera's clock runs 0.1 % slow; its frames were stamped on the LSL clock with 3 ms jitter
    stamps = 6.0 + 1.001 * video.motion.times + rng.uniform(-0.003, 0.003, video.motion.n_frames)
    emg = emg_session(markers=[Marker(t, "video/frame") for t in stamps])
    combined = combine_sessions(emg, video, method="lsl")
    assert combined.motion.t0 == pytest.approx(6.0, abs=0.003)
    assert combined.motion.sfreq == pytest.approx(FPS / 1.001, rel=5e-4)  # not 15 Hz (rel. 1e-3)
    assert "60 LSL frame time stamps ('video/frame')" in combined.provenance.notes[-1]


def test_lsl_stamp_of_the_first_frame_only():
    combined = combine_sessions(
        emg_session(markers=[Marker(2.5, "cam0")]), video_session(), method="lsl", event="cam0"
    )
    assert combined.motion.t0 == pytest.approx(2.5) and combined.motion.sfreq == FPS
    assert "LSL time stamp of the first video frame" in combined.provenance.notes[-1]


def test_lsl_frame_stamps_must_match_the_frames():
    emg = emg_session(markers=[Marker(1 + i / FPS, "video/frame") for i in range(59)])
    with pytest.raises(
        SessionValidationError, match="the EMG session has 59 'video/frame' markers but the video has 60 frames"
    ):
        combine_sessions(emg, video_session(), method="lsl")
    stamps = 1 + np.arange(300) / FPS
    stamps[150:] += 0.6  # a stall of 0.6 s in a 20 s video: frames were dropped
    with pytest.raises(
        SessionValidationError,
        match=r"the 300 LSL frame time stamps \('video/frame'\) do not fit one clock model: "
        r"worst residual 298.5 ms exceeds two frame periods",
    ):
        combine_sessions(
            emg_session(markers=[Marker(t, "video/frame") for t in stamps]),
            video_session(seconds=20.0),
            method="lsl",
        )


def test_one_sync_event_gives_the_offset():
    combined = combine_sessions(
        emg_session(markers=[Marker(7.5, "trigger")]),
        video_session(markers=[Marker(0.5, "sync")]),
        method="event",
        event="trigger",
        video_event="sync",
    )
    assert combined.motion.t0 == pytest.approx(7.0)
    assert "one sync event" in combined.provenance.notes[-1]


def test_flashes_in_a_real_video_pair_with_emg_triggers_and_correct_drift(events_clip):
    video = read_video(events_clip.path, sync_flash=True)
    flashes = [m.time for m in video.markers if m.label == "sync"]
    assert flashes == pytest.approx([f / FPS for f in FLASH_FRAMES])
    ratio, offset = 1.002, 5.0  # the camera clock runs 0.2 % fast relative to the amplifier
    emg = emg_session(markers=[Marker(ratio * t + offset, "TRIG") for t in flashes])
    combined = combine_sessions(emg, video, method="event", event="TRIG", video_event="sync")
    assert combined.motion.t0 == pytest.approx(offset)
    assert combined.motion.sfreq == pytest.approx(FPS / ratio)
    frames_at_flash = np.round(
        (np.array([m.time for m in combined.markers if m.label == "TRIG"]) - combined.motion.t0)
        * combined.motion.sfreq
    )
    assert list(frames_at_flash) == list(FLASH_FRAMES)
    assert np.isnan(combined.motion.data[list(FLASH_FRAMES)]).all()  # the flash frames are face-lost gaps
    assert "2 sync events" in combined.provenance.notes[-1] and "1.002000" in combined.provenance.notes[-1]


def test_detect_flash_needs_a_clear_jump_and_merges_one_flash():
    b = np.full(100, 100.0) + np.random.default_rng(0).normal(0, 2, 100)
    b[30:33] = 250  # one flash over three frames
    b[70] = 130  # a small change is not a flash
    assert list(detect_flash(b, sfreq=30.0)) == [30]
    assert list(detect_flash(b[:1], sfreq=30.0)) == []
    with pytest.raises(SessionValidationError, match=r"brightness has shape \(2, 50\)"):
        detect_flash(b.reshape(2, 50), sfreq=30.0)


@pytest.mark.parametrize(
    "kwargs, emg_kw, video_kw, message",
    [
        ({"method": "offset"}, {}, {}, "offset synchronisation needs a finite offset_s; got None"),
        ({"method": "clap"}, {}, {}, "synchronisation method 'clap' is unknown"),
        ({"method": "event"}, {}, {}, "event synchronisation needs the EMG sync marker label"),
        (
            {"method": "event", "event": "T"},
            {"markers": [Marker(1, "T")]},
            {},
            "sync event 'T' occurs 1 times in the EMG session and 'T' 0 times in the video session; "
            "expected at least one",
        ),
        (
            {"method": "event", "event": "T"},
            {"markers": [Marker(1, "T"), Marker(2, "T")]},
            {"markers": [Marker(1, "T")]},
            "occurs 2 times in the EMG session but 'T' 1 times in the video session; they must pair up",
        ),
        (
            {"method": "event", "event": "T"},
            {"markers": [Marker(1, "T"), Marker(3, "T")]},
            {"markers": [Marker(1, "T"), Marker(2, "T")]},
            "imply a clock ratio of 2.0000; expected within 5% of 1",
        ),
        (
            {"method": "event", "event": "T"},
            {"markers": [Marker(1, "T"), Marker(2.3, "T"), Marker(3, "T")]},
            {"markers": [Marker(1, "T"), Marker(2, "T"), Marker(3, "T")]},
            r"the 3 sync events \('T' / 'T'\) do not fit one clock model: worst residual 200.0 ms "
            r"exceeds two frame periods \(133.3 ms\)",
        ),
        (
            {"method": "offset", "offset_s": 100.0},
            {},
            {},
            r"after synchronisation the video \(100.000-104.000 s\) does not overlap the EMG \(0.000-20.000 s\)",
        ),
        (
            {"method": "offset", "offset_s": 0.0},
            {"subject": Subject(age=40)},
            {"subject": Subject(age=41)},
            "subject age differs between the sessions: EMG session 40.0, video session 41.0",
        ),
    ],
)
def test_synchronisation_errors(kwargs, emg_kw, video_kw, message):
    with pytest.raises(SessionValidationError, match=message):
        combine_sessions(emg_session(**emg_kw), video_session(**video_kw), **kwargs)


def test_sessions_of_the_wrong_kind_are_refused():
    both = Session(emg=emg_session().emg, motion=video_session().motion)
    with pytest.raises(SessionValidationError, match="the EMG session already has motion"):
        combine_sessions(both, video_session(), method="offset", offset_s=0)
    with pytest.raises(SessionValidationError, match="the EMG session has no EMG stream"):
        combine_sessions(video_session(), video_session(), method="offset", offset_s=0)
    with pytest.raises(SessionValidationError, match="the video session has no motion stream"):
        combine_sessions(emg_session(), emg_session(), method="offset", offset_s=0)
    other = Session(motion=video_session().motion, protocol="other")
    with pytest.raises(
        SessionValidationError, match="follows protocol 'fpcds-standard-v1' but the video session 'other'"
    ):
        combine_sessions(emg_session(), other, method="offset", offset_s=0)


def test_subject_facts_are_merged():
    combined = combine_sessions(
        emg_session(subject=Subject(age=40)),
        video_session(subject=Subject(affected_side="left")),
        method="offset",
        offset_s=0,
    )
    assert combined.subject == Subject(age=40, affected_side="left")
