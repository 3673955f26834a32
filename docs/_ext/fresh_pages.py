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

The hashes live beside the execution cache in ``derivations-digests.json``, with the source
directory they were recorded for: cache entries are found by the page's path, so if the
project has moved, the whole cache is dropped rather than trusted.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

PACKAGE = "derivations"
STATE_FILE = "derivations-digests.json"
_PAGE_IMPORT = re.compile(
    rf"^[ \t]*(?:from[ \t]+({PACKAGE}(?:\.\w+)*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([\w \t,]+))"
    rf"|import[ \t]+({PACKAGE}(?:\.\w+)*))",
    re.MULTILINE,
)


class ModuleGraph:
    """Static import graph of the ``derivations`` package below ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self._deps: dict[str, set[str]] = {}

    def file(self, name: str) -> Path | None:
        path = self.root.joinpath(*name.split("."))
        if (path / "__init__.py").is_file():
            return path / "__init__.py"
        if path.with_suffix(".py").is_file():
            return path.with_suffix(".py")
        return None

    def _imports(self, name: str) -> set[str]:
        """Modules of the package that module ``name`` imports directly."""
        path = self.file(name)
        if path is None:
            return set()
        is_pkg = path.name == "__init__.py"
        package = name if is_pkg else name.rpartition(".")[0]
        found: set[str] = set()
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
        if "import_module" in source:  # dynamic imports: the whole package
            pkg_dir = self.root.joinpath(*package.split("."))
            found.update(f"{package}.{p.stem}" for p in pkg_dir.glob("*.py"))
        return {m for m in found if m.split(".")[0] == PACKAGE and self.file(m)}

    def closure(self, names: set[str]) -> set[str]:
        """The modules in ``names``, their parent packages, and all they import."""
        todo, seen = [n for n in names if self.file(n)], set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            parts = name.split(".")
            todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
            if name not in self._deps:
                self._deps[name] = self._imports(name)
            todo.extend(self._deps[name])
        return seen

    def digest(self, names: set[str]) -> str:
        h = hashlib.sha256()
        for name in sorted(self.closure(names)):
            h.update(name.encode() + b"\0" + self.file(name).read_bytes() + b"\0")
        return h.hexdigest()


def page_imports(text: str) -> set[str]:
    """The ``derivations`` modules a page's source imports (``from a.b import c`` gives
    ``a.b`` and, when it is a module, ``a.b.c``)."""
    names: set[str] = set()
    for frm, parenthesized, what, imp in _PAGE_IMPORT.findall(text):
        what = parenthesized or what
        if imp:
            names.add(imp)
        else:
            names.add(frm)
            names.update(f"{frm}.{w.split()[0]}" for w in what.split(",") if w.strip())  # "x as y"
    return names


def _state_path(app) -> Path:
    return Path(app.env.mystnb_config.execution_cache_path) / STATE_FILE


def _digests(app, env, docnames) -> dict[str, str]:
    graph = ModuleGraph(Path(app.confdir))
    return {
        doc: graph.digest(page_imports(Path(env.doc2path(doc)).read_text(encoding="utf-8")))
        for doc in docnames
    }


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
    srcdir = str(Path(app.srcdir).resolve())
    path.write_text(json.dumps({"srcdir": srcdir, "pages": state}, indent=1, sort_keys=True))


def setup(app):
    app.setup_extension("myst_nb")
    app.connect("env-get-outdated", _outdated)
    app.connect("env-before-read-docs", _drop_stale_executions)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
