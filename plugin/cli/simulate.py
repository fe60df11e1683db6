"""``fpcds simulate``: simulated sessions and labelled cohorts (files, or live over LSL with --stream)."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="write a simulated cohort (one session per patient + labels.csv), or stream one patient over LSL",
        description="Simulated data only: nothing here is a recording of a person.",
    )
    p.add_argument("--out", help="output directory (cohort mode)")
    p.add_argument("--patients", type=int, default=10, help="number of patients (default 10)")
    p.add_argument("--seed", type=int, default=0, help="cohort seed; same seed -> byte-identical files")
    p.add_argument("--format", default="native", choices=("native", "xdf", "edf", "c3d", "csv"))
    p.add_argument("--emg-rate", type=float, default=2000.0, help="EMG sampling rate, Hz (default 2000)")
    p.add_argument("--motion-rate", type=float, default=30.0, help="face-mesh frame rate, Hz (default 30)")
    p.add_argument("--repetitions", type=int, default=1,
                   help="repetitions per task (default 1 keeps cohorts compact; the clinical protocol uses 3)")
    p.add_argument("--montage", default="standard10", help="EMG montage: standard10 (default) or fridlund22")
    p.add_argument("--modalities", default="emg,motion", help="comma-separated: emg,motion (default both)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count)")
    p.add_argument("--stream", action="store_true", help="publish one simulated patient over LSL in real time")
    p.add_argument("--seconds", type=float, default=None, help="with --stream: stop after this many seconds")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from acquisition.errors import FpcdsError
    from acquisition.simulate import SimulationOptions, cohort_patient, simulate_cohort, simulate_session

    modalities = tuple(m.strip() for m in args.modalities.split(",") if m.strip())
    if not modalities or set(modalities) - {"emg", "motion"}:
        raise FpcdsError(f"--modalities {args.modalities!r}: expected 'emg', 'motion' or 'emg,motion'")
    if args.repetitions < 1:
        raise FpcdsError(f"--repetitions is {args.repetitions}; expected at least 1")
    options = SimulationOptions(
        emg_sfreq=args.emg_rate,
        motion_sfreq=args.motion_rate,
        repetitions=args.repetitions,
        rest_s=1.5 if args.repetitions == 1 else 2.0,
        montage=args.montage,
        modalities=modalities,
    )
    if args.stream:
        try:
            from acquisition.lsl import stream_session
        except ImportError:
            raise FpcdsError("LSL streaming is not available in this installation") from None
        patient = cohort_patient(args.seed, 0)
        session = simulate_session(patient, seed=patient.seed, options=options)
        stream_session(session, seconds=args.seconds)
        return 0
    if not args.out:
        raise FpcdsError("--out DIR is required (or use --stream)")
    labels = simulate_cohort(args.out, n_patients=args.patients, seed=args.seed, fmt=args.format,
                             options=options, jobs=args.jobs)
    print(json.dumps({"labels": str(labels), "patients": args.patients, "seed": args.seed, "format": args.format}))
    return 0
