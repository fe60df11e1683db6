"""Building the Java applications: tool checks, the source key, Maven failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conformance import build
from conformance.errors import BuildError, ToolMissingError


def _copy_project(tmp_path: Path) -> build.JavaProject:
    directory = tmp_path / "validator"
    shutil.copytree(build.VALIDATOR.directory / "src", directory / "src")
    shutil.copy2(build.VALIDATOR.directory / "pom.xml", directory / "pom.xml")
    return build.JavaProject("copy", directory, "fpcds-validator.jar")


def test_missing_tool_is_named_with_its_purpose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    expected = r"'mvn' is not on PATH; it is needed to build the validator Java application"
    with pytest.raises(ToolMissingError, match=expected):
        build.build_jar(build.VALIDATOR)


def test_source_hash_follows_pom_and_sources(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    first = build.source_hash(project)
    assert build.source_hash(project) == first
    main = next((project.directory / "src").rglob("Main.java"))
    main.write_text(main.read_text() + "\n// changed\n")
    second = build.source_hash(project)
    assert second != first
    (project.directory / "pom.xml").write_text((project.directory / "pom.xml").read_text() + "\n")
    assert build.source_hash(project) not in (first, second)


def test_unbuilt_project_is_not_built(tmp_path: Path) -> None:
    assert not build.is_built(_copy_project(tmp_path))


@pytest.mark.java
def test_maven_failure_is_reported_with_its_output(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    main = next((project.directory / "src").rglob("Main.java"))
    main.write_text(main.read_text().replace("public final class Main {", "public final class Main { int broken = ;"))
    with pytest.raises(BuildError, match=r"'mvn -B -q -o package' failed with exit status 1(.|\n)*Main\.java"):
        build.build_jar(project)
    assert not build.is_built(project)


@pytest.mark.java
def test_built_jar_is_reused_until_the_sources_change() -> None:
    jar = build.build_jar(build.VALIDATOR)
    assert build.is_built(build.VALIDATOR)
    mtime = jar.stat().st_mtime_ns
    assert build.build_jar(build.VALIDATOR) == jar
    assert jar.stat().st_mtime_ns == mtime
