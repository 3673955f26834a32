"""``make bench``: the book build, the NumPy kernels, the imports and the test suite, timed.

Prints one table per part and writes everything to ``_build/bench.json``. Run on an idle
machine: every figure is a wall-clock time (the best of several runs where a run is short).

    python -m tests.benchmarks [--skip-tests] [--skip-book]
    python -m tests.benchmarks kernels     # the kernels alone (seconds): -> _build/bench-kernels.json
    python -m tests.benchmarks passes      # the passes table alone, in this process, as JSON

The passes table measures the normalization and loss kernels, forward and backward with their
input checks, in passes: one pass is the time of ``np.add(x, 1.0, out=y)`` over a float64 array
of the input's size. ``kernels`` (and ``make bench``) measure it in a child process with one
BLAS thread: OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS = 1 in its environment
before NumPy is imported (threadpoolctl is not a dependency); NumPy's elementwise loops and
reductions are single-threaded anyway.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .conftest import BIN, ROOT, copy_project, executed, make_html, tree_digest

TOPIC_MODULES = ["activations", "hadamard", "backprop", "losses", "gradient_descent", "vanishing_exploding",
                 "initialization", "normalization", "rnn", "clipping", "lstm", "gru"]
TARGETS = {"clean_over_floor": 1.3, "clean_s": 60.0, "warm_html_s": 3.0, "no_change_s": 2.0, "text_edit_s": 4.0,
           "module_edit_over_floor_s": 2.0, "backward_over_forward": 3.0, "ours_over_autograd": 5.0,
           "numeric_import_s": 0.3, "package_import_s": 1.5}


def best(fn, repeat=5, number=1) -> float:
    """The best of ``repeat`` timings of ``number`` calls, per call (seconds)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def table(rows, header) -> str:
    rows = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ------------------------------------------------------------------ kernels

def matmul_gflops(n=1024) -> float:
    a, b = np.random.default_rng(0).standard_normal((2, n, n))
    return 2 * n**3 / best(lambda: a @ b, repeat=5) / 1e9


