"""``make mutation-core``: mutation testing of derivations/verify.py against its own unit tests.

``make mutation`` runs every unit test that reaches a mutated function, and every SymPy proof
of every topic reaches ``verify.symbolic_identity``: 63 s of tests for each of its 236 mutants,
several hours. This run mutates verify.py alone and judges it by tests/test_verify.py (a few
seconds per mutant), in a copy of the sources under _build/mutation-core (mutmut reads its
configuration from the copy's pyproject.toml).

    python -m tests.mutation_core
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, copy_project

WHERE = ROOT / "_build" / "mutation-core"
TESTS = ["tests/test_verify.py"]


def main() -> int:
    shutil.rmtree(WHERE, ignore_errors=True)
    copy_project(WHERE)
    config = WHERE / "pyproject.toml"
    text, n1 = re.subn(r"^only_mutate = .*$", 'only_mutate = ["derivations/verify.py"]',
                       config.read_text(), flags=re.M)
    text, n2 = re.subn(r"^pytest_add_cli_args_test_selection = \[.*?\]$",
                       f"pytest_add_cli_args_test_selection = {TESTS!r}".replace("'", '"'), text,
                       flags=re.M | re.S)
    if (n1, n2) != (1, 1):
        raise SystemExit("pyproject.toml: [tool.mutmut] only_mutate / test selection not found")
    config.write_text(text)
    mutmut = str(Path(sys.executable).parent / "mutmut")
    subprocess.run([mutmut, "run", "--max-children", "2"], cwd=WHERE)
    return subprocess.run([mutmut, "results"], cwd=WHERE).returncode


if __name__ == "__main__":
    sys.exit(main())
