"""docs/_ext/page_schedule.py: pages read slowest first, the report last, in the order Sphinx's
process pool will really start them."""

import sys
import time
from types import SimpleNamespace

import pytest
from sphinx.util.parallel import ParallelTasks

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import page_schedule  # noqa: E402


def schedule(docnames, seconds, nproc, last=("report",), monkeypatch=None):
    monkeypatch.setattr(page_schedule, "_last_seconds", lambda app, env: seconds)
    app = SimpleNamespace(parallel=nproc, config=SimpleNamespace(page_schedule_last=list(last)))
    docs = list(docnames)
    page_schedule._schedule(app, None, docs)
    page_schedule._done_reading(app, None)
    return docs


def started_order(tasks, nproc, monkeypatch):
    """The order in which Sphinx's ParallelTasks starts ``tasks``, recorded in this process
    as it starts each one."""
    import multiprocessing

    fork, started = multiprocessing.get_context("fork"), []

    class Recorded(fork.Process):
        def start(self):
            started.append(self._args[2])   # ParallelTasks passes (pipe, function, argument)
            super().start()

    monkeypatch.setattr(multiprocessing, "get_context", lambda method: SimpleNamespace(Process=Recorded))
    pool = ParallelTasks(nproc)
    for name in tasks:
        pool.add_task(_nap, name)
    pool.join()
    return started


def _nap(name):
    time.sleep(0.02)


def test_slowest_first_report_last(monkeypatch):
    docs = ["activations", "api", "bptt", "errata", "lstm_gru", "report", "residual"]
    seconds = {"lstm_gru": 11.0, "bptt": 7.0, "errata": 4.0, "activations": 3.7, "report": 20.0}
    order = ["lstm_gru", "bptt", "errata", "activations", "api", "residual", "report"]
    assert schedule(docs, seconds, 1, monkeypatch=monkeypatch) == order
    handed = schedule(docs, seconds, 2, monkeypatch=monkeypatch)
    assert handed == ["lstm_gru", "bptt", "report", "residual", "api", "activations", "errata"]
    # ... which Sphinx's pool starts in exactly the intended order
    assert started_order(handed, 2, monkeypatch) == order


def test_a_clean_build_keeps_sphinxs_order_with_the_report_last(monkeypatch):
    docs = ["a", "b", "c", "report", "z"]
    handed = schedule(docs, {}, 2, monkeypatch=monkeypatch)
    assert started_order(handed, 2, monkeypatch) == ["a", "b", "c", "z", "report"]


def test_reading_one_page_per_task_and_writing_in_sphinxs_chunks():
    chunks = page_schedule._chunks
    assert not chunks.reading and len(chunks([str(i) for i in range(18)], 2)) == 2
    chunks.reading = True
    try:
        assert chunks(["a", "b", "c"], 2) == [["a"], ["b"], ["c"]]
    finally:
        chunks.reading = False


@pytest.mark.parametrize("n", [0, 1])
def test_nothing_to_schedule(n, monkeypatch):
    assert schedule(["report"][:n], {}, 2, monkeypatch=monkeypatch) == ["report"][:n]
