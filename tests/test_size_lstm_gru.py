"""LSTM and GRU for every sequence length: the induction's base and step proved at symbolic
sizes, and wrong recursions refuted by them (the explicit proofs on the unrolled loss refute
the same mutations: tests/test_lstm_gru.py)."""

import sympy as sp

from derivations.symbolic import lstm_gru as lg


def _failed(model, part):
    claims = [c for _, c in lg.induction_claims(model) if part in c.name]
    assert claims, part
    return [c.name for c in claims if not c.prove("t").passed]


def _replace_backward(model, key, rhs_of):
    lhs = model.lhs(key)
    model.backward = [(l, rhs_of(model, r) if l == lhs else r) for l, r in model.backward]
    return model


def test_every_claim_is_proved():
    for build in (lg.lstm_model, lg.gru_model):
        for kind, claim in lg.induction_claims(build()):
            assert claim.prove("t").passed, claim.name


def test_a_sign_in_the_carry_is_refuted_by_the_step():
    model = lg.lstm_model()
    model = _replace_backward(model, "dh", lambda m, r: lg.add(r.args[0], lg.neg(r.args[1])))
    assert _failed(model, "step T -> T + 1: the recursion's dL/dh_1")
    assert not _failed(model, "base T = 1")
    model = _replace_backward(lg.gru_model(), "dh", lambda m, r: lg.add(r.args[0], lg.neg(r.args[1]), r.args[2]))
    assert _failed(model, "step T -> T + 1: the recursion's dL/dh_1")


def test_dropping_the_h0_term_is_refuted():
    model = lg.gru_model()
    lhs, total = model.gradients[1]                     # dL/dW_hh = sum_t delta^hh_t h_{t-1}^T
    model.gradients[1] = (lhs, sp.Sum(total.function, (lg.t, 2, lg.T)))
    assert _failed(model, "dL/dW_hh")


# ------------------------------------------------------------------ the hand steps

def _hand_claim(step, part=""):
    return next(c for c in lg.lstm_hand_steps()[step].claims if part in c.name)


def _mutated(claim, new_claim):
    from dataclasses import replace
    return replace(claim, claim=new_claim)


def test_every_hand_step_is_proved():
    for step in lg.lstm_hand_steps().values():
        for claim in step.claims:
            assert all(c.passed for c in claim.checks("t")), claim.name
    assert all(c.passed for c in lg.weight_checks())


def test_dropping_the_loss_term_of_dh_is_refuted():
    claim = _hand_claim("h", "two uses")
    assert not _mutated(claim, claim.claim.args[1]).prove("t").passed     # W_hh^T delta_t+1 alone


def test_dropping_or_misdating_the_cell_path_is_refuted():
    claim = _hand_claim("c", "two uses")
    right = claim.claim
    assert not _mutated(claim, right.args[0]).prove("t").passed          # the cell path dropped
    S = lg._hand_symbols(lg.lstm_model())
    wrong = lg._proved(lg._wrong_cell_path(S, claim.X))
    assert not _mutated(claim, wrong).prove("t").passed                  # f_t for f_t+1


def test_a_wrong_jacobian_of_h_by_c_is_refuted():
    claim = _hand_claim("c", "(dh_t/dc_t)")
    model = lg.lstm_model()
    o, g = model.lhs("o"), claim.G if hasattr(claim, "G") else sp.MatrixSymbol("g", lg.m, 1)
    wrong = lg._proved(lg.mul(lg.diag(lg.dtanh(lg.Apply(sp.tanh, model.lhs("c")))), g))   # o_t dropped
    assert not _mutated(claim, wrong).prove("t").passed


def test_swapping_a_gate_values_other_factor_is_refuted():
    claim = _hand_claim("value i")
    model = lg.lstm_model()
    wrong = lg.had(model.lhs("dc"), model.lhs("i"))                      # i_t for c~_t
    assert not _mutated(claim, wrong).prove("t").passed


def test_the_forget_delta_with_c_t_is_refuted_by_the_proof_and_the_pitfall_check():
    claim = _hand_claim("delta f")
    S = lg._hand_symbols(lg.lstm_model())
    assert not _mutated(claim, lg._proved(lg._wrong_forget_delta(S, claim.X))).prove("t").passed
    assert all(c.passed for c in lg._pitfall_checks())


def test_the_weight_step_with_h_t_for_h_t_minus_1_is_refuted():
    from derivations.symbolic.index_notation import prove_identity
    lhs, steps, _, _ = lg.weight_steps()
    u, s = sp.symbols("u s", integer=True, nonnegative=True)
    in_range = {4 * lg.m: lg._j + u, lg.m: lg._k + s}
    wrong = steps[-1].xreplace({lg.t - 1: lg.t})
    assert wrong != steps[-1]
    check = prove_identity("t", "w", steps[1].xreplace(in_range), wrong.xreplace(in_range),
                           ({lg.T: 2, u: 0, s: 0, lg._j: 1, lg._k: 1},))
    assert not check.passed


