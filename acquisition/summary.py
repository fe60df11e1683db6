"""Human and machine summaries of a Session (used by ``fpcds inspect``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .session import Session


def session_summary(session: Session, *, content_sha256: str | None = None) -> dict[str, Any]:
    """Describe a session: streams, channels, rates, duration, tasks, quality, hash.

    Returns
    -------
    dict
        JSON-ready; the schema is documented in README ("fpcds inspect --json").
    """
    start, end = session.time_span
    out: dict[str, Any] = {
        "content_sha256": content_sha256,
        "protocol": session.protocol,
        "recorded_at": session.recorded_at,
        "start_s": start,
        "duration_s": end - start,
        "modalities": list(session.modalities),
        "subject": {k: v for k, v in session.metadata()["subject"].items() if v is not None},
        "emg": None,
        "motion": None,
        "tasks": [],
        "markers": len(session.markers),
        "gaps": [{"stream": g.stream, "start_s": g.start, "end_s": g.end, "reason": g.reason} for g in session.gaps],
        "quality": [
            {"code": q.code, "severity": q.severity, "stream": q.stream, "channel": q.channel, "message": q.message}
            for q in session.quality
        ],
        "sources": [{"name": s.name, "sha256": s.sha256, "format": s.format} for s in session.provenance.sources],
        "unmapped_channels": list(session.provenance.unmapped_channels),
        "notes": list(session.provenance.notes),
    }
    if session.emg is not None:
        e = session.emg
        out["emg"] = {
            "sfreq_hz": e.sfreq,
            "n_channels": len(e.channels),
            "n_samples": e.n_samples,
            "duration_s": e.duration,
            "units": "V",
            "channels": [
                {"name": c.name, "muscle": c.muscle, "side": c.side, "placement": c.placement} for c in e.channels
            ],
        }
    if session.motion is not None:
        m = session.motion
        out["motion"] = {
            "sfreq_hz": m.sfreq,
            "scheme": m.scheme,
            "units": m.units,
            "n_frames": m.n_frames,
            "n_points": m.n_points,
            "duration_s": m.duration,
            "facial": m.is_facial,
        }
    reps = Counter(s.task for s in session.segments)
    for task in session.tasks:
        segs = session.segments_for(task)
        out["tasks"].append(
            {"task": task, "repetitions": reps[task], "total_s": sum(s.end - s.start for s in segs)}
        )
    return out


def format_summary(summary: dict[str, Any], *, title: str = "") -> str:
    """Render :func:`session_summary` output as readable text."""
    lines = [title] if title else []
    lines.append(f"  content hash  {summary['content_sha256'] or '(not computed)'}")
    lines.append(f"  duration      {summary['duration_s']:.2f} s   protocol {summary['protocol']}")
    subject = summary["subject"]
    if subject:
        lines.append("  subject       " + ", ".join(f"{k}={v}" for k, v in subject.items()))
    emg = summary["emg"]
    if emg:
        lines.append(f"  EMG           {emg['n_channels']} channels @ {emg['sfreq_hz']:g} Hz, {emg['duration_s']:.2f} s, V")
        for c in emg["channels"]:
            lines.append(f"                  {c['name']:<24} {c['side']:<5} {c['muscle']} ({c['placement']})")
    motion = summary["motion"]
    if motion:
        kind = "facial" if motion["facial"] else "NO facial points: facial motion measures unavailable"
        lines.append(
            f"  motion        {motion['n_points']} points ({motion['scheme']}) @ {motion['sfreq_hz']:g} Hz, "
            f"{motion['duration_s']:.2f} s, {motion['units']}; {kind}"
        )
    if summary["tasks"]:
        lines.append("  tasks         " + ", ".join(f"{t['task']} x{t['repetitions']}" for t in summary["tasks"]))
    else:
        lines.append("  tasks         none (no protocol segments)")
    if summary["markers"]:
        lines.append(f"  markers       {summary['markers']}")
    for g in summary["gaps"]:
        lines.append(f"  gap           {g['stream']} {g['start_s']:.3f}-{g['end_s']:.3f} s {g['reason']}")
    for q in summary["quality"]:
        lines.append(f"  {q['severity']:<13} [{q['code']}] {q['message']}")
    for s in summary["sources"]:
        lines.append(f"  source        {s['name']} sha256={s['sha256']}")
    if summary["unmapped_channels"]:
        lines.append("  unmapped      " + ", ".join(summary["unmapped_channels"]))
    return "\n".join(lines)
