"""Assessment jobs: one at a time per assessment, restartable after a failure or an interruption, per patient."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from plugin.web.db import Database
from plugin.web.results.jobs import JobRunner, JobStore

ROOT = Path(__file__).resolve().parents[4]
A = SimpleNamespace(iss="https://ehr.example.org/fhir", patient="pat-A")
B = SimpleNamespace(iss="https://ehr.example.org/fhir", patient="pat-B")


@pytest.fixture
def db(tmp_path) -> Database:
    return Database(tmp_path)


def test_a_job_is_claimed_once_while_it_runs_and_never_after_it_is_done(db):
    store = JobStore(db)
    job = store.claim(A, "asm-1")
    assert job is not None and job.attempt == 1
    assert store.claim(A, "asm-1") is None
    store.progress(job, "features")
    seen = store.get(A, "asm-1")
    assert (seen.state, seen.stage, seen.attempt) == ("running", "features", 1)
    store.finish(job)
    store.release(job)
    assert store.get(A, "asm-1").state == "done"
    assert store.claim(A, "asm-1") is None


def test_a_failed_job_keeps_its_message_and_can_be_started_again(db):
    store = JobStore(db)
    job = store.claim(A, "asm-1")
    store.progress(job, "session")
    store.fail(job, kind="SessionFileError", message="visit.fpcds: file is truncated")
    store.release(job)
    failed = store.get(A, "asm-1")
    assert (failed.state, failed.stage, failed.error_kind, failed.error) == (
        "failed", "session", "SessionFileError", "visit.fpcds: file is truncated")
    assert failed.can_start
    again = store.claim(A, "asm-1")
    assert again.attempt == 2
    assert store.get(A, "asm-1").error is None
    store.progress(job, "report")  # the old attempt's worker cannot overwrite the new one
    assert store.get(A, "asm-1").stage is None


def test_jobs_belong_to_their_patient(db):
    store = JobStore(db)
    store.claim(A, "asm-1")
    assert store.get(B, "asm-1") is None
    assert store.claim(B, "asm-1") is None
    assert store.get(A, "asm-1").state == "running"


def test_concurrent_claims_start_one_job(db):
    stores = [JobStore(db) for _ in range(2)]
    results: list = []
    barrier = threading.Barrier(4)

    def claim(store):
        barrier.wait()
        results.append(store.claim(A, "asm-1"))

    threads = [threading.Thread(target=claim, args=(stores[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1


def test_a_job_of_a_process_that_has_gone_is_interrupted(db, tmp_path):
    code = ("import sys; from types import SimpleNamespace; from pathlib import Path; "
            "from plugin.web.db import Database; from plugin.web.results.jobs import JobStore; "
            "s = JobStore(Database(Path(sys.argv[1]))); "
            "j = s.claim(SimpleNamespace(iss=sys.argv[2], patient=sys.argv[3]), 'asm-1'); s.progress(j, 'features')")
    subprocess.run([sys.executable, "-c", code, str(tmp_path), A.iss, A.patient], cwd=ROOT, check=True, timeout=60)
    store = JobStore(db)
    job = store.get(A, "asm-1")
    assert (job.state, job.stage) == ("interrupted", "features")
    assert job.can_start
    assert store.claim(A, "asm-1").attempt == 2


def test_a_job_of_another_live_runner_without_progress_for_too_long_is_interrupted(db):
    other = JobStore(db)
    job = other.claim(A, "asm-1")
    here = JobStore(db, stale_after_s=0.2)
    assert here.get(A, "asm-1").state == "running"  # another worker of this host, still reporting
    time.sleep(0.3)
    assert here.get(A, "asm-1").state == "interrupted"
    assert other.get(A, "asm-1").state == "running"  # its own runner knows it is alive
    other.release(job)
    assert other.get(A, "asm-1").state == "interrupted"


def test_the_runner_runs_the_work_and_releases_the_job_however_it_ends(db):
    store = JobStore(db)
    runner = JobRunner(store, workers=1)
    ran = threading.Event()
    job = store.claim(A, "asm-1")
    runner.submit(job, lambda: (store.finish(job), ran.set()))
    assert ran.wait(10)
    crashed = store.claim(A, "asm-2")
    runner.submit(crashed, lambda: 1 / 0)
    runner.shutdown()
    assert store.get(A, "asm-1").state == "done"
    assert store.get(A, "asm-2").state == "interrupted", "a worker that died without a verdict leaves no live job"


def test_runner_size_is_bounded(db):
    with pytest.raises(ValueError, match=r"^assessment job workers 0; expected 1 to 4$"):
        JobRunner(JobStore(db), workers=0)
