"""The package as a user gets it: fast numeric imports, and `pip install .` works."""

import importlib
import inspect
import pkgutil
import subprocess
import sys
import zipfile
from pathlib import Path

import derivations
import derivations.numeric

from .conftest import ROOT, copy_project

def run_python(code: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, **kw)


def test_the_environment_imports_this_checkout(tmp_path):
    # from outside the project (no cwd on sys.path): the installed `derivations` is this one,
    # not a temporary copy a test's `make` reinstalled from (test_book runs make in copies)
    proc = run_python("import derivations; print(derivations.__file__)", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    installed = Path(proc.stdout.strip()).resolve()
    assert installed == ROOT / "derivations" / "__init__.py" or "site-packages" in installed.parts, installed


def test_numeric_import_loads_numpy_and_nothing_else():
    """The kernels are quick to import because they load NumPy and the standard library only:
    no SymPy, no matplotlib (the import is timed by ``make bench``, not here: a timed test fails
    on a busy machine)."""
    proc = run_python("import sys; before = {m.split('.')[0] for m in sys.modules}; "
                      "import derivations.numeric.activations; "
                      "print(*sorted({m.split('.')[0] for m in sys.modules} - before "
                      "- set(sys.stdlib_module_names)))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["derivations", "numpy"]


def test_every_public_function_is_annotated():
    """PEP 561 (py.typed) promises annotations: every public function of the checker, the book
    module and the kernels has them on each parameter and its return."""
    names = ["derivations.verify", "derivations.book", "derivations.provenance"] + [
        f"derivations.numeric.{m.name}" for m in pkgutil.iter_modules(derivations.numeric.__path__)
        if not m.name.startswith("_")]
    missing = []
    for name in names:
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != name:
                continue
            sig = inspect.signature(obj)
            bare = [p.name for p in sig.parameters.values()
                    if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.annotation is p.empty]
            if sig.return_annotation is sig.empty:
                bare.append("return")
            if bare:
                missing.append(f"{name}.{attr}: {', '.join(bare)}")
    assert not missing, "public functions without annotations:\n" + "\n".join(missing)


def test_pip_install_gives_an_importable_package(tmp_path):
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    # built from a copy: setuptools writes build/ and *.egg-info beside the sources it builds
    source = copy_project(tmp_path / "source")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheel_dir), str(source)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = wheel_dir.glob("backprop_derived-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "derivations/numeric/activations.py" in names
    assert "derivations/verify.py" in names and "derivations/__main__.py" in names
    assert not any(n.startswith(("tests/", "docs/")) for n in names)
    # PEP 561 marker, the license file, and the version from its one source (derivations.__version__)
    assert "derivations/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names
    assert wheel.name.startswith(f"backprop_derived-{derivations.__version__}-"), wheel.name
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(target), str(wheel)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    # from another directory, with only the installed copy on the path
    code = ("import derivations, derivations.numeric.activations as a; "
            "print(derivations.__file__); print(a.sigmoid(0.0))")
    proc = run_python(code, cwd=tmp_path, env={"PYTHONPATH": str(target), "PYTHONNOUSERSITE": "1"})
    assert proc.returncode == 0, proc.stderr
    file, value = proc.stdout.split()
    assert file.startswith(str(target)) and float(value) == 0.5


def test_readme_example_runs():
    readme = (ROOT / "README.md").read_text()
    code = readme.split("## Reusing a derivation from Python", 1)[1].split("```python\n", 1)[1]
    code = code.split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 24
    proc = run_python(code, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