def kernels() -> list[dict]:
    import autograd.numpy as anp
    from autograd import grad

    from derivations.numeric import backprop, lstm, normalization, rnn

    rng = np.random.default_rng(0)
    out = []

    # two-layer network, N = 256, 784-256-10, sigmoid, squared error
    N, D, H, K = 256, 784, 256, 10
    p = backprop.two_layer_init(D, H, K, rng)
    X, Y = rng.standard_normal((N, D)), rng.standard_normal((N, K))
    fwd = best(lambda: backprop.two_layer_forward(p, X, "sigmoid"))
    both = best(lambda: backprop.two_layer_loss_and_grads(p, X, Y, "sigmoid"))

    def ag_loss(q):
        h = 1 / (1 + anp.exp(-(anp.dot(X, q["W1"].T) + q["b1"])))
        return 0.5 * anp.sum((anp.dot(h, q["W2"].T) + q["b2"] - Y) ** 2) / N
    ag = best(lambda: grad(ag_loss)(p), repeat=3)
    mm = 2 * N * (D * H + H * K)
    # backward: dH and dW2 (2 N H K each) and dW1 (2 N D H); the input gradient is not computed
    out.append(dict(kernel="two-layer 256x784-256-10", forward_s=fwd, backward_s=both - fwd, ours_fwd_bwd_s=both,
                    autograd_fwd_bwd_s=ag, flops_fwd=mm, flops_bwd=2 * N * (2 * H * K + D * H)))

    # batch norm, N = 256, D = 1024
    x, gamma, beta = rng.standard_normal((256, 1024)), rng.standard_normal(1024), rng.standard_normal(1024)
    dout = rng.standard_normal(x.shape)
    y, cache = normalization.batchnorm_forward(x, gamma, beta)
    fwd = best(lambda: normalization.batchnorm_forward(x, gamma, beta), number=5)
    bwd = best(lambda: normalization.batchnorm_backward(dout, cache), number=5)

    def ag_bn(v):
        mu = anp.mean(v, axis=0)
        var = anp.mean((v - mu) ** 2, axis=0)
        return anp.sum(dout * (gamma * (v - mu) / anp.sqrt(var + 1e-5) + beta))
    ag = best(lambda: grad(ag_bn)(x), repeat=3)
    out.append(dict(kernel="batchnorm 256x1024", forward_s=fwd, backward_s=bwd, ours_fwd_bwd_s=fwd + bwd,
                    autograd_fwd_bwd_s=ag, flops_fwd=8 * x.size, flops_bwd=12 * x.size))

    # RNN and LSTM, T = 100, N = 32, D = 64, H = 128
    T, N, D, H = 100, 32, 64, 128
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    W_hx, W_hh, b_h = rng.standard_normal((H, D)) / 8, rng.standard_normal((H, H)) / 12, np.zeros(H)
    dh = rng.standard_normal((T, N, H))
    h, cache = rnn.rnn_forward(x, h0, W_hx, W_hh, b_h)
    fwd = best(lambda: rnn.rnn_forward(x, h0, W_hx, W_hh, b_h), repeat=3)
    bwd = best(lambda: rnn.rnn_backward(dh, cache), repeat=3)

    def ag_rnn(Wx, Wh):
        hs, prev = [], h0
        for t in range(T):
            prev = anp.tanh(anp.dot(x[t], Wx.T) + anp.dot(prev, Wh.T) + b_h)
            hs.append(prev)
        return anp.sum(dh * anp.stack(hs))
    ag = best(lambda: grad(ag_rnn, (0, 1))(W_hx, W_hh), repeat=2)
    mm = 2 * T * N * (D * H + H * H)
    out.append(dict(kernel="RNN T100 N32 D64 H128", forward_s=fwd, backward_s=bwd, ours_fwd_bwd_s=fwd + bwd,
                    autograd_fwd_bwd_s=ag, flops_fwd=mm, flops_bwd=2 * mm))

    c0 = rng.standard_normal((N, H))
    W_ih, W_hh4, b = rng.standard_normal((4 * H, D)) / 8, rng.standard_normal((4 * H, H)) / 12, np.zeros(4 * H)
    h, cache = lstm.lstm_forward(x, h0, c0, W_ih, W_hh4, b)
    fwd = best(lambda: lstm.lstm_forward(x, h0, c0, W_ih, W_hh4, b), repeat=3)
    bwd = best(lambda: lstm.lstm_backward(dh, cache), repeat=3)

    def ag_lstm(Wi, Wh):
        sig = lambda z: 1 / (1 + anp.exp(-z))  # noqa: E731
        hh, cc, hs = h0, c0, []
        for t in range(T):
            a = anp.dot(x[t], Wi.T) + anp.dot(hh, Wh.T) + b
            i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), anp.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
            cc = f * cc + i * g
            hh = o * anp.tanh(cc)
            hs.append(hh)
        return anp.sum(dh * anp.stack(hs))
    ag = best(lambda: grad(ag_lstm, (0, 1))(W_ih, W_hh4), repeat=2)
    mm = 2 * T * N * 4 * H * (D + H)
    out.append(dict(kernel="LSTM T100 N32 D64 H128", forward_s=fwd, backward_s=bwd, ours_fwd_bwd_s=fwd + bwd,
                    autograd_fwd_bwd_s=ag, flops_fwd=mm, flops_bwd=2 * mm))
    for r in out:
        r["backward_over_forward"] = r["backward_s"] / r["forward_s"]
        r["autograd_over_ours"] = r["autograd_fwd_bwd_s"] / r["ours_fwd_bwd_s"]
        r["gflops_fwd"] = r["flops_fwd"] / r["forward_s"] / 1e9
        r["gflops_bwd"] = r["flops_bwd"] / r["backward_s"] / 1e9
    return out


# ------------------------------------------------------------------ passes

#: (kernel, shape) for the passes table, and the most passes a forward and backward may take.
PASS_CASES = [("batchnorm", (256, 1024)), ("batchnorm", (4096, 256)), ("layernorm", (256, 1024)),
              ("layernorm", (4096, 256)), ("softmax cross-entropy", (4096, 1000))]
