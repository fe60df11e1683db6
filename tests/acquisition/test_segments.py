import pytest

from acquisition.errors import SessionFileError
from acquisition.segments import (
    Event,
    boundary_events,
    interpret_events,
    parse_task_label,
    read_timing_sidecar,
    task_label,
    write_timing_sidecar,
)
from acquisition.session import Marker, Segment
from tests.factories import tiny_session


def _segs(result):
    return [(s.task, s.start, s.end, s.repetition) for s in result.segments]


def test_label_vocabulary():
    assert parse_task_label("pucker/start").__dict__ == {"task": "pucker", "kind": "start", "repetition": None}
    assert parse_task_label("pucker/end|rep=2").repetition == 2
    assert parse_task_label("pucker", duration=3.0).kind == "span"
    assert parse_task_label("pucker") is None and parse_task_label("a/b/start") is None
    assert parse_task_label("pucker/start|rep=0") is None
    assert task_label("eee", "end", 3) == "eee/end|rep=3" and task_label("eee", "span") == "eee"


def test_start_end_pairs_spans_and_numbering():
    events = [
        Event(1.0, "brow_raise/start"), Event(2.0, "brow_raise/end"),
        Event(3.0, "brow_raise/start|rep=1"), Event(4.0, "brow_raise/end|rep=1"),
        Event(5.0, "brow_raise/start"), Event(6.0, "brow_raise/end"),
        Event(7.0, "eee", 1.5), Event(9.0, "sync"),
    ]
    r = interpret_events(events)
    assert _segs(r) == [("brow_raise", 1.0, 2.0, 2), ("brow_raise", 3.0, 4.0, 1), ("brow_raise", 5.0, 6.0, 3),
                        ("eee", 7.0, 8.5, 1)]
    assert [m.label for m in r.markers] == [e.label for e in events] and not r.issues


def test_unpaired_unknown_and_duplicate_markers_are_warnings():
    r = interpret_events([
        Event(1.0, "pucker/start"), Event(1.5, "pucker/start"), Event(2.0, "pucker/end"),
        Event(3.0, "eee/end"), Event(4.0, "smirk/start"), Event(5.0, "smirk/end"),
        Event(6.0, "rest/start|rep=1"), Event(7.0, "rest/end|rep=1"),
        Event(8.0, "rest/start|rep=1"), Event(9.0, "rest/end|rep=1"),
    ])
    assert _segs(r) == [("pucker", 1.5, 2.0, 1), ("rest", 6.0, 7.0, 1), ("rest", 8.0, 9.0, 1)]
    messages = [(q.code, q.message) for q in r.issues]
    assert ("segments.unpaired_marker",
            "marker 'pucker/start' at 1.000 s has no matching pucker/end; no segment was made from it") in messages
    assert any(c == "segments.unpaired_marker" and "'eee/end' at 3.000 s has no matching eee/start" in m for c, m in messages)
    assert any(c == "segments.unknown_task" and "2 marker(s) name task 'smirk'" in m for c, m in messages)
    assert any(c == "segments.duplicate_repetition" and "'rest' repetition 1 occurs twice" in m for c, m in messages)


def test_reserved_gap_and_end_events():
    r = interpret_events([Event(1.0, "gap/emg: electrode off", 0.5), Event(2.0, "gap/motion", 0.25),
                          Event(3.0, "recording/end"), Event(3.5, "gap/emg")])
    assert [(g.stream, g.start, g.end, g.reason) for g in r.gaps] == [
        ("emg", 1.0, 1.5, "electrode off"), ("motion", 2.0, 2.25, "gap recorded in the file")]
    assert r.end_time == 3.0 and [m.label for m in r.markers] == ["gap/emg"]


def test_boundary_events_complete_what_markers_lack():
    s = tiny_session()
    assert [(e.time, e.label) for e in boundary_events(s)] == [(0.5, "smile_open/start|rep=1"), (1.5, "smile_open/end|rep=1")]
    complete = s.__class__(emg=s.emg, segments=s.segments,
                           markers=(Marker(0.5, "smile_open/start|rep=1"), Marker(1.5, "smile_open/end|rep=1")))
    assert boundary_events(complete) == []


def test_timing_sidecar_round_trip_and_tsv(tmp_path):
    segs = (Segment("rest", 0.0, 3.0, 1), Segment("pucker", 4.0, 7.0, 2))
    write_timing_sidecar(segs, tmp_path / "t.csv")
    assert read_timing_sidecar(tmp_path / "t.csv") == segs
    (tmp_path / "t.tsv").write_text("# exported\nstart\tend\ttask\n1\t2\teee\n3\t4\teee\n")
    assert [(s.task, s.repetition) for s in read_timing_sidecar(tmp_path / "t.tsv")] == [("eee", 1), ("eee", 2)]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "timing sidecar is empty"),
        ("task,begin,end\n", "line 1: unknown column 'begin'"),
        ("task,start\n", "must name task, start and end once each \\(missing \\['end'\\]\\)"),
        ("task,start,end\nsmirk,1,2\n", "line 2: task 'smirk' is not in protocol 'fpcds-standard-v1'"),
        ("task,start,end\neee,one,2\n", "line 2: start 'one' is not a number of seconds"),
        ("task,start,end\neee,2,1\n", "line 2: end 1.0 s is not after start 2.0 s"),
        ("task,start,end\neee,1,inf\n", "line 2: end 'inf' is not a finite number of seconds"),
        ("task,start,end,repetition\neee,1,2,0\n", "line 2: repetition '0' is not a whole number >= 1"),
        ("task,start,end\neee,1\n", "line 2: has 2 fields; the header has 3"),
        ("task,start,end\n", "has a header but no segments"),
    ],
)
def test_bad_sidecar_names_file_and_line(tmp_path, text, message):
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(SessionFileError, match=message) as info:
        read_timing_sidecar(path)
    assert info.value.path == str(path)


def test_sidecar_replaces_marker_segments_when_reading(tmp_path):
    from acquisition.readers import read_any
    from acquisition.writers import write_xdf

    write_xdf(tiny_session(), tmp_path / "s.xdf")
    (tmp_path / "t.csv").write_text("task,start,end\nbrow_raise,0.2,0.9\nbrow_raise,1.0,1.8\nsnarl,1.5,9\n")
    s = read_any(tmp_path / "s.xdf", segments=tmp_path / "t.csv")
    assert [(x.task, x.repetition) for x in s.segments] == [("brow_raise", 1), ("brow_raise", 2), ("snarl", 1)]
    assert [x.format for x in s.provenance.sources] == ["XDF", "timing-sidecar"]
    assert any("replace the 1 made from the file's markers" in n for n in s.provenance.notes)
    (tmp_path / "late.csv").write_text("task,start,end\nsnarl,5,9\n")
    late = read_any(tmp_path / "s.xdf", segments=tmp_path / "late.csv")
    assert not late.segments and any(q.code == "segments.outside" for q in late.quality)
