"""Shared fixtures: the book built once, strictly, into a temporary directory."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

ROOT = Path(__file__).resolve().parents[1]

# Property tests: reproducible in CI (derandomized), exploring new examples locally; what
# Hypothesis keeps (the examples that failed, its caches) lives under _build/, not in the sources.
set_hypothesis_home_dir(ROOT / "_build" / ".hypothesis")
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=25, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=25)
settings.register_profile("thorough", deadline=None, max_examples=400)   # HYPOTHESIS_PROFILE=thorough
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
BIN = Path(sys.executable).parent


KERNEL_START_FAILURES = ("Address already in use", "Kernel died before replying",
                         "Kernel didn't respond", "DeadKernelError")


def copy_project(dest: Path) -> Path:
    """A copy of the sources (no venv, build output, caches or mutants) at ``dest``."""
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        ".venv", "_build", ".cache", ".git", "__pycache__", ".pytest_cache", ".hypothesis", "*.egg-info", "mutants"))
    return dest


def executed(log: str) -> set[str]:
    """The pages a build's log says it executed (not taken from the cache)."""
    return set(re.findall(r"docs/(\w+)\.md: Executing notebook", log))


def tree_digest(html: Path) -> dict[str, str]:
    """sha256 of every published file: all of the HTML directory (Sphinx's .doctrees cache,
    pickles that hold the absolute source path, lives beside it, not in it). A page rewritten
    by a later build links its static files with a ``?v=<checksum>`` that a clean build omits:
    that suffix is not part of the digest."""
    def content(p: Path) -> bytes:
        data = p.read_bytes()
        return re.sub(rb"\?v=[0-9a-f]+", b"", data) if p.suffix == ".html" else data
    return {str(p.relative_to(html)): hashlib.sha256(content(p)).hexdigest()
            for p in sorted(html.rglob("*")) if p.is_file()}


@dataclass
class Build:
    returncode: int
    log: str
    html: Path


def make_html_command(root: Path, check_store: Path | None = None,
                      target: str = "html") -> tuple[list[str], dict[str, str]]:
    """The command line and environment of ``make html`` (or ``make <target>``: pdf, epub) in
    the project at ``root`` (the Makefile holds the one build command), with this venv and
    without reinstalling; its pages store their checks in ``check_store`` if given, else beside
    the build's execution cache."""
    from derivations.provenance import STORE_ENV

    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "MAKEFLAGS", STORE_ENV)}
    if check_store is not None:
        env[STORE_ENV] = str(check_store)
    env["MPLBACKEND"] = "Agg"  # the trap conf.py must defuse: figures must still appear
    # Plain logs everywhere: with CI=true Sphinx colours its output and rewrites one progress
    # line in place, which the tests that read the log would not recognise.
    env["NO_COLOR"] = "1"
    venv = BIN.parent
    # -o: never reinstall from this copy (an editable install would point the venv's
    # `derivations` at a temporary directory), even when pyproject.toml is newer. SPHINXOPTS
    # without -q: the tests read which pages were executed from the log.
    cmd = ["make", "--no-print-directory", "-C", str(root), target, f"VENV={venv}",
           "-o", f"{venv}/.installed-stamp", "SPHINXOPTS=-j auto"]
    return cmd, env


def make_html(root: Path, check_store: Path | None = None) -> Build:
    """``make html`` in the project at ``root`` (:func:`make_html_command`); the HTML in
    root/_build/html."""
    cmd, env = make_html_command(root, check_store)
    for attempt in (1, 2):
        returncode, log = run_group(cmd, env, timeout=900)
        # A kernel that fails to start (a TCP port taken between jupyter_client choosing it and
        # the kernel binding it) is the machine's fault, not the book's: retry once. A failing
        # cell never matches these and is never retried.
        if returncode == 0 or attempt == 2 or not any(s in log for s in KERNEL_START_FAILURES):
            break
    return Build(returncode, log, root / "_build" / "html")


