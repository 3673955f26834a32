"""The exercise grader: every reference solution grades correct, every catalogued mistake gets its
own diagnosis, a random perturbation gets none, bad input gets a sentence (never a crash), the
reference solutions agree with the complex step, and the command line grades a file."""

import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from derivations import verify
from derivations.exercises import EXERCISES, Grade, grade
from derivations.exercises import backprop as ex_backprop
from derivations.exercises import normalization as ex_norm
from derivations.numeric import normalization as normalization_np

from .conftest import ROOT

IDS = sorted(EXERCISES)
MISTAKES = [(e, m.name) for e in IDS for m in EXERCISES[e].mistakes]


@pytest.mark.parametrize("eid", IDS)
def test_the_solution_grades_correct(eid):
    g = grade(eid, EXERCISES[eid].solution)
    assert isinstance(g, Grade) and g.correct, g


@pytest.mark.parametrize("eid,name", MISTAKES)
def test_each_mistake_gets_its_own_diagnosis(eid, name):
    mistake = next(m for m in EXERCISES[eid].mistakes if m.name == name)
    g = grade(eid, mistake.answer)
    assert not g.correct and g.diagnosis == mistake.diagnosis and mistake.section in g.detail, g


def test_the_diagnoses_differ_within_an_exercise():
    for e in EXERCISES.values():
        assert len({m.diagnosis for m in e.mistakes}) == len(e.mistakes), e.id


@pytest.mark.parametrize("eid", IDS)
def test_a_random_perturbation_is_incorrect_with_no_diagnosis(eid):
    e = EXERCISES[eid]
    if e.kind == "symbolic":
        first = next(iter(e.symbols.values()))
        answer = e.solution * (1 + sp.Rational(1, 1000) * sp.sin(first))
    elif e.kind == "number":
        answer = float(e.solution) + 1 if e.whole else float(e.solution) * (1 + 10 * e.tolerance + 1e-3)
    else:
        rng = np.random.default_rng(7)

        def answer(*args):
            out = np.asarray(e.solution(*args), dtype=float)
            return out * (1 + 1e-3 * rng.standard_normal(out.shape))
    g = grade(eid, answer)
    assert not g.correct and g.diagnosis == "not one of the catalogued mistakes", g


def test_an_answer_right_at_one_size_only_fails():
    first = {}

    def memorized(X, Y, W1, b1, W2, b2):   # right at the first size it sees, zeros elsewhere
        first.setdefault("shape", X.shape)
        return ex_backprop.dW1(X, Y, W1, b1, W2, b2) if X.shape == first["shape"] else np.zeros(W1.shape)
    assert not grade("backprop.dW1", memorized).correct


@pytest.mark.parametrize("answer,says", [
    (3, "must be a function"),
    (lambda X: X, "must take 6 arguments"),
    (lambda X, Y, W1, b1, W2, b2: 1 / 0, "raised ZeroDivisionError"),
    (lambda X, Y, W1, b1, W2, b2: np.full(W1.shape, np.nan), "NaN or inf"),
    (lambda X, Y, W1, b1, W2, b2: np.zeros((2, 2, 2)), "returned shape (2, 2, 2)"),
    (lambda X, Y, W1, b1, W2, b2: "text", "not an array of numbers"),
])
def test_bad_numeric_answers_get_a_sentence(answer, says):
    g = grade("backprop.dW1", answer)
    assert not g.correct and says in g.diagnosis, g


def test_the_readers_traceback_is_shown_without_the_graders_frame():
    def mine(X, Y, W1, b1, W2, b2):
        return helper_that_fails()

    def helper_that_fails():
        raise RuntimeError("boom")
    g = grade("backprop.dW1", mine)
    assert "helper_that_fails" in g.detail and "RuntimeError: boom" in g.detail
    assert "_call" not in g.detail


