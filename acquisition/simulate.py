"""Physiologically grounded synthetic sessions and labelled cohorts.

A simulated patient (:mod:`acquisition.simulation.patient`) has a latent
nerve function per branch and side; the sEMG (:mod:`.simulation.emg`) and the
478-point facial motion (:mod:`.simulation.face`) are both driven by it
through the standard protocol, and the labels (:mod:`.simulation.grading`)
are derived from the same latent state. Everything is deterministic for a
given seed: the same seed gives byte-identical files.

Effect sizes and their sources are documented next to each constant in the
simulation modules (shared/docs/clinical.md: the seed review's effect sizes,
Peitersen's prognosis priors, the real Fridlund bilateral reference).

Models trained on these cohorts are trained on simulated data and are not
clinically validated.
"""

from __future__ import annotations

import csv
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .anatomy import MUSCLES
from .errors import FpcdsError
from .protocol import STANDARD_PROTOCOL, Protocol
from .session import EmgBlock, EmgChannel, Marker, MotionBlock, Provenance, Segment, Session, Subject
from .simulation.emg import synthesize_emg
from .simulation.face import synthesize_motion
from .simulation.patient import Patient, make_patient, sample_patient

SIMULATOR_VERSION = "fpcds-sim-1"

#: EMG montages: bilateral Fridlund placements, labelled as in the Fridlund reference.
MONTAGES: dict[str, tuple[str, ...]] = {
    # one muscle per facial-nerve branch plus orbicularis oris: 10 channels
    "standard10": ("frontalis_lateral", "orbicularis_oculi", "zygomaticus", "orbicularis_oris",
                   "depressor_anguli_oris"),
    "fridlund22": tuple(MUSCLES),
}
FORMATS = ("native", "xdf", "edf", "c3d", "csv")
LABEL_COLUMNS = (
    "session_file", "patient_id", "hb_grade", "sunnybrook_composite", "lesion", "affected_side", "synkinesis",
    "recovered_6mo", "weeks_to_recovery", "days_since_onset", "age", "sex", "sunnybrook_resting",
    "sunnybrook_voluntary", "sunnybrook_synkinesis", "hb_percent", "condition", "severity", "onset_severity",
    "synkinesis_strength", "fdi_physical", "fdi_social", "seed", "content_sha256",
)
_SIDE_SUFFIX = {"left": "li", "right": "re"}


@dataclass(frozen=True)
class SimulationOptions:
    """How sessions are recorded (identical for every patient of a cohort).

    Attributes
    ----------
    emg_sfreq : float
        EMG sampling rate, Hz.
    motion_sfreq : float
        Face-mesh frame rate, Hz.
    repetitions : int
        Repetitions per task (the clinical protocol uses 3).
    hold_s, rest_s : float
        Task hold and rest between repetitions, s.
    montage : str
        Key of :data:`MONTAGES`.
    modalities : tuple of str
        Streams to include: ('emg', 'motion') or one of them.
    lead_in_s : float
        Rest before the first task and after the last, s.
    known_side : bool
        Whether the subject facts carry the affected side (as when a
        clinician records it); off by default so models must infer it.
    """

    emg_sfreq: float = 2000.0
    motion_sfreq: float = 30.0
    repetitions: int = 3
    hold_s: float = 3.0
    rest_s: float = 2.0
    montage: str = "standard10"
    modalities: tuple[str, ...] = ("emg", "motion")
    lead_in_s: float = 1.0
    known_side: bool = False

    def protocol(self) -> Protocol:
        return Protocol(STANDARD_PROTOCOL.name, STANDARD_PROTOCOL.tasks, self.hold_s, self.rest_s, self.repetitions)


