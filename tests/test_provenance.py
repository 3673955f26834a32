"""derivations.provenance: the import graph the book's freshness rests on, and the store that
lets the book (a topic page, the report) reuse a topic's checks only while every source they
depend on is unchanged."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys

import pytest

from derivations import provenance
from derivations.book import topic_checks
from derivations.symbolic import hadamard
from derivations.verify import Check

from .conftest import ROOT


@pytest.fixture
def package(tmp_path):
    """A copy of the package to edit."""
    shutil.copytree(ROOT / "derivations", tmp_path / "derivations",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_closure_follows_relative_imports_and_parent_packages():
    closure = provenance.ModuleGraph().closure({"derivations.symbolic.clipping"})
    assert {"derivations", "derivations.symbolic", "derivations.verify", "derivations.provenance",
            "derivations.numeric.clipping", "derivations.numeric.rnn", "derivations.symbolic.bptt",
            "derivations.symbolic.common"} <= closure
    # what clipping does not import is not part of it
    assert not {"derivations.symbolic.lstm_gru", "derivations.numeric.lstm", "derivations.symbolic.topics"} & closure


def test_a_dynamic_import_depends_on_the_whole_package_but_the_words_do_not(package):
    graph = provenance.ModuleGraph(package)
    # provenance.py mentions import_module without calling it
    assert graph.closure({"derivations.provenance"}) == {"derivations", "derivations.provenance",
                                                         "derivations.verify"}
    module = package / "derivations" / "numeric" / "hadamard.py"
    module.write_text(module.read_text() + "\nfrom importlib import import_module\n"
                      "_ = import_module\n")
    assert "derivations.numeric.lstm" not in provenance.ModuleGraph(package).closure({"derivations.numeric.hadamard"})
    module.write_text(module.read_text() + "import_module('derivations.numeric.lstm')\n")
    assert "derivations.numeric.lstm" in provenance.ModuleGraph(package).closure({"derivations.numeric.hadamard"})


def test_digest_changes_with_the_closure_and_only_with_it(package):
    name = {"derivations.symbolic.clipping"}
    before = provenance.ModuleGraph(package).digest(name)
    assert provenance.ModuleGraph(package).digest(name) == before
    lstm = package / "derivations" / "numeric" / "lstm.py"
    lstm.write_text(lstm.read_text() + "\n# not imported by clipping\n")
    assert provenance.ModuleGraph(package).digest(name) == before
    rnn = package / "derivations" / "numeric" / "rnn.py"  # imported by clipping via symbolic.bptt
    rnn.write_text(rnn.read_text() + "\n# an edit\n")
    assert provenance.ModuleGraph(package).digest(name) != before


@pytest.mark.parametrize("text, names", [
    ("from derivations.symbolic import activations as A\n",
     {"derivations.symbolic", "derivations.symbolic.activations"}),
    ("import derivations.numeric.rnn\n", {"derivations.numeric.rnn"}),
    ("from derivations.verify import (markdown_table,\n    require)\n",
     {"derivations.verify", "derivations.verify.markdown_table", "derivations.verify.require"}),
    ("  from derivations.numeric import lstm, gru as G\n",
     {"derivations.numeric", "derivations.numeric.lstm", "derivations.numeric.gru"}),
    ("# derivations is imported below\nimport numpy as np\n", set()),
])
def test_page_imports(text, names):
    assert provenance.page_imports(text) == names


def counted(module="derivations.symbolic.hadamard"):
    """checks(seed), stored under ``module``'s name, and the list of the seeds it really ran."""
    calls = []

    def checks(seed=0):
        def run():
            calls.append(seed)
            return [Check("t", f"seed {seed}", "m", float("nan"), 1e-7, True),
                    Check("t", "second", "m", 0.1 + 0.2, 0.0, False, "detail")]
        return provenance.stored(module, seed, run)
    return checks, calls


def test_without_a_store_the_checks_always_run(monkeypatch, tmp_path):
    monkeypatch.delenv(provenance.STORE_ENV, raising=False)
    checks, calls = counted()
    checks(), checks()
    assert len(calls) == 2