@pytest.mark.parametrize("answer,says", [
    ("exp(-z)/(1 + exp(-z)", "cannot parse"),
    ("exp(-y)", "uses y"),
    (3.5, "must be a SymPy expression or a string"),
])
def test_bad_symbolic_answers_get_a_sentence(answer, says):
    g = grade("activations.sigmoid_prime", answer)
    assert not g.correct and says in g.diagnosis, g


def test_an_unknown_exercise_is_a_grade_too():
    g = grade("nowhere.x", lambda: 0)
    assert not g.correct and "no exercise 'nowhere.x'" in g.diagnosis


def test_the_symbolic_solution_in_another_form_is_correct():
    z = EXERCISES["activations.sigmoid_prime"].symbols["z"]
    s = 1 / (1 + sp.exp(-z))
    assert grade("activations.sigmoid_prime", s * (1 - s)).correct
    assert grade("activations.sigmoid_prime", "exp(-z)/(1 + exp(-z))**2").correct


def test_the_batchnorm_solution_agrees_with_the_kernel():
    rng = np.random.default_rng(4)
    dout, x, gamma = ex_norm._inputs(rng, (6, 3))
    _, cache = normalization_np.batchnorm_forward(x, gamma, np.zeros(3), eps=ex_norm.EPS)
    want, _, _ = normalization_np.batchnorm_backward(dout, cache)
    assert np.max(np.abs(ex_norm.dx(dout, x, gamma) - want)) <= 1e-12 * np.max(np.abs(want))