def emg_channels(montage: str) -> list[tuple[str, str, str]]:
    """(label, muscle, side) for every channel of a montage, left then right."""
    if montage not in MONTAGES:
        raise FpcdsError(f"montage {montage!r} is unknown; expected one of {sorted(MONTAGES)}")
    return [
        (f"{MUSCLES[m][0]} {_SIDE_SUFFIX[side]}", m, side) for side in ("left", "right") for m in MONTAGES[montage]
    ]


def simulate_session(patient: Patient, *, seed: int, options: SimulationOptions = SimulationOptions()) -> Session:
    """Simulate one recording of ``patient`` performing the protocol.

    Parameters
    ----------
    patient : Patient
        From :func:`make_patient` or :func:`sample_patient`.
    seed : int
        Seeds the signal noise (independent of the patient's own seed).
    options : SimulationOptions

    Returns
    -------
    Session
        EMG in volts and/or 478-point motion in mm, protocol segments and
        markers, subject facts (age, sex, days since onset, FDI scores).
    """
    rng = np.random.default_rng([seed, 11])
    schedule = options.protocol().schedule(start_s=options.lead_in_s)
    duration = schedule[-1][3] + options.lead_in_s + options.rest_s
    emg = motion = None
    mains = 50.0 if rng.random() < 0.5 else 60.0
    if "emg" in options.modalities:
        channels = emg_channels(options.montage)
        data = synthesize_emg(patient, channels, schedule, sfreq=options.emg_sfreq, duration=duration, rng=rng,
                              mains_hz=mains)
        emg = EmgBlock(data, options.emg_sfreq, tuple(EmgChannel(lbl, m, s) for lbl, m, s in channels))
    if "motion" in options.modalities:
        frames = synthesize_motion(patient, schedule, sfreq=options.motion_sfreq, duration=duration, rng=rng)
        motion = MotionBlock(frames, options.motion_sfreq, "mediapipe478", "mm")
    segments = tuple(Segment(task, start, end, rep) for task, rep, start, end in schedule)
    markers = tuple(
        Marker(t, f"{task}/{edge}|rep={rep}")
        for task, rep, start, end in schedule
        for edge, t in (("start", start), ("end", end))
    )
    subject = Subject(
        age=round(patient.age, 1),
        sex=patient.sex,
        days_since_onset=None if patient.days_since_onset is None else round(patient.days_since_onset, 1),
        affected_side=patient.affected_side if (options.known_side and patient.affected_side != "none") else None,
        fdi_physical=round(patient.fdi_physical, 1),
        fdi_social=round(patient.fdi_social, 1),
    )
    provenance = Provenance(
        devices=(
            f"{SIMULATOR_VERSION}: simulated patient {patient.patient_id} (patient seed {patient.seed}, "
            f"signal seed {seed}); mains {mains:g} Hz; SIMULATED DATA, not a recording of a person",
        ),
    )
    return Session(emg=emg, motion=motion, segments=segments, markers=markers, subject=subject,
                   provenance=provenance, protocol=STANDARD_PROTOCOL.name)


def cohort_patient(seed: int, index: int) -> Patient:
    """The ``index``-th patient of the cohort drawn with ``seed`` (independent of cohort size)."""
    rng = np.random.default_rng([seed, index])
    return sample_patient(rng, patient_id=f"S{seed}-P{index + 1:05d}", seed=seed * 1_000_003 + index)


def write_session_as(session: Session, path: Path, fmt: str) -> str:
    """Write ``session`` in ``fmt``; returns the session's content hash."""
    from .native import content_hash, write_session

    if fmt == "native":
        return write_session(session, path)
    if fmt not in FORMATS:
        raise FpcdsError(f"format {fmt!r} is unknown; expected one of {list(FORMATS)}")
    import importlib

    try:
        writers = importlib.import_module("acquisition.writers")
        writer = getattr(writers, f"write_{fmt}")
    except (ImportError, AttributeError):
        raise FpcdsError(f"writing {fmt} files is not available in this installation") from None
    writer(session, path)
    return content_hash(session)