def test_a_store_runs_each_seed_once_and_returns_the_same_checks(monkeypatch, tmp_path):
    monkeypatch.setenv(provenance.STORE_ENV, str(tmp_path / "store"))
    checks, calls = counted()
    first = checks()
    again = checks()
    assert calls == [0]
    assert [c.row() for c in again] == [c.row() for c in first]
    assert again[1] == first[1] and again[1].error == 0.1 + 0.2  # floats round-trip exactly
    checks(seed=1)
    checks(seed=1)
    assert calls == [0, 1]
    assert len(list((tmp_path / "store").glob("derivations.symbolic.hadamard-*.json"))) == 2


def test_stored_checks_are_keyed_by_the_modules_sources(tmp_path):
    key = provenance.results_key("derivations.symbolic.hadamard", 0)
    assert key != provenance.results_key("derivations.symbolic.hadamard", 1)
    assert key != provenance.results_key("derivations.symbolic.clipping", 0)
    # the same module under a copy of the sources, then edited
    shutil.copytree(ROOT / "derivations", tmp_path / "derivations")
    assert provenance.results_key("derivations.symbolic.hadamard", 0, tmp_path) == key
    numeric = tmp_path / "derivations" / "numeric" / "hadamard.py"
    numeric.write_text(numeric.read_text() + "\n# an edit\n")
    assert provenance.results_key("derivations.symbolic.hadamard", 0, tmp_path) != key


def test_a_damaged_store_entry_is_run_again_and_replaced(monkeypatch, tmp_path):
    monkeypatch.setenv(provenance.STORE_ENV, str(tmp_path))
    checks, calls = counted()
    checks()
    (entry,) = tmp_path.glob("*.json")
    entry.write_text('[{"topic": "t"')  # a write cut short
    assert [c.name for c in checks()] == ["seed 0", "second"] and len(calls) == 2
    entry.write_text(json.dumps([{"topic": "t", "unknown": 1}]))  # another version's fields
    checks()
    assert len(calls) == 3
    assert [c["name"] for c in json.loads(entry.read_text())] == ["seed 0", "second"]
    assert not list(tmp_path.glob("*.tmp"))


def test_a_topics_stored_checks_are_the_checks_it_runs(monkeypatch, tmp_path):
    monkeypatch.delenv(provenance.STORE_ENV, raising=False)
    def untimed(checks):    # a proof's measured time differs from run to run
        return [dataclasses.replace(c, seconds=0.0) for c in checks]
    fresh = hadamard.checks()
    assert untimed(topic_checks(hadamard)) == untimed(fresh)  # no store: the book runs the checks
    monkeypatch.setenv(provenance.STORE_ENV, str(tmp_path))
    topic_checks(hadamard)
    monkeypatch.setattr(hadamard, "checks", lambda seed=0: pytest.fail("ran the checks again"))
    stored = topic_checks(hadamard)
    assert [c.row() + (c.detail,) for c in stored] == [c.row() + (c.detail,) for c in fresh]
    assert all(type(c.passed) is bool and type(c.error) is float for c in stored)
    assert [c.seconds for c in stored] == [c.seconds for c in topic_checks(hadamard)]   # as stored


SLOW_CHECKS = """
import os, sys, time
from derivations import provenance
from derivations.verify import Check

def run():
    with open(sys.argv[1], "a") as f:
        f.write(f"{os.getpid()}\\n")
    time.sleep(1.0)
    return [Check("t", "slow", "m", 0.0, 0.0, True)]

print([c.name for c in provenance.stored("derivations.symbolic.hadamard", 0, run)])
"""


def test_processes_asking_at_once_run_the_checks_once(tmp_path):
    """Pages executed in parallel and test workers share a store: the first runs, the others wait."""
    log = tmp_path / "runs.log"
    env = {**os.environ, provenance.STORE_ENV: str(tmp_path / "store")}
    procs = [subprocess.Popen([sys.executable, "-c", SLOW_CHECKS, str(log)], env=env, text=True,
                              stdout=subprocess.PIPE) for _ in range(3)]
    assert [p.communicate(timeout=60)[0].strip() for p in procs] == ["['slow']"] * 3
    assert len(log.read_text().split()) == 1