PASS_TARGET = 15
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def passes(repeat: int = 60) -> list[dict]:
    """Each kernel's forward and backward, input checks included, timed against a pass (see the
    module docstring), in this process. The two are timed in turn, one call at a time, ``repeat``
    times: the ratio of the best of each (the figure the target is for), and the median of the
    ratios of each turn (less moved by one lucky pass; on a loaded machine the two differ)."""
    from derivations.numeric import losses, normalization

    # glibc's malloc gives the memory of freed arrays back to the system, and faults it in again
    # page by page (about 3 passes per 2 MB array on the machine this was written on), until it
    # has freed one block as large as a step's arrays (up to 32 MB); a long-running training
    # process has, and so has this one from here on.
    warm = np.ones(33_000_000 // 8)
    del warm
    rng = np.random.default_rng(0)
    rows = []
    for kernel, shape in PASS_CASES:
        x = rng.standard_normal(shape)
        if kernel == "softmax cross-entropy":
            labels = rng.integers(0, shape[1], shape[0])

            def step():
                losses.softmax_cross_entropy(x, labels)
        else:
            forward = getattr(normalization, f"{kernel}_forward")
            backward = getattr(normalization, f"{kernel}_backward")
            gamma, beta, dout = rng.standard_normal(shape[1]), rng.standard_normal(shape[1]), rng.standard_normal(shape)

            def step():
                backward(dout, forward(x, gamma, beta)[1])
        y = np.empty_like(x)
        one_pass, steps = [], []
        for _ in range(repeat):
            one_pass.append(best(lambda: np.add(x, 1.0, out=y), repeat=1))
            steps.append(best(step, repeat=1))
        rows.append(dict(kernel=kernel, shape=list(shape), pass_s=min(one_pass), fwd_bwd_s=min(steps),
                         passes=min(steps) / min(one_pass),
                         median_passes=float(np.median(np.array(steps) / np.array(one_pass)))))
    return rows


def passes_in_one_thread() -> dict:
    """:func:`passes` in a child process with one BLAS thread, and how its threads were set."""
    proc = subprocess.run([sys.executable, "-m", "tests.benchmarks", "passes"], cwd=ROOT, capture_output=True,
                          text=True, check=True, env={**os.environ, **ONE_THREAD})
    return {"threads": " ".join(f"{k}=1" for k in ONE_THREAD) + " (environment, before NumPy is imported)",
            "rows": json.loads(proc.stdout)}


def passes_table(report: dict) -> str:
    return table([[r["kernel"], "x".join(map(str, r["shape"])), f"{r['pass_s'] * 1e3:.3f}",
                   f"{r['fwd_bwd_s'] * 1e3:.2f}", f"{r['passes']:.1f}", f"{r['median_passes']:.1f}", PASS_TARGET]
                  for r in report["rows"]],
                 ["kernel", "shape", "pass ms", "fwd+bwd ms", "passes", "median", "target"])


# ------------------------------------------------------------------ imports

def imports() -> list[dict]:
    rows = []
    for mod in [f"derivations.numeric.{m}" for m in TOPIC_MODULES] + ["derivations", "derivations.verify"]:
        code = ("import sys, time; t = time.perf_counter(); import " + mod +
                "; print(time.perf_counter() - t, 'sympy' in sys.modules)")
        runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                               check=True).stdout.split() for _ in range(3)]
        rows.append(dict(module=mod, seconds=min(float(r[0]) for r in runs), imports_sympy=runs[0][1] == "True"))
    return rows


# ------------------------------------------------------------------ the book

def kernel_start_seconds() -> float:
    from jupyter_client.manager import start_new_kernel

    # the kernel the pages run: the book's kernelspec, found first on JUPYTER_PATH as conf.py sets it
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(ROOT / "docs" / "_jupyter"), os.environ.get("JUPYTER_PATH", "")]).rstrip(os.pathsep)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        times.append(time.perf_counter() - t0)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return min(times)


def execution_seconds(cache: Path) -> dict[str, float]:
    db = sqlite3.connect(cache / "global.db")
    rows = db.execute("select uri, data from nbcache").fetchall()
    return {Path(uri).stem: json.loads(data)["execution_seconds"] for uri, data in rows}


def timed_build(root: Path):
    t0 = time.perf_counter()
    b = make_html(root)
    wall = time.perf_counter() - t0
    if b.returncode != 0:
        raise RuntimeError(b.log[-3000:])
    return wall, b


def book() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    root = copy_project(tmp / "book")
    out = root / "_build"
    res = {}
    # a fresh clone: nothing cached, every check and proof runs
    res["fresh_clone_s"], b = timed_build(root)
    first = tree_digest(out / "html")
    exe = execution_seconds(out / ".jupyter_cache")
    res["pages"] = len(exe)
    res["execution_s_by_page"] = dict(sorted(exe.items(), key=lambda kv: -kv[1]))
    res["kernel_start_s"] = kernel_start_seconds()
    res["floor_s"] = (sum(exe.values()) + len(exe) * res["kernel_start_s"]) / 2
    res["clean_over_floor"] = res["fresh_clone_s"] / res["floor_s"]
    # make clean && make html: every page executed again, the stored checks of unchanged
    # sources (.cache/checks) read instead of run
    shutil.rmtree(out)
    res["clean_s"], b = timed_build(root)
    res["no_change_s"], b = timed_build(root)
    shutil.rmtree(out / "html")  # the HTML goes, the parsed pages and the executions stay
    res["warm_html_s"], b = timed_build(root)
    shutil.rmtree(out / "html")
    shutil.rmtree(out / ".doctrees")  # every page read again, none executed
    res["reread_s"], b = timed_build(root)
    page = root / "docs" / "activations.md"
    page.write_text(page.read_text().replace("## The sigmoid\n", "## The sigmoid\n\nA sentence added by bench.\n"))
    res["text_edit_s"], b = timed_build(root)
    res["text_edit_executed"] = sorted(executed(b.log))
    module = root / "derivations" / "numeric" / "normalization.py"
    module.write_text(module.read_text() + "\n# an edit by bench\n")
    res["module_edit_s"], b = timed_build(root)
    again = sorted(executed(b.log))
    res["module_edit_executed"] = again
    exe2 = execution_seconds(out / ".jupyter_cache")
    dep_floor = (sum(exe2[p] for p in again) + len(again) * res["kernel_start_s"]) / 2 if again else 0.0
    res["module_edit_dependent_floor_s"] = dep_floor
    res["module_edit_over_floor_s"] = res["module_edit_s"] - dep_floor
    # reproducible: a clean build of a second copy, in another directory, gives the same files
    again = copy_project(tmp / "again")
    timed_build(again)
    second = tree_digest(again / "_build" / "html")
    res["clean_builds_differ"] = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    shutil.rmtree(tmp)
    return res


