"""Shared fixtures: the repository's paths and the built command-line tools."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


def tool(name: str) -> str:
    """A built binary of the workspace (scripts/python-test.sh builds them)."""
    path = ROOT / "target" / "debug" / name
    if not path.exists():
        raise RuntimeError(f"{path} is not built: run scripts/python-test.sh")
    return str(path)


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def rules_dir() -> str:
    return str(ROOT / "rules")


@pytest.fixture(scope="session")
def mix(tmp_path_factory) -> dict:
    """100,000 generated records of every kind: JSON Lines, the same records
    as one Parquet file per kind, and `guifan run`'s decisions about them."""
    n = int(os.environ.get("GUIFAN_SPARK_RECORDS", "100000"))
    at = "2023-03-16T12:00:00+08:00"
    folder = tmp_path_factory.mktemp("mix")
    jsonl = folder / "mix.jsonl"
    with open(jsonl, "wb") as out:
        subprocess.run([tool("guifan-gen"), "--mix", str(n)], stdout=out, check=True)
    subprocess.run(
        [tool("guifan-gen"), "--mix", str(n), "--format", "parquet", "--out", str(folder / "parquet"),
         "--rules", str(ROOT / "rules")],
        check=True, capture_output=True,
    )
    decided = subprocess.run(
        [tool("guifan"), "run", "--rules", str(ROOT / "rules"), "--data", str(jsonl), "--at", at],
        check=True, capture_output=True,
    )
    return {"records": n, "at": at, "jsonl": jsonl, "parquet": folder / "parquet",
            "decisions": decided.stdout.decode("utf-8")}