def test_the_hand_equations_are_printed_from_the_proved_objects(exhibits_of):
    ex = exhibits_of("lstm_gru")
    assert r"\operatorname{diag}\left(f_{t + 1}\right)" in ex["eq_hand_c"].tex
    assert r"W_{hh}^{\top} \delta_{t + 1}" in ex["eq_hand_h"].tex
    assert r"{[j = l]}" in ex["eq_hand_w"].tex and r"\sum_{t=1}^{{T}}" in ex["eq_hand_w"].tex
    assert lg._tex(lg.lstm_model().backward[1][1].args[1]) in ex["eq_hand_c"].tex


# ------------------------------------------------------------------ the cell path in numbers

def test_cell_path_numbers_recomputed_from_the_forward_pass():
    """An independent recomputation: the forget gates from the stacked weights, step by step,
    and the (h, c) Jacobians' c-c block over s steps by central differences through lstm_forward."""
    import numpy as np
    from derivations.numeric import lstm as lstm_np
    p = lg.cell_paths()
    x, (W_ih, W_hh, b) = p.run
    m_ = lg.CELL_M
    h, c = np.zeros(m_), np.zeros(m_)
    forget = []
    for x_t in x[:, 0]:
        a = W_ih @ x_t + W_hh @ h + b
        sg = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        i, f, g, o = sg(a[:m_]), sg(a[m_:2 * m_]), np.tanh(a[2 * m_:3 * m_]), sg(a[3 * m_:])
        c = f * c + i * g
        h = o * np.tanh(c)
        forget.append(f)
    np.testing.assert_allclose(p.forget, np.array(forget), rtol=1e-12)
    s = 5
    zeros = np.zeros((1, m_))
    hs, cache = lstm_np.lstm_forward(x, zeros, zeros, W_ih, W_hh, b)
    k = lg.CELL_STEPS - s
    J = np.empty((m_, m_))
    for j in range(m_):
        e = np.zeros((1, m_))
        e[0, j] = 1e-6
        plus = lstm_np.lstm_forward(x[k:], hs[k - 1], cache.c[k - 1] + e, W_ih, W_hh, b)[1].c[-1, 0]
        minus = lstm_np.lstm_forward(x[k:], hs[k - 1], cache.c[k - 1] - e, W_ih, W_hh, b)[1].c[-1, 0]
        J[:, j] = (plus - minus) / 2e-6
    assert np.linalg.norm(J, 2) == __import__("pytest").approx(p.full[list(p.lags).index(s)], rel=1e-6)
    assert p.without_cell[0] == 0 and p.full[0] == p.cell_only[0]


# ------------------------------------------------------------------ the GRU's hand steps

def _gru_claim(step, part=""):
    return next(c for c in lg.gru_hand_steps()[step].claims if part in c.name)


def _gru_symbols():
    return lg._hand_symbols(lg.gru_model())


def _refuted(claim, wrong):
    from dataclasses import replace
    field = "rhs" if isinstance(claim, lg.IdentityClaim) else "claim"
    return not replace(claim, **{field: wrong}).prove("t").passed


def test_every_gru_hand_step_is_proved():
    for step in lg.gru_hand_steps().values():
        for claim in step.claims:
            assert all(c.passed for c in claim.checks("t")), claim.name
    assert all(c.passed for c in lg.weight_checks("GRU"))


def test_dropping_a_use_of_h_t_is_refuted():
    claim = _gru_claim("h", "three uses")
    terms = claim.claim.args                         # dl_t/dh_t, u_t+1 ⊙ dL/dh_t+1, W_hh^T delta^hh_t+1
    assert len(terms) == 3
    for k in range(3):
        assert _refuted(claim, lg.add(*(terms[:k] + terms[k + 1:]))), k
    # inside a^hh_t+1: each gate's block, the candidate's (through the reset product) included
    claim = _gru_claim("hh", "pre-activations")
    blocks = claim.claim.args
    for k in range(3):
        assert _refuted(claim, lg.add(*(blocks[:k] + blocks[k + 1:]))), k


def test_u_t_for_u_t_plus_1_is_refuted():
    S = _gru_symbols()
    u_t, u_next, G = S["u_{t}"], S["u_{t + 1}"], sp.MatrixSymbol("g", lg.m, 1)
    assert _refuted(_gru_claim("h", "three uses"), lg._wrong_step_on_direct_path(S, None))
    assert _refuted(_gru_claim("h", "diag(u_t+1) g at fixed"), lg.mul(lg.diag(u_t), G))
    assert not _refuted(_gru_claim("h", "diag(u_t+1) g at fixed"), lg.mul(lg.diag(u_next), G))