# ------------------------------------------------------------------ the tests

def test_suite() -> dict:
    """``make test`` as CI runs it (the Makefile's command), with its ten slowest tests."""
    env = {k: v for k, v in os.environ.items() if k != "MAKEFLAGS"}
    env["PYTEST_ADDOPTS"] = "--durations=10"
    t0 = time.perf_counter()
    proc = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "test", f"VENV={BIN.parent}"],
                          env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    slow = re.findall(r"^([\d.]+)s (call|setup|teardown)\s+(\S+)", proc.stdout, re.M)
    summary = [ln for ln in proc.stdout.splitlines() if re.search(r"\d+ passed", ln)]
    return {"make_test_s": wall, "returncode": proc.returncode, "summary": summary[-1] if summary else "",
            "slowest": [{"seconds": float(s), "phase": ph, "test": t} for s, ph, t in slow]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    ap.add_argument("part", nargs="?", choices=["all", "kernels", "passes"], default="all",
                    help="all (make bench), the kernels alone, or the passes table alone in this process (JSON)")
    ap.add_argument("--skip-book", action="store_true")
    ap.add_argument("--skip-tests", action="store_true")
    args = ap.parse_args(argv)
    if args.part == "passes":
        print(json.dumps(passes()))
        return 0
    report = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "numpy": np.__version__},
              "targets": TARGETS}
    report["matmul_gflops"] = matmul_gflops()
    report["kernels"] = kernels()
    print(f"NumPy matmul 1024x1024 float64: {report['matmul_gflops']:.1f} GFLOP/s\n")
    print(table([[k["kernel"], f"{k['forward_s'] * 1e3:.2f}", f"{k['backward_s'] * 1e3:.2f}",
                  f"{k['backward_over_forward']:.2f}", f"{k['autograd_over_ours']:.1f}",
                  f"{k['gflops_fwd']:.1f}", f"{k['gflops_bwd']:.1f}"] for k in report["kernels"]],
                ["kernel", "forward ms", "backward ms", "bwd/fwd", "autograd/ours", "GFLOP/s fwd", "GFLOP/s bwd"]))
    report["passes"] = passes_in_one_thread()
    print(f"\nForward and backward with input checks, in passes of np.add(x, 1.0, out=y), one call at a "
          f"time, 60 times each: passes = best / best, median = median of the 60 ratios. Single thread: "
          f"{report['passes']['threads']}\n")
    print(passes_table(report["passes"]))
    if args.part == "kernels":
        out = ROOT / "_build" / "bench-kernels.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, indent=2, default=str))
        print(f"\nwritten {out}")
        return 0
    report["imports"] = imports()
    print()
    print(table([[r["module"], f"{r['seconds']:.3f}", r["imports_sympy"]] for r in report["imports"]],
                ["import", "seconds", "imports sympy"]))
    if not args.skip_book:
        report["book"] = bk = book()
        print()
        print(table([[k, f"{bk[k]:.2f}" if isinstance(bk[k], float) else bk[k]]
                     for k in ("fresh_clone_s", "clean_s", "floor_s", "clean_over_floor", "kernel_start_s", "no_change_s", "warm_html_s",
                               "reread_s", "text_edit_s", "text_edit_executed", "module_edit_s", "module_edit_executed",
                               "module_edit_dependent_floor_s", "module_edit_over_floor_s", "clean_builds_differ")], ["book build", "value"]))
        print("slowest pages:", ", ".join(f"{p} {s:.1f}s" for p, s in list(bk["execution_s_by_page"].items())[:5]))
    if not args.skip_tests:
        report["tests"] = ts = test_suite()
        print(f"\nmake test: {ts['make_test_s']:.0f} s ({ts['summary']})")
        for s in ts["slowest"]:
            print(f"  {s['seconds']:7.2f} s  {s['phase']:8s} {s['test']}")
    out = ROOT / "_build" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