def run_group(cmd: list[str], env: dict, timeout: float) -> tuple[int, str]:
    """(exit status, stdout + stderr) of ``cmd`` run in its own process group, which is killed
    whole (make, sphinx-build, its kernels) if it outlives ``timeout`` seconds or the test is
    interrupted; a timeout is reported in the log with status -9."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return -9, out + f"\n[killed: {' '.join(cmd)} did not finish in {timeout:.0f} s]"
    finally:
        if proc.poll() is None:   # interrupted (KeyboardInterrupt, a crash of this worker)
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def session_path(tmp_path_factory, worker_id) -> Path:
    """A directory of this test session shared by its pytest-xdist workers (``make test`` runs
    two; without workers, the session's own temporary directory)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def check_store(session_path) -> Path:
    """The session's store of check results (``derivations.provenance.stored``), shared by its
    pytest-xdist workers and the book they build: whoever asks for a topic's checks first runs
    them, once per session; the others wait for them and read them. ``$DERIVATIONS_CHECK_STORE``
    names another (``make check`` reuses the book's: results stored for the same sources)."""
    from derivations.provenance import STORE_ENV

    if os.environ.get(STORE_ENV):
        return Path(os.environ[STORE_ENV]).resolve()
    return session_path / "checks"


@pytest.fixture(scope="session")
def checks_of(check_store):
    """``checks_of(topic)``: the topic's checks as its page runs them (seed 0), run once per
    test session (:func:`check_store`) by this process or another, and shared by the tests of
    the checks, of the CLI and of the built pages."""
    from derivations.book import topic_checks
    from derivations.provenance import STORE_ENV
    from derivations.symbolic.topics import MODULES

    @functools.cache
    def of(topic: str) -> tuple:
        with pytest.MonkeyPatch.context() as env:
            env.setenv(STORE_ENV, str(check_store))
            return tuple(topic_checks(MODULES[topic]))
    return of


@pytest.fixture(scope="session")
def exhibits_of():
    """``exhibits_of(topic)``: the topic's ``exhibits()``, what its page glues, computed once per
    process (the tests only read them)."""
    from derivations.symbolic.topics import MODULES

    return functools.cache(lambda topic: MODULES[topic].exhibits())


@pytest.fixture(scope="session")
def book(session_path, check_store) -> Build:
    """The book built from scratch (empty execution cache) with -n -W --keep-going, as ``make
    html`` builds it, in a copy of the sources (``book_project``), once per session: the first
    worker to ask builds it, the others wait for it. Its HTML as built is kept apart from the
    project (``html``), so that the tests reading it and the test that edits the project and
    builds it again can run at the same time. Its pages share the session's check store."""
    from derivations.provenance import exclusive

    root = session_path / "book"
    root.mkdir(exist_ok=True)
    with exclusive(root / "lock"):
        record = root / "build.json"
        if not record.exists():
            shutil.rmtree(root / "project", ignore_errors=True)   # what a killed run left
            build = make_html(copy_project(root / "project"), check_store)
            if build.returncode == 0:
                shutil.rmtree(root / "html", ignore_errors=True)
                shutil.copytree(build.html, root / "html")
            record.write_text(json.dumps({"returncode": build.returncode, "log": build.log}))
        built = json.loads(record.read_text())
    assert built["returncode"] == 0, built["log"][-5000:]
    return Build(built["returncode"], built["log"], root / "html")


#: The PDF's and the EPUB's file name (conf.py's and the Makefile's BOOKNAME)
BOOKNAME = "backprop-derived-and-verified"
#: The tools ``make pdf`` and ``make epub`` and their tests call (Debian packages: .ci/run).
FORMAT_TOOLS = {"pdf": ("xelatex", "latexmk", "pdftotext"), "epub": ("java",)}
EPUBCHECK_JAR = Path("/usr/share/java/epubcheck.jar")   # the Makefile's EPUBCHECK


def missing_tools(fmt: str) -> list[str]:
    missing = [tool for tool in FORMAT_TOOLS[fmt] if shutil.which(tool) is None]
    return missing + (["epubcheck"] if fmt == "epub" and not EPUBCHECK_JAR.exists() else [])


@pytest.fixture(scope="session")
def book_format(book, session_path, check_store):
    """``book_format("pdf")`` or ``book_format("epub")``: ``make pdf`` / ``make epub`` run once
    per session in the session's book project right after its ``make html``, as a reader would
    (it shares the build's parsed pages and execution cache); a :class:`Build` whose ``html``
    is the project's ``_build`` directory. The edit test builds both before it edits the project
    (``check=False``: it neither needs them to succeed nor skips without them). Without the tools
    a format needs, its tests are skipped, and fail in CI (which installs them)."""
    from derivations.provenance import exclusive

    def build(fmt: str, check: bool = True) -> Build | None:
        if missing := missing_tools(fmt):
            if not check:
                return None
            message = f"make {fmt} needs {', '.join(missing)} (Debian packages; .ci/run installs them)"
            pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
        root = session_path / "book" / "project"
        # one at a time: the builds share the parsed pages (_build/.doctrees)
        with exclusive(session_path / "book" / "formats.lock"):
            record = session_path / "book" / f"{fmt}.json"
            if not record.exists():
                returncode, log = run_group(*make_html_command(root, check_store, target=fmt), timeout=900)
                record.write_text(json.dumps({"returncode": returncode, "log": log}))
            built = Build(**json.loads(record.read_text()), html=root / "_build")
        if check:
            assert built.returncode == 0, built.log[-8000:]
        return built
    return build


@pytest.fixture(scope="session")
def book_project(book, session_path) -> Path:
    """The copy of the sources the session's book was built in, with its build directory."""
    return session_path / "book" / "project"


def pytest_collection_modifyitems(session, config, items):
    """The first test that reads the book runs first, so that the book (the slowest fixture)
    is built while the other worker runs the unit tests; the other tests that read it run last."""
    reads = [i for i in items if "book" in getattr(i, "fixturenames", ())]
    others = [i for i in items if "book" not in getattr(i, "fixturenames", ())]
    items[:] = reads[:1] + others + reads[1:]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261122)
