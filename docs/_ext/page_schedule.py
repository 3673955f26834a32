"""Read (and so execute) the book's pages one per task, the slowest first.

With few pages Sphinx splits them into as many contiguous chunks as it has processes, each
read by one process (two chunks of nine pages here): when the two slowest pages fall in the
same chunk, one process works on while the other sits idle. Reading one page per task lets a
process that finishes take the next page, and starting with the pages that took longest last
time is the classic longest-processing-time-first schedule. Pages never executed before (a
clean build) keep Sphinx's order; the pages in ``page_schedule_last`` (conf.py) come last.

Writing is serial: Sphinx resolves every page in the main process even with ``-j``, and
shipping the resolved pages to writer processes cost more than it saved (HTML rewritten from
the cache: 4.05 s with two processes, 3.75 s with one).
"""

from __future__ import annotations

from pathlib import Path

import sphinx.builders
from sphinx.util import logging
from sphinx.util.parallel import make_chunks

logger = logging.getLogger(__name__)


class _Chunks:
    """``make_chunks`` for sphinx.builders: one page per chunk while reading (writing is serial)."""

    reading = False

    def __call__(self, arguments, nproc, maxbatch=10):
        if self.reading:
            return [[a] for a in arguments]
        return make_chunks(arguments, nproc, maxbatch)


_chunks = _Chunks()


def _last_seconds(app, env) -> dict[str, float]:
    """Execution time of each page's cached notebook, by docname (pages never executed absent)."""
    from jupyter_cache import get_cache

    seconds = {}
    for rec in get_cache(app.env.mystnb_config.execution_cache_path).list_cache_records():
        doc = env.path2doc(str(Path(rec.uri).resolve()))
        if doc is not None and isinstance(rec.data, dict) and "execution_seconds" in rec.data:
            seconds[doc] = rec.data["execution_seconds"]
    return seconds


def _schedule(app, env, docnames) -> None:
    _chunks.reading = True
    if len(docnames) < 2:
        return
    seconds = _last_seconds(app, env)
    last = [d for d in app.config.page_schedule_last if d in docnames]
    # sorted() is stable: pages with no recorded time keep their order, after the timed ones
    order = sorted((d for d in docnames if d not in last), key=lambda d: -seconds.get(d, 0.0)) + last
    logger.info("page_schedule: reading %s", ", ".join(order))
    # Sphinx's ParallelTasks starts the first nproc tasks as they are added and then takes the
    # waiting ones last-in first-out: hand them over so that they start in ``order``.
    nproc = app.parallel
    docnames[:] = order[:nproc] + order[nproc:][::-1] if nproc > 1 else order


def _done_reading(app, env) -> list[str]:
    _chunks.reading = False
    return []


def _serial_writing(app, builder) -> None:
    builder.parallel_ok = False


def setup(app):
    app.setup_extension("myst_nb")
    # pages read after all others (the report, which reuses the checks the topic pages stored)
    app.add_config_value("page_schedule_last", [], "env", types=[list])
    if getattr(sphinx.builders, "make_chunks", None) is make_chunks:
        sphinx.builders.make_chunks = _chunks
        # before fresh_pages (priority 500) drops the stale pages' records, and their times
        app.connect("env-before-read-docs", _schedule, priority=400)
        app.connect("env-updated", _done_reading)
        app.connect("write-started", _serial_writing)
    else:  # another Sphinx than the one this was written for: leave its scheduling alone
        logger.info("page_schedule: sphinx.builders.make_chunks not found; pages read in chunks")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
