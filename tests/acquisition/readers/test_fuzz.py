"""Fuzzing the readers with mutated real and written files (hypothesis).

The default run is short and reproducible (derandomized); the slow-marked
test and ``benchmarks/fuzz_readers.py`` run many more examples.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import acquisition.readers.c3d as c3d_reader

from .fuzzing import check_mutant, mutations, seed_files


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return seed_files(tmp_path_factory.mktemp("seeds"))


def run_fuzz(seeds, workdir, fmt: str, examples: int, *, derandomize: bool = True) -> None:
    """Property: every mutated file gives a Session or one FpcdsError naming the file."""

    @settings(max_examples=examples, deadline=None, derandomize=derandomize, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def property_(data):
        seed = data.draw(st.sampled_from(seeds[fmt]))
        check_mutant(fmt, seed, data.draw(mutations(seed.stat().st_size)), workdir)

    property_()


@pytest.mark.parametrize("fmt, examples", [("xdf", 40), ("edf", 40), ("csv", 40), ("c3d", 6)])
def test_readers_survive_mutated_files(seeds, tmp_path, monkeypatch, fmt, examples):
    monkeypatch.setattr(c3d_reader, "PARSE_TIMEOUT_S", 5.0)
    run_fuzz(seeds, tmp_path, fmt, examples)


@pytest.mark.slow
@pytest.mark.parametrize("fmt, examples", [("xdf", 1000), ("edf", 1000), ("csv", 1000), ("c3d", 200)])
def test_readers_survive_many_mutated_files(seeds, tmp_path, monkeypatch, fmt, examples):
    monkeypatch.setattr(c3d_reader, "PARSE_TIMEOUT_S", 10.0)
    run_fuzz(seeds, tmp_path, fmt, examples, derandomize=False)