def test_the_reset_gate_at_the_wrong_place_is_refuted():
    S = _gru_symbols()
    r, d_cand = S["r_{t}"], S[r"\delta^{\tilde{h}}_{t}"]
    assert _refuted(_gru_claim("reset", "delta^hh_t"), d_cand)                   # r_t dropped from the hh block
    assert _refuted(_gru_claim("reset", "delta^ih_t"), lg.had(r, d_cand))        # r_t on the ih block
    claim = _gru_claim("hh", "pre-activations")                                  # W_hh~^T delta^h~ without r_t+1
    r_next, W = S["r_{t + 1}"], S[r"W_{h\tilde{h}}"]
    wrong = claim.claim.xreplace({lg.had(r_next, S[r"\delta^{\tilde{h}}_{t + 1}"]): S[r"\delta^{\tilde{h}}_{t + 1}"]})
    assert wrong != claim.claim and W in wrong.free_symbols
    assert _refuted(claim, wrong)
    # the recursion's delta^hh with r_t dropped from its candidate block: the stacking identity fails
    model = lg.gru_model()
    lhs = model.lhs("delta_hh")
    blocks = dict(model.backward)[lhs].blocks
    wrong_hh = sp.BlockMatrix([[blocks[0, 0]], [blocks[1, 0]], [d_cand]])
    model.backward = [(l, wrong_hh if l == lhs else r_) for l, r_ in model.backward]
    claim = next(c for c in lg.gru_hand_steps(model)["hh"].claims if "recursion's blocks" in c.name)
    assert not claim.prove("t").passed


def test_one_minus_u_swapped_with_u_is_refuted():
    S = _gru_symbols()
    u, dh = S["u_{t}"], S[r"\frac{\partial L}{\partial h_{t}}"]
    h_prev, ht = S["h_{t - 1}"], S[r"\tilde{h}_{t}"]
    assert _refuted(_gru_claim(r"value \tilde{h}"), lg.had(dh, u))                     # u_t for 1 - u_t
    assert _refuted(_gru_claim("value u", "two uses"), lg.had(dh, lg.add(ht, lg.neg(h_prev))))
    assert _refuted(_gru_claim("h", "three uses"), lg._candidate_weight_on_direct_path(S, None))
    claim = _gru_claim(r"delta \tilde{h}")
    wrong = claim.claim.xreplace({lg.one_minus(u): u})
    assert wrong != claim.claim and _refuted(claim, wrong)


def test_the_gru_weight_step_with_h_t_for_h_t_minus_1_is_refuted():
    from derivations.symbolic.index_notation import prove_identity
    lhs, steps, _, _ = lg.weight_steps("GRU")
    u, s = sp.symbols("u s", integer=True, nonnegative=True)
    in_range = {3 * lg.m: lg._j + u, lg.m: lg._k + s}
    wrong = steps[-1].xreplace({lg.t - 1: lg.t})
    assert wrong != steps[-1]
    check = prove_identity("t", "w", steps[1].xreplace(in_range), wrong.xreplace(in_range),
                           ({lg.T: 2, u: 0, s: 0, lg._j: 1, lg._k: 1},))
    assert not check.passed


def test_the_gru_pitfall_checks_need_a_wrong_formula(monkeypatch):
    """The pitfall checks pass, and one whose 'wrong' formula is the right one fails: the
    refutation is measured, not assumed."""
    checks = [c for c in lg._pitfall_checks() if "GRU" in c.name or "u_t" in c.name]
    assert len(checks) == 4 and all(c.passed for c in checks)
    right = lambda S, X: lg._direct_path(S, S["u_{t + 1}"])  # noqa: E731
    monkeypatch.setattr(lg, "GRU_PITFALLS", (("h", "the right u_t+1 in place of u_t+1 on the GRU's direct path", right),))
    failed = [c for c in lg._pitfall_checks() if not c.passed]
    assert [c.name for c in failed] == ["pitfall: the right u_t+1 in place of u_t+1 on the GRU's direct path is refuted "
                                        "by the hand step's derivative, m = 2"]


def test_the_gru_hand_equations_are_printed_from_the_proved_objects(exhibits_of):
    ex = exhibits_of("lstm_gru")
    model = lg.gru_model()
    direct = dict(model.backward)[model.lhs("dh")].args[1]
    assert lg._tex(direct) in ex["eq_gru_hand_h"].tex
    assert r"\operatorname{diag}\left(u_{t + 1}\right)" in ex["eq_gru_hand_h"].tex
    assert r"W_{h\tilde{h}}^{\top} \left(r_{t + 1} \odot \delta^{\tilde{h}}_{t + 1}\right)" in ex["eq_gru_hand_hh"].tex
    assert r"r_{t} \odot \delta^{\tilde{h}}_{t}" in ex["eq_gru_hand_reset"].tex
    assert r"\delta^{hh}_{t,l}" in ex["eq_gru_hand_w"].tex and r"\sum_{l=1}^{3 m}" in ex["eq_gru_hand_w"].tex
