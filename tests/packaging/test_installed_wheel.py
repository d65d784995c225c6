"""The built wheel is the product: installed in a fresh virtualenv outside the checkout, it migrates, loads
the demo, serves Chinese pages and static files, and runs the bureau's tools.

The virtualenv gets only the wheel; the third-party packages come from this interpreter's site-packages
through a .pth file (a line in a .pth adds a directory but runs none of the .pth files in it, so the
checkout's editable install stays out). The tests check that market and sim are the wheel's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest
from babel.support import Translations

from tests.live_server import serving

pytestmark = [
    pytest.mark.slow,
    # the wheel does not depend on the database: the SQLite pass of .ci/run covers it, the PostgreSQL pass skips
    pytest.mark.skipif(bool(os.environ.get("MARKET_TEST_DATABASE_URL")), reason="runs in the SQLite pass"),
]

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "instance", "out", "tests")
TOOLS = ("ipd-size-fund", "ipd-compare-scenarios", "ipd-simulate-auctions", "ipd-sweep")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtualenv outside the checkout with the wheel built from a copy of the source installed in it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a clean copy: the build's own build/ and egg-info stay out of the checkout
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_SOURCE)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", work / "dist", source])
    [wheel] = (work / "dist").glob("ipdisposal-*.whl")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel])
    site_packages = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    (site_packages / "shared_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


@pytest.fixture
def in_venv(installed, tmp_path):
    """Run a command of the virtualenv in an empty working directory, with none of our settings."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("MARKET_") and name not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def run(*command: str | Path) -> str:
        return _run([installed / "bin" / command[0], *command[1:]], env=env, cwd=tmp_path)

    run.env, run.cwd = env, tmp_path
    return run


def test_market_and_sim_are_imported_from_the_installed_wheel(installed, in_venv):
    imported = in_venv("python", "-c", "import market, sim; print(market.__file__); print(sim.__file__)")
    assert all(Path(line).is_relative_to(installed) for line in imported.split())


def test_the_installed_marketplace_migrates_seeds_and_serves_chinese_pages(installed, in_venv):
    assert "newest migration" in in_venv("python", "-m", "flask", "--app", "market.app", "init-db")
    assert "Demo data loaded" in in_venv("python", "-m", "flask", "--app", "market.app", "seed-demo")
    assert (installed / "var" / "market-instance" / "market.sqlite3").is_file()  # not in the working directory
    gunicorn = [str(installed / "bin" / "python"), "-m", "gunicorn", "--workers", "1", "market.app:create_app()"]
    with serving(gunicorn, env=in_venv.env, cwd=in_venv.cwd) as base:
        home, catalogue, stylesheet = (_get(base + path) for path in ("/", "/catalogue", "/static/css/site.css"))
    chinese = Translations.load(ROOT / "market" / "translations", ["zh"])
    assert chinese.gettext("Disposal of pledged intellectual property") in home
    assert 'lang="zh-CN"' in home and "<table" in catalogue
    assert "body" in stylesheet


def test_the_bureau_tools_are_installed_commands(installed, in_venv):
    assert all((installed / "bin" / tool).is_file() for tool in TOOLS)
    assert in_venv("ipd-size-fund", "--help").startswith("usage: ipd-size-fund ")
    # each tool's entry point names a function of the installed package (loading all costs one process)
    loaded = in_venv("python", "-c", "from importlib.metadata import distribution; "
                     "print(*(e.load().__module__ for e in distribution('ipdisposal').entry_points), sep='\\n')")
    assert set(loaded.split()) == {"sim.sizing_cli", "sim.auction_cli", "sim.sweep_cli"}


def test_a_fund_is_sized_from_the_example_scenario_shipped_in_the_wheel(in_venv):
    scenario = in_venv("python", "-c", "import sim, pathlib; "
                       "print(pathlib.Path(sim.__file__).parent / 'scenarios' / 'jiyuan.toml')").strip()
    printed = in_venv("ipd-size-fund", scenario, "--paths", "100", "--sensitivity-paths", "0", "--workers", "1",
                      "--no-progress", "--out", "out")
    assert printed.startswith("At 99% confidence over")
    assert (in_venv.cwd / "out" / "report.html").is_file()


def _run(command: list, **options) -> str:
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=300, **options)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return response.read().decode("utf-8")
