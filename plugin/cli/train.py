"""``fpcds train``: labelled cohort -> model set (ONNX models with cards, LightGBM texts, manifest)."""

from __future__ import annotations

import argparse
import json
import sys


def add_cohort_arguments(p: argparse.ArgumentParser) -> None:
    """Options naming a labelled cohort (shared with ``fpcds evaluate``)."""
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--cohort", metavar="DIR", help="directory with labels.csv and the session files it names")
    src.add_argument("--simulated", type=int, metavar="N",
                     help="simulate N patients in memory instead (no session file is written; needs --cache)")
    p.add_argument("--sim-seed", type=int, default=0, help="with --simulated: cohort seed (default 0)")
    p.add_argument("--cache", metavar="FILE",
                   help="feature cache (.npz) to reuse or write (default with --cohort: DIR/feature-cache.npz)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes for feature extraction (default 1)")


def load_cohort(args: argparse.Namespace):  # -> FeatureCache
    """Build or reuse the feature cache named by the cohort options, reporting progress on stderr."""
    from pathlib import Path

    from acquisition.errors import FpcdsError
    from models.dataset import SimulatedCohort, build_cache

    if args.jobs < 1:
        raise FpcdsError(f"--jobs is {args.jobs}; expected at least 1")
    if args.simulated is not None:
        if not args.cache:
            raise FpcdsError("--simulated needs --cache FILE (where the feature cache is written)")
        source: object = SimulatedCohort(args.simulated, args.sim_seed)
        cache = Path(args.cache)
    else:
        source = args.cohort
        cache = Path(args.cache) if args.cache else Path(args.cohort) / "feature-cache.npz"

    def progress(done: int, total: int) -> None:
        print(f"features: {done}/{total} sessions", file=sys.stderr, flush=True)

    return build_cache(source, cache, jobs=args.jobs, progress=progress)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train", help="train the grading, lesion, synkinesis and prognosis models on a labelled cohort",
        description="Patient-level train/validation/calibration split, modality dropout, LightGBM with early "
                    "stopping, calibration, ONNX export with model cards. Models trained on simulated data are not "
                    "clinically validated.")
    add_cohort_arguments(p)
    p.add_argument("--out", required=True, metavar="MODELDIR", help="model directory to write")
    p.add_argument("--seed", type=int, default=None, help="split and LightGBM seed (default: TrainOptions.seed)")
    p.add_argument("--features", type=int, default=None, metavar="K",
                   help="features kept per model (default 48, 96 for the Sunnybrook composite)")
    p.add_argument("--modalities", default="emg,motion",
                   help="signal modalities the models may use: emg,motion (default) or one of them "
                        "(modality-specific ablation models)")
    p.add_argument("--heads", default=None, help="comma-separated subset of models to train (default: all)")
    p.add_argument("--threads", type=int, default=2, help="LightGBM threads (default 2)")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from acquisition.errors import FpcdsError
    from models.train import TrainOptions, train_models

    modalities = tuple(m.strip() for m in args.modalities.split(",") if m.strip())
    options = TrainOptions(modalities=modalities, threads=args.threads)
    if args.seed is not None:
        options = replace(options, seed=args.seed)
    if args.features is not None:
        options = replace(options, n_features=args.features, n_features_by_head=())
    heads = tuple(h.strip() for h in args.heads.split(",") if h.strip()) if args.heads else None
    if args.threads < 1:
        raise FpcdsError(f"--threads is {args.threads}; expected at least 1")
    cache = load_cohort(args)
    manifest = train_models(cache, args.out, options=options, heads=heads,
                            progress=lambda line: print(line, file=sys.stderr, flush=True))
    if args.json:
        print(manifest.read_text(), end="")
    else:
        data = json.loads(manifest.read_text())
        print(f"model set {data['set_version']} written to {args.out} ({len(data['models'])} models, trained on "
              f"{data['training']['n_patients']} patients; {data['statement']})")
    return 0
