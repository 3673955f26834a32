"""What a result depends on: the static import graph of the package, its source digests, and
a store of check results keyed by them.

The book's build uses both. ``docs/_ext/fresh_pages.py`` re-executes a page when a module it
imports (directly or not) changes. And the pages do not run a topic's checks twice: with
``DERIVATIONS_CHECK_STORE`` set to a directory (the build sets it beside its execution cache
unless it is set already), :func:`stored` keeps each topic's results under the digest of the
topic module's sources (and the Python, NumPy and SymPy versions and the BLAS thread counts),
so that a second caller of the same checks on the same sources (a topic page and the
verification report, :mod:`derivations.book`; the tests, which share one store with the book
they build) reads them instead of running them again. ``python -m derivations`` does not use
the store: it runs every check. The topic modules know nothing of this.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import re
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from .verify import Check

PACKAGE = "derivations"
ROOT = Path(__file__).resolve().parent.parent  # the directory holding the package
STORE_ENV = "DERIVATIONS_CHECK_STORE"
#: The BLAS thread counts a numeric result can depend on (in its last bits): part of a stored
#: result's key, and pinned to 1 for the book's kernels (conf.py) and the tests (Makefile).
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_PAGE_IMPORT = re.compile(
    rf"^[ \t]*(?:from[ \t]+({PACKAGE}(?:\.\w+)*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([\w \t,]+))"
    rf"|import[ \t]+({PACKAGE}(?:\.\w+)*))",
    re.MULTILINE,
)


class ModuleGraph:
    """Static import graph of the ``derivations`` package below ``root`` (a module that calls
    ``import_module`` or ``__import__`` is taken to import its whole package)."""

    def __init__(self, root: Path = ROOT):
        self.root = Path(root)
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
        dynamic = False
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                dynamic |= (func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")) in (
                    "import_module", "__import__")
            elif isinstance(node, ast.Import):
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
        if dynamic:  # a call to import_module or __import__: the whole package
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
        """SHA-256 over the names and sources of :meth:`closure` of ``names``."""
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


def results_key(module: str, seed: int, root: Path = ROOT) -> str:
    """What a module's checks depend on: its sources' digest, the seed, the versions of Python,
    NumPy and SymPy, and the BLAS thread counts (:data:`THREAD_ENV`)."""
    import numpy
    import sympy

    versions = f"{platform.python_version()} numpy {numpy.__version__} sympy {sympy.__version__} " + \
        " ".join(f"{v}={os.environ.get(v, '')}" for v in THREAD_ENV)
    h = hashlib.sha256(f"{ModuleGraph(root).digest({module})}\0{seed}\0{versions}".encode())
    return h.hexdigest()[:32]


def _plain(value):
    """NumPy scalars (a check's error or verdict is often one) as the Python number they hold."""
    return value.item()


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Held by one process at a time, through an ``fcntl`` lock on the file ``lock`` (the others
    wait); released when the block ends or its process dies."""
    import fcntl

    with open(lock, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def stored(module: str, seed: int, run: Callable[[], list[Check]]) -> list[Check]:
    """``run()``'s list of checks, read from or written to ``<store>/<module>-<key>.json``
    (:func:`results_key`) when ``$DERIVATIONS_CHECK_STORE`` names a store; without it, ``run()``.
    ``seed`` only keys the store: ``run`` must compute with that seed. Of the processes that ask
    for the same results at once (pages executed in parallel, test workers), the first runs
    them and the others wait for them (a lock beside the file)."""
    from .verify import Check

    return stored_records(module, seed, run, encode=asdict, decode=lambda fields: Check(**fields))


def stored_records(module: str, seed: int, run: Callable[[], list], *, kind: str = "",
                   encode: Callable = lambda r: r, decode: Callable = lambda r: r) -> list:
    """:func:`stored` for any list of records ``run()`` computes from the module's sources
    (``encode`` makes a record JSON data, ``decode`` makes it back); ``kind`` names the list
    beside the module's checks (``<module>-<kind>-<key>.json``)."""
    store = os.environ.get(STORE_ENV)
    if not store:
        return run()
    path = Path(store) / f"{module}-{kind + '-' if kind else ''}{results_key(module, seed)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(path.with_suffix(".lock")):
        try:
            return [decode(r) for r in json.loads(path.read_text())]
        except (OSError, ValueError, TypeError):  # absent, or half-written by a crashed run
            pass
        results = run()
        # Write a private file, then rename it into place: a crash leaves no half-written store.
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps([encode(r) for r in results], default=_plain))
        os.replace(tmp, path)
        return results