_SUFFIX = {"native": ".fpcds", "xdf": ".xdf", "edf": ".edf", "c3d": ".c3d", "csv": ".csv"}


def _simulate_one(args: tuple[int, int, str, SimulationOptions, str]) -> dict:
    seed, index, out_dir, options, fmt = args
    patient = cohort_patient(seed, index)
    session = simulate_session(patient, seed=patient.seed, options=options)
    name = f"{patient.patient_id}{_SUFFIX[fmt]}"
    digest = write_session_as(session, Path(out_dir) / name, fmt)
    return label_row(patient, name, digest)


def label_row(patient: Patient, session_file: str, digest: str) -> dict:
    """One labels.csv row for ``patient``."""
    lab = patient.labels
    return {
        "session_file": session_file,
        "patient_id": patient.patient_id,
        "hb_grade": lab["hb_grade"],
        "sunnybrook_composite": lab["sunnybrook_composite"],
        "lesion": lab["lesion"],
        "affected_side": lab["affected_side"],
        "synkinesis": lab["synkinesis"],
        "recovered_6mo": lab["recovered_6mo"],
        "weeks_to_recovery": lab["weeks_to_recovery"],
        "days_since_onset": "" if patient.days_since_onset is None else round(patient.days_since_onset, 1),
        "age": round(patient.age, 1),
        "sex": patient.sex,
        "sunnybrook_resting": lab["sunnybrook_resting"],
        "sunnybrook_voluntary": lab["sunnybrook_voluntary"],
        "sunnybrook_synkinesis": lab["sunnybrook_synkinesis"],
        "hb_percent": lab["hb_percent"],
        "condition": patient.condition,
        "severity": round(patient.severity, 4),
        "onset_severity": round(patient.onset_severity, 4),
        "synkinesis_strength": round(patient.synkinesis, 4),
        "fdi_physical": round(patient.fdi_physical, 1),
        "fdi_social": round(patient.fdi_social, 1),
        "seed": patient.seed,
        "content_sha256": digest,
    }


def simulate_cohort(
    out_dir: str | os.PathLike[str],
    *,
    n_patients: int,
    seed: int,
    fmt: str = "native",
    options: SimulationOptions = SimulationOptions(),
    jobs: int | None = None,
) -> Path:
    """Write one session per patient and ``labels.csv`` into ``out_dir``.

    Parameters
    ----------
    n_patients : int
    seed : int
        Cohort seed; patient i is the same whatever ``n_patients`` is.
    fmt : {'native', 'xdf', 'edf', 'c3d', 'csv'}
    options : SimulationOptions
    jobs : int, optional
        Worker processes (default: the number of CPUs). Output does not
        depend on it.

    Returns
    -------
    Path
        The labels file.
    """
    if n_patients < 1:
        raise FpcdsError(f"--patients is {n_patients}; expected at least 1")
    if fmt not in FORMATS:
        raise FpcdsError(f"format {fmt!r} is unknown; expected one of {list(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tasks = [(seed, i, str(out), options, fmt) for i in range(n_patients)]
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and n_patients > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            rows = list(pool.map(_simulate_one, tasks, chunksize=max(1, n_patients // (4 * jobs))))
    else:
        rows = [_simulate_one(t) for t in tasks]
    labels = out / "labels.csv"
    tmp = labels.with_suffix(".csv.partial")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=LABEL_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, labels)
    return labels


def read_labels(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read a labels.csv written by :func:`simulate_cohort` (or a site's own, same columns)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    required = set(LABEL_COLUMNS[:12])
    if rows and not required <= set(rows[0]):
        missing = sorted(required - set(rows[0]))
        raise FpcdsError(f"{path}: labels file lacks columns {missing}")
    return rows


__all__: Sequence[str] = (
    "MONTAGES", "Patient", "SimulationOptions", "cohort_patient", "emg_channels", "make_patient", "read_labels",
    "sample_patient", "simulate_cohort", "simulate_session",
)