def _run_grade(*args):
    return subprocess.run([sys.executable, "-m", "derivations", "grade", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_command_line_grades_a_file(tmp_path):
    right, wrong = tmp_path / "right.py", tmp_path / "wrong.py"
    body = ("import numpy as np\n\ndef dX(X, Y, W1, b1, W2, b2):\n    H = np.tanh(X @ W1.T + b1)\n"
            "    D2 = (H @ W2.T + b2 - Y){scale}\n    return ((D2 @ W2) * (1 - H ** 2)) @ W1\n")
    right.write_text(body.format(scale=" / len(X)"))
    wrong.write_text(body.format(scale=""))
    ok = _run_grade("backprop.dX", str(right))
    assert ok.returncode == 0 and ok.stdout.startswith("correct"), ok.stdout + ok.stderr
    bad = _run_grade("backprop.dX", str(wrong))
    assert bad.returncode == 1 and "1/N of the mean loss is missing" in bad.stdout, bad.stdout + bad.stderr
    broken = tmp_path / "broken.py"
    broken.write_text("def dX(:\n")
    crash = _run_grade("backprop.dX", str(broken))
    assert crash.returncode == 2 and "could not be run" in crash.stderr
    unknown = _run_grade("nowhere.x", str(right))
    assert unknown.returncode == 2 and "unknown exercise" in unknown.stderr


def test_the_index_lists_every_exercise_once():
    from derivations import exercises
    import re
    index = exercises.exhibits()["exercise_index"].text
    assert re.findall(r"; `([\w.]+)`\)$", index, re.M) == list(EXERCISES)
    assert exercises.exhibits()["n_exercises"] == str(len(EXERCISES))


def test_the_pages_example_answer_is_diagnosed():
    from derivations.exercises.examples import dX_forgot_1_over_N
    g = grade("backprop.dX", dX_forgot_1_over_N)
    assert not g.correct and "1/N of the mean loss is missing" in g.diagnosis


def test_no_two_dimensions_of_a_size_are_equal():
    """The exercises page says so: a transposed rectangular answer has the wrong shape."""
    for e in EXERCISES.values():
        for size in e.sizes:
            assert len(set(size)) == len(size), (e.id, size)


def _run_cells(cells, replace=None):
    """Executes a notebook's code cells in one namespace (``replace``: cell index -> source),
    returning what they printed."""
    import contextlib
    import io
    namespace, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        for k, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                exec((replace or {}).get(k, "".join(cell["source"])), namespace)
    return out.getvalue()


@pytest.mark.parametrize("chapter", sorted({e.chapter for e in EXERCISES.values()}))
def test_each_chapter_notebook_is_valid_and_grades(chapter):
    import nbformat
    from derivations.exercises import notebooks
    text = notebooks.notebook_json(chapter)
    nbformat.validate(nbformat.reads(text, as_version=4))
    cells = nbformat.reads(text, as_version=4)["cells"]
    exercises = [e for e in EXERCISES.values() if e.chapter == chapter]
    # as downloaded: every stub grades incorrect, with a sentence (the grader does not raise)
    printed = _run_cells(cells)
    assert printed.count("incorrect: ") == len(exercises), printed
    # with each stub replaced by the reference solution: every grade is correct
    stubs = [k for k, c in enumerate(cells) if c["cell_type"] == "code" and "grade(" not in "".join(c["source"])]
    replace = {}
    for k, e in zip(stubs, exercises):
        if e.kind == "symbolic":
            replace[k] = f"answer = {str(e.solution)!r}"
        elif e.kind == "number":
            replace[k] = f"answer = {float(e.solution)!r}"
        else:
            name = e.signature.split("(")[0]
            replace[k] = f"from derivations.exercises.{chapter} import {e.solution.__name__} as {name}"
    printed = _run_cells(cells, replace)
    assert printed.count("correct: ") == len(exercises) and "incorrect" not in printed, printed


def test_a_chapter_without_exercises_has_no_notebook():
    from derivations.exercises import notebooks
    with pytest.raises(ValueError, match="no graded exercise in chapter 'nowhere'"):
        notebooks.notebook("nowhere")


def test_the_clipping_exercise_tries_both_branches_and_matches_the_kernel():
    from derivations.exercises import clipping as ex_clip
    from derivations.exercises import _cases
    from derivations.numeric import clipping as clipping_np
    cases = [args for _, args in _cases(EXERCISES["clipping.clip_norm"])]
    above = [c < np.linalg.norm(g) for g, c in cases]
    assert any(above) and not all(above)
    for g, c in cases:
        clipped, _ = clipping_np.clip_grad_norm({"g": g}, c)
        assert np.allclose(ex_clip.clip(g, c), clipped["g"], rtol=1e-5)


def test_each_chapter_page_shows_its_exercises():
    for chapter in {e.chapter for e in EXERCISES.values()}:
        page = (ROOT / "docs" / f"{chapter}.md").read_text(encoding="utf-8")
        assert f'glue_all(chapter_exhibits("{chapter}"))' in page and "{glue:md} chapter_exercises" in page, chapter


@pytest.mark.parametrize("eid", IDS)
def test_each_solution_passes_its_witness_and_each_mistake_fails_it(eid):
    """witnessed() is what the chapter pages run: the solution passes an independent computation,
    every mistake fails it and is diagnosed as itself."""
    from derivations.exercises import witnessed
    assert witnessed(EXERCISES[eid]) == []


def test_a_wrong_solution_fails_the_chapter_page():
    """Principle 4: break a reference solution and the page's exhibit raises."""
    import dataclasses
    from derivations import exercises
    e = EXERCISES["backprop.dX"]
    broken = dataclasses.replace(e, solution=lambda *a: 2 * e.solution(*a))
    saved = exercises.EXERCISES[e.id]
    exercises.EXERCISES[e.id] = broken
    try:
        with pytest.raises(RuntimeError, match="backprop.dX: the reference solution fails its witness"):
            exercises.chapter_exhibits("backprop")
    finally:
        exercises.EXERCISES[e.id] = saved


@pytest.mark.parametrize("answer,correct,says", [
    (0.25 ** 10, True, "equals the solution"),
    ("1/4**10", True, "equals the solution"),
    ("2**-20 * (1 + 1e-4)", True, "equals the solution"),
    (0.25 ** 9, False, "one factor short"),
    (0.5 ** 10, False, "not one of the catalogued mistakes"),
    ("x/4", False, "must be a number; it uses x"),
    ("sqrt(-1)", False, "is not a real number"),
    ([1.0], False, "must be a number"),
    (True, False, "must be a number"),
    (float("nan"), False, "NaN or inf"),
])
def test_a_number_exercise_grades_to_its_tolerance(monkeypatch, answer, correct, says):
    from derivations import exercises
    from derivations.exercises import Exercise, Mistake
    e = Exercise(id="test.number", chapter="test", title="t", statement="s", hint="h", signature="a number",
                 solution=0.25 ** 10, kind="number", tolerance=1e-3,
                 mistakes=(Mistake("short", "one factor short", "x.html#y", 0.25 ** 9),))
    monkeypatch.setitem(exercises.EXERCISES, e.id, e)
    g = grade(e.id, answer)
    assert g.correct == correct and says in g.diagnosis, g


NUMBER_IDS = [e for e in IDS if EXERCISES[e].kind == "number"]


@pytest.mark.parametrize("eid", NUMBER_IDS)
def test_a_number_exercise_takes_five_significant_figures(eid):
    """A reader who computes by hand and gives five significant figures grades correct, however
    the rounding falls (half a unit of the fifth figure either side): the tolerance is 1e-4, every
    catalogued mistake outside it."""
    e = EXERCISES[eid]
    if e.whole:     # a count: exactly, and a value on the way to it (before rounding up) is not one
        want = float(e.solution)
        assert want.is_integer() and grade(eid, int(want)).correct
        assert "not one" in grade(eid, want + 0.25).diagnosis and not grade(eid, want + 1).correct
        assert all(float(m.answer) != want for m in e.mistakes)
        return
    assert e.tolerance == 1e-4, eid
    want = float(e.solution)
    half_unit = 0.5 * 10.0 ** (np.floor(np.log10(abs(want))) - 4)
    for answer in (float(f"{want:.5g}"), want - half_unit, want + half_unit):
        assert grade(eid, answer).correct, (eid, answer)
    for m in e.mistakes:
        assert abs(float(m.answer) - want) > e.tolerance * abs(want), (eid, m.name)


def test_the_redone_worked_example_needs_the_factor_x2():
    """x_2 != 1, so dL/dW1 entry (1, 2) is not (dL/db1)_1, and the first unit is on."""
    from derivations.exercises import computational_graph as ex_graph
    assert ex_graph.X_REDONE[1][0] != 1 and ex_graph.REDONE["z1"][0, 0] > 0
    assert not grade("computational_graph.worked_redone", float(ex_graph.REDONE["db1"][0, 0])).correct


def test_the_lstm_layout_mistake_names_what_it_is():
    """Keras's LSTM stacks i, f, c, o like PyTorch: the swapped-blocks mistake does not name Keras."""
    for eid in ("lstm_gru.lstm_step", "lstm_gru.dc_prev", "lstm_gru.dW_hh"):
        for m in EXERCISES[eid].mistakes:
            assert "Keras" not in m.name and "Keras" not in m.diagnosis, (eid, m.name)


# backprop
def test_the_backward_cost_in_the_chapters_form_grades_correct():
    """The chapter states the count as B = 2F - n0 n1: that form is proved equal to the solution."""
    assert grade("backprop.backward_cost", "2*(n0*n1 + n1*n2 + n2*n3) - n0*n1").correct


# losses
def test_the_overflow_exercise_is_where_exp_overflows_float64():
    from derivations.symbolic import losses as losses_sym
    assert abs(EXERCISES["losses.naive_overflow"].solution / losses_sym.EXP_OVERFLOW - 1) < 1e-12


# gradient_descent
def test_the_best_step_witness_finds_the_chapters_step_on_its_matrix():
    """The witnesses' numeric search over the step, run on the eigenvalues of the chapter's 5 x 5
    matrix, finds the page's best step 2/(lambda_max + lambda_min) and its factor."""
    from derivations.exercises import gradient_descent as ex_gd
    from derivations.symbolic import gradient_descent as gd_sym
    S = gd_sym.spd_problem()
    best, radius = ex_gd._best_radius(S["lam"])
    assert abs(best / S["best"] - 1) < 1e-7
    assert abs(radius / gd_sym.iteration_radius(S["A"], S["best"]) - 1) < 1e-9


# vanishing_exploding
def test_the_stack_solution_agrees_with_stack_backward():
    from derivations.exercises import vanishing_exploding as ex_ve
    from derivations.numeric import vanishing_exploding as ve_np
    rng = np.random.default_rng(5)
    dh3, h0, *Ws = ex_ve._inputs(rng, (4, 3))
    _, cache = ve_np.stack_forward(h0, Ws, "tanh")
    want = ve_np.stack_backward(dh3, cache)[0]
    assert np.max(np.abs(ex_ve.dh0(dh3, h0, *Ws) - want)) <= 1e-12 * np.max(np.abs(want))


# initialization
def test_the_relu_xavier_recursion_halves_the_mean_square_at_every_layer():
    """The recursion the number exercise takes its solution from is exact for ReLU: (1/2)^d."""
    e = EXERCISES["initialization.relu_xavier_depth"]
    from derivations.exercises import initialization as ex_init
    assert abs(e.solution - 0.5 ** ex_init.DEPTH) <= 1e-12 * 0.5 ** ex_init.DEPTH


# normalization
def test_the_layernorm_solution_agrees_with_the_kernel():
    rng = np.random.default_rng(6)
    dout, x, gamma = ex_norm._inputs(rng, (5, 4))
    _, cache = normalization_np.layernorm_forward(x, gamma, np.zeros(4), eps=ex_norm.EPS)
    want, _, _ = normalization_np.layernorm_backward(dout, cache)
    assert np.max(np.abs(ex_norm.layernorm_dx(dout, x, gamma) - want)) <= 1e-12 * np.max(np.abs(want))


def test_the_dgamma_and_inference_solutions_agree_with_the_kernel():
    rng = np.random.default_rng(7)
    dout, x, gamma, m_r, v_r = ex_norm._eval_inputs(rng, (5, 3))
    _, cache = normalization_np.batchnorm_forward(x, gamma, np.zeros(3), eps=ex_norm.EPS)
    _, dgamma, _ = normalization_np.batchnorm_backward(dout, cache)
    assert np.max(np.abs(ex_norm.dgamma(dout, x) - dgamma)) <= 1e-12 * np.max(np.abs(dgamma))
    running = normalization_np.RunningStats(m_r, v_r)
    _, cache, _ = normalization_np.batchnorm_forward(x, gamma, np.zeros(3), eps=ex_norm.EPS,
                                                     running=running, training=False)
    want, _, _ = normalization_np.batchnorm_backward(dout, cache)
    assert np.max(np.abs(ex_norm.inference_dx(dout, x, gamma, m_r, v_r) - want)) <= 1e-12 * np.max(np.abs(want))


# residual
def test_the_relu_residual_exercise_has_units_on_and_off_at_every_input():
    """ReLU' matters only if some units are off: at every graded input Z has both signs."""
    from derivations.exercises import _cases
    for _, (G, X, W, b) in _cases(EXERCISES["residual.dW"]):
        Z = X @ W.T + b
        assert (Z > 0).any() and (Z < 0).any()


def test_the_residual_dx_solution_agrees_with_the_stack_kernel():
    """One residual tanh layer of the package's stack_backward gives the same dL/dX."""
    from derivations.exercises import _cases
    from derivations.exercises import residual as ex_res
    from derivations.numeric import vanishing_exploding as ve_np
    for _, (G, X, W) in _cases(EXERCISES["residual.dx"]):
        _, cache = ve_np.stack_forward(X, [W], "tanh", residual=True)
        want = ve_np.stack_backward(G, cache)[0]
        assert np.max(np.abs(ex_res.dx(G, X, W) - want)) <= 1e-12 * np.max(np.abs(want))


# computational_graph
def test_the_relu_network_exercise_has_units_on_and_off_in_both_hidden_layers():
    from derivations.exercises import _cases
    for _, (dY, X, W1, b1, W2, b2, W3, b3) in _cases(EXERCISES["computational_graph.mlp_dW2"]):
        Z1 = X @ W1.T + b1
        Z2 = np.maximum(Z1, 0) @ W2.T + b2
        Z3 = np.maximum(Z2, 0) @ W3.T + b3
        for Z in (Z1, Z2, Z3):      # Z3 < 0 somewhere: ReLU' at the output would change the answer
            assert (Z > 0).any() and (Z < 0).any()


def test_the_worked_example_redone_switches_the_first_unit_on():
    """The page's worked example has the first unit off; at the exercise's x both are on, and
    the default worked numbers are unchanged by the exercise's keyword."""
    from derivations.exercises import computational_graph as ex_cg
    from derivations.symbolic import computational_graph as cg
    assert cg.worked_numbers()["z1"][0, 0] < 0 < cg.worked_numbers(x=ex_cg.X_REDONE)["z1"][0, 0]
    assert cg.worked_numbers()["dW1"][0, 1] == 0 != ex_cg.REDONE["dW1"][0, 1]


# bptt

def test_the_window_exercise_truncates_at_every_size():
    """k + 1 < T at every size: the window one step too long is not yet full BPTT."""
    from derivations.exercises import bptt as ex_bptt
    assert all(1 < k < T - 1 for T, _, _, _, k in ex_bptt.WINDOW_SIZES)


# clipping

def test_the_global_clipping_exercise_tries_both_branches():
    from derivations.exercises import _cases
    cases = [args for _, args in _cases(EXERCISES["clipping.global_norm"])]
    above = [c < np.sqrt(np.sum(dW ** 2) + np.sum(db ** 2)) for dW, db, c in cases]
    assert any(above) and not all(above)


# lstm_gru

def test_the_lstm_gru_mistakes_are_one_slip_each():
    """Each mistake's function, with no slip asked for, is the solution (or the kernel)."""
    from derivations.exercises import lstm_gru as ex
    rng = np.random.default_rng(3)
    step = ex._step_inputs(rng, (2, 3, 4))
    assert np.allclose(ex._step_variant(*step), ex.lstm_step(*step), rtol=1e-13, atol=0)
    one = ex._one_step_inputs(rng, (2, 3, 4))
    assert np.allclose(ex._dc_prev_variant(*one), ex.dc_prev(*one), rtol=1e-13, atol=0)
    seq = ex._sequence_inputs(rng, (4, 2, 3, 5))
    assert np.allclose(ex._dW_hh_variant(*seq), ex.dW_hh(*seq), rtol=1e-12, atol=1e-15)
    gru = ex._gru_inputs(rng, (4, 2, 3, 5))
    assert np.allclose(ex._gru_direct(*gru, direct="next"), ex.gru_dh0(*gru), rtol=1e-12, atol=1e-15)


def test_the_forget_bias_gradient_grows_with_the_bias():
    """The exercise asks for the bias in [0, 3] where the norm equals 1e-3 and says the norm grows
    with the bias there: on a grid of [0, 3] it does, so it crosses 1e-3 once."""
    from derivations.exercises import lstm_gru as ex
    grid = np.linspace(0.0, 3.0, 13)
    norms = np.array([ex._lag_norm(b) for b in grid])
    assert np.all(np.diff(norms) > 0)
    assert ex._lag_norm(EXERCISES["lstm_gru.forget_bias"].solution) == pytest.approx(ex.BIAS_TARGET, rel=1e-8)


# verification

def test_the_bn_check_sees_right_and_wrong_candidates_as_its_statement_promises():
    """Every grading run hands the checker the right backward pass and wrong ones (both verdicts
    occur), each wrong one off by more than 5 % of its largest entry for a random upstream
    gradient, the right one equal to the kernel; and the all-ones checker's blind spot is in the
    graded cases: the candidate without the variance path returns 0 for an upstream gradient of ones."""
    from derivations.exercises import _cases
    from derivations.exercises import verification as ex_ver
    verdicts = []
    for _, (backward, x, gamma) in _cases(EXERCISES["verification.bn_check"]):
        dout = np.random.default_rng(12345).standard_normal(x.shape)
        right = ex_ver._right(dout, x, gamma)
        off = np.max(np.abs(backward(dout, x, gamma) - right)) / np.max(np.abs(right))
        verdicts.append(ex_ver.right_by_check_vjp(backward, x, gamma))
        assert (off <= 1e-12) if backward is ex_ver._right else (off > 0.05), (backward.__name__, off)
        assert np.max(np.abs(ex_norm.dx(dout, x, gamma) - right)) <= 1e-12 * np.max(np.abs(right))
        if backward is ex_ver._no_variance_path:
            assert np.max(np.abs(backward(np.ones_like(x), x, gamma))) < 1e-13
    assert any(verdicts) and not all(verdicts)


# hadamard

def test_the_hadamard_solutions_agree_with_elementwise_backward():
    from derivations.exercises import hadamard as ex_had
    from derivations.numeric.activations import sigmoid, sigmoid_grad, tanh_grad
    from derivations.numeric.hadamard import elementwise_backward
    rng = np.random.default_rng(2)
    dh, z, c = rng.standard_normal((3, 4)), 2 * rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    two = elementwise_backward(elementwise_backward(dh, sigmoid(z), tanh_grad), z, sigmoid_grad)
    assert np.allclose(ex_had.dz_chain(dh, z), two, rtol=1e-12, atol=0)
    assert np.allclose(ex_had.ds(dh, z, c), elementwise_backward(dh * c, z, sigmoid_grad), rtol=1e-12, atol=0)


def test_every_chapter_has_three_to_six_graded_exercises():
    from collections import Counter
    from derivations.exercises import CHAPTERS
    per_chapter = Counter(e.chapter for e in EXERCISES.values())
    assert set(per_chapter) == set(CHAPTERS) and all(3 <= per_chapter[c] <= 6 for c in CHAPTERS), per_chapter
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    chapters = index.split(":caption: Chapters", 1)[1].split("```", 1)[0].splitlines()
    chapters = [line for line in chapters if line.strip() and not line.startswith(":")]
    assert chapters == list(CHAPTERS)


def test_a_chapter_page_imports_only_its_own_exercises():
    """A chapter's page (chapter_exhibits) and the command line import one chapter's module, not
    every chapter's: the others' number solutions and symbolic modules cost seconds."""
    code = ("import sys\nfrom derivations import exercises\nexercises.chapter_exhibits('backprop')\n"
            "exercises.grade('backprop.dX', exercises.find('backprop.dX').solution)\n"
            "print(sorted(m for m in sys.modules if m.startswith('derivations.exercises.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "['derivations.exercises.backprop', 'derivations.exercises.notebooks']", out


@pytest.mark.parametrize("eid,answer", [
    ("activations.sigmoid_prime", "1/(4*cosh(z/2)**2)"),          # proved once rewritten in exponentials
    ("activations.softplus_prime", "(tanh(z/2) + 1)/2"),
    ("initialization.xavier_uniform_bound", "(6/(n_in + n_out))**0.5"),   # decimals as fractions
    ("vanishing_exploding.sigmoid_bound", "(0.25*r)**d"),
    ("residual.estimate_limit", "exp(0.5*a)"),
    ("gradient_descent.best_step", "2/(lambda_min + lambda_max)"),   # lambda read as SymPy's lamda
    ("residual.product_terms", "Sum(binomial(d, k), (k, 0, d))"),      # an unevaluated sum, evaluated
])
def test_a_right_answer_in_another_form_is_correct(eid, answer):
    g = grade(eid, answer)
    assert g.correct and "proved" in g.diagnosis, g


def test_an_identity_sympy_cannot_prove_is_graded_at_random_points(monkeypatch):
    """When no proof succeeds, the difference at random points decides, and the grade says so;
    a wrong answer is still wrong."""
    from derivations import verify as verify_module
    from derivations.verify import Check
    monkeypatch.setattr(verify_module, "symbolic_identity",
                        lambda topic, name, a, b: Check(topic, name, "symbolic", np.inf, 0.0, False, "undecided"))
    right = grade("activations.sigmoid_prime", "exp(-z)/(1 + exp(-z))**2")
    assert right.correct and "random points" in right.diagnosis, right
    assert not grade("activations.sigmoid_prime", "exp(-z)/(1 + exp(-z))").correct
    # relative to the answer's size, to 40 digits: a term 1e-35 of it is caught
    assert not grade("activations.sigmoid_prime", "exp(-z)/(1 + exp(-z))**2 * (1 + 10**-35)").correct


def test_a_symbolic_answer_sympy_cannot_decide_in_time_gets_a_sentence(monkeypatch):
    from derivations import exercises
    monkeypatch.setattr(exercises, "TIME_LIMIT", 0.01)
    monkeypatch.setattr(exercises, "_decide_symbolic", lambda e, expr: __import__("time").sleep(5))
    g = grade("activations.sigmoid_prime", "exp(-z)")
    assert not g.correct and "could not decide within" in g.diagnosis, g


def test_numbers_are_printed_as_powers_of_ten():
    from derivations.exercises import number_tex
    assert [number_tex(x) for x in (1e-30, 2 ** -20, 709.782712893384, 1e-4)] == [
        "10^{-30}", r"9.536743164 \times 10^{-7}", "709.7827129", "10^{-4}"]


@pytest.mark.parametrize("eid", [e for e in IDS if EXERCISES[e].kind == "numeric"])
def test_the_solution_shown_runs_as_it_is_and_is_the_solution(eid):
    """The Solution box's code (the function with the imports, constants and helpers it uses)
    defines the function, which equals the reference solution."""
    from derivations.exercises import _cases, _source_with_helpers
    e = EXERCISES[eid]
    namespace = {}
    exec(_source_with_helpers(e.solution), namespace)
    _, args = next(_cases(e))
    assert np.array_equal(np.asarray(namespace[e.solution.__name__](*args)), np.asarray(e.solution(*args)))


def test_a_derivatives_prime_is_printed_as_a_prime_not_an_apostrophe():
    from derivations.exercises import _page_text
    assert _page_text("f' at H, sigma''(z), (log u)' = u'/u; the layer's ReLU's") == \
        "f\u2032 at H, sigma\u2032\u2032(z), (log u)\u2032 = u\u2032/u; the layer's ReLU's"


def test_a_topics_stored_checks_do_not_depend_on_the_exercises():
    """The check store's key for a topic digests the sources its module imports: the exercises
    import the topics, never the other way (an import of the exercises in book.py once made every
    topic's key depend on every chapter's sources, and a clean build redo or rehash them all)."""
    from derivations.exercises import CHAPTERS
    from derivations.provenance import ModuleGraph
    graph = ModuleGraph()
    for chapter in CHAPTERS:
        closure = graph.closure({f"derivations.symbolic.{chapter}"})
        assert not any(m.startswith("derivations.exercises") for m in closure), chapter
