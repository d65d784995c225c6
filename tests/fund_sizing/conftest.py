"""Fixtures for the fund-sizing tests: the example scenarios and a way to run the scripts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def city():
    """The path of an example city scenario by name, e.g. city("beijing")."""
    return lambda name: ROOT / "sim" / "scenarios" / f"{name}.toml"


@pytest.fixture
def run_script():
    """Run scripts/<name> in a fresh interpreter, as a bureau user would."""

    def run(name: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "scripts" / name), *map(str, args)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )

    return run
