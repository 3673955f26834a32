"""Re-execute a page when a module of ``derivations`` that it imports changes.

jupyter-cache keys an executed page on its code cells alone, so an edit to
``derivations/numeric/activations.py`` would leave every page that uses it showing the
old outputs. This extension closes that hole:

1. For each page, it finds the ``derivations`` modules the page imports, and what those
   import in turn (read from the source with ``ast``; a module that imports with
   ``import_module`` is taken to depend on its whole package), and hashes their contents.
2. Before Sphinx reads, a page whose hash differs from the one recorded at its last
   read is marked outdated, and its entry in the execution cache is dropped, so myst-nb
   executes it again. A text-only edit keeps the hash, so the cached outputs are reused.
   The page that lists every page's displayed equations (it calls ``glue_proofs``) is also
   executed again when the equations a page displays change.

The hashes live beside the execution cache in ``derivations-digests.json``, with the source
directory they were recorded for: cache entries are found by the page's path, so if the
project has moved, the whole cache is dropped rather than trusted.

3. The pages' kernels get ``DERIVATIONS_CHECK_STORE`` pointing to ``.cache/checks`` beside the
   sources (unless it is already set), so the report and proofs pages reuse the checks a topic
   page ran on the same sources (and the reverse) instead of running them twice
   (``derivations.book.topic_checks``). The store is keyed by the digest of the sources each
   topic's checks depend on, so it cannot serve a result for other sources; it survives
   ``make clean`` (which drops the executed pages), so a clean build executes every page but
   does not redo a proof whose sources have not changed. ``make distclean`` removes it.

The import graph and the digests are ``derivations.provenance``'s, the same the store uses.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from sphinx.util import logging

from derivations.book import displayed_equations
from derivations.provenance import STORE_ENV, ModuleGraph, page_imports

logger = logging.getLogger(__name__)

STATE_FILE = "derivations-digests.json"
#: The check store when none is named: beside the sources, not in _build, so that `make clean`
#: keeps the results of the expensive proofs (keyed by the sources they depend on).
DEFAULT_STORE = ".cache/checks"
#: A page whose source calls this reads the other pages' displayed equations (the proofs page).
READS_PAGES = "glue_proofs("


def _state_path(app) -> Path:
    return Path(app.env.mystnb_config.execution_cache_path) / STATE_FILE


def _digests(app, env, docnames) -> dict[str, str]:
    graph = ModuleGraph(Path(app.confdir))
    out = {}
    for doc in docnames:
        text = Path(env.doc2path(doc)).read_text(encoding="utf-8")
        digest = graph.digest(page_imports(text))
        if READS_PAGES in text:     # it lists every page's displayed equations: they count too
            shown = [(d, displayed_equations(Path(env.doc2path(d)).read_text(encoding="utf-8")))
                     for d in sorted(env.found_docs)]
            digest = hashlib.sha256(f"{digest}\0{shown!r}".encode()).hexdigest()
        out[doc] = digest
    return out


def _load_state(app) -> dict[str, str]:
    """The recorded page digests, or {} when none were recorded for this source directory."""
    try:
        state = json.loads(_state_path(app).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    if state.get("srcdir") != str(Path(app.srcdir).resolve()):
        return {}
    return state.get("pages", {})


def _outdated(app, env, added, changed, removed):
    candidates = sorted(env.found_docs - added - changed)
    state = _load_state(app)
    stale = [d for d, h in _digests(app, env, candidates).items() if state.get(d) != h]
    if stale:
        logger.info("fresh_pages: imported modules changed for %s", ", ".join(stale))
    return stale


def _drop_stale_executions(app, env, docnames) -> None:
    from jupyter_cache import get_cache

    # Opening the cache here, in the main process, creates its SQLite database before
    # parallel readers race to create it.
    cache = get_cache(app.env.mystnb_config.execution_cache_path)
    records = cache.list_cache_records()
    state = _load_state(app)
    if not state and records:  # digests unknown (or recorded elsewhere): trust nothing
        logger.info("fresh_pages: no digests recorded for this source directory; "
                    "dropping all %d cached executions", len(records))
        cache.clear_cache()
        records = cache.list_cache_records()  # recreates the database, still before reading
    for doc, digest in _digests(app, env, docnames).items():
        if state.get(doc) == digest:
            continue
        src = Path(env.doc2path(doc)).resolve()
        for rec in records:
            if Path(rec.uri).resolve() == src:
                cache.remove_cache(rec.pk)
                logger.info("fresh_pages: %s will be executed again (ID=%s dropped)", doc, rec.pk)
        state[doc] = digest
    path = _state_path(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The kernels started from here on (in the parallel readers) inherit it. A store named by
    # the caller is kept (the tests share one between the book they build and themselves).
    os.environ.setdefault(STORE_ENV, str(Path(app.confdir) / DEFAULT_STORE))
    srcdir = str(Path(app.srcdir).resolve())
    path.write_text(json.dumps({"srcdir": srcdir, "pages": state}, indent=1, sort_keys=True))


def setup(app):
    app.setup_extension("myst_nb")
    app.connect("env-get-outdated", _outdated)
    app.connect("env-before-read-docs", _drop_stale_executions)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
