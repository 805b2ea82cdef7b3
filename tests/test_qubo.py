"""The exact-QUBO identities of SPEC.md, as property tests."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import random_layer

from quboquant.qubo import Grams, layer_qubo
from quboquant.solvers import Exhaustive

layers = st.builds(
    random_layer,
    seed=st.integers(0, 10_000),
    n=st.integers(1, 5),
    f=st.integers(1, 8),
    samples=st.integers(3, 30),
    bits=st.integers(1, 8),
    per_channel=st.booleans(),
    same_inputs=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(layer=layers, choice_seed=st.integers(0, 10_000))
def test_energy_equals_direct_error_for_random_choices(layer, choice_seed):
    rng = np.random.default_rng(choice_seed)
    H = rng.integers(0, 2, size=layer.problem.shape).astype(np.uint8)
    H = np.where(layer.problem.free, H, layer.problem.start)
    direct = layer.direct_error(H)
    np.testing.assert_allclose(layer.problem.energy(H), direct, rtol=1e-8, atol=1e-8 * (1 + direct.max()))


@settings(max_examples=40, deadline=None)
@given(layer=layers, choice_seed=st.integers(0, 10_000))
def test_rows_sum_to_the_frobenius_objective(layer, choice_seed):
    H = np.random.default_rng(choice_seed).integers(0, 2, size=layer.problem.shape).astype(np.uint8)
    H = np.where(layer.problem.free, H, layer.problem.start)
    W_hat = layer.lo + H * layer.d
    frobenius = np.linalg.norm(layer.Wa @ layer.Xt - W_hat @ layer.Xq) ** 2
    np.testing.assert_allclose(layer.problem.energy(H).sum(), frobenius, rtol=1e-8, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(layer=layers)
def test_rtn_is_a_feasible_point_on_the_grid(layer):
    p = layer.problem
    W_hat = layer.lo + p.start * layer.d
    Wa = layer.Wa
    # the start is round-to-nearest: no grid value is nearer any weight than the chosen one
    other = layer.lo + (1 - p.start) * layer.d
    chosen_gap, other_gap = np.abs(W_hat - Wa), np.abs(other - Wa)
    assert np.all(chosen_gap <= other_gap + 1e-12) or not p.free.any()
    np.testing.assert_allclose(p.energy(p.start), layer.direct_error(p.start), rtol=1e-8, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(layer=layers, choice_seed=st.integers(0, 10_000))
def test_row_qubo_matches_batch_energy(layer, choice_seed):
    p = layer.problem
    rng = np.random.default_rng(choice_seed)
    H = np.where(p.free, rng.integers(0, 2, size=p.shape), p.start).astype(np.uint8)
    for i in range(p.shape[0]):
        index, Q, offset = p.row_qubo(i, H)
        u = H[i, index].astype(float)
        np.testing.assert_allclose(u @ Q @ u + offset, p.energy(H)[i], rtol=1e-8, atol=1e-8)


def test_diagonal_gram_makes_rtn_optimal():
    """Zero-mean, mutually orthogonal inputs decouple the variables: the optimum is round-to-nearest."""
    layer = random_layer(3, n=3, f=4)
    X = np.array([[1, 1, 1, -1], [1, -1, 1, 1], [-1, 1, 1, 1], [-1, -1, 1, -1]], dtype=float)
    X = np.vstack([X, -X])
    grams = Grams.zeros(4)
    grams.add(X, X)
    assert np.allclose(grams.qq, np.diag(np.diag(grams.qq)))
    p = layer.problem
    problem = layer_qubo(layer.Wa, layer.lo, layer.d, p.free, p.start, grams)
    best = Exhaustive().solve(problem)
    np.testing.assert_allclose(best.energy, problem.energy(problem.start), rtol=1e-9, atol=1e-9)


def test_dead_inputs_are_frozen():
    layer = random_layer(1, dead_input=True, same_inputs=True)
    assert not layer.problem.free[:, 0].any()
    assert np.all(np.diag(layer.problem.C)[0] == 0)


def test_shared_grams_equal_separate_ones_for_equal_inputs():
    x = np.random.default_rng(0).normal(size=(30, 5))
    shared, separate = Grams.zeros(5, same_inputs=True), Grams.zeros(5)
    for part in (x[:10], x[10:]):
        shared.add(part, part)
        separate.add(part, part)
    for name in ("qq", "qt", "tt"):
        np.testing.assert_allclose(getattr(shared, name), getattr(separate, name), rtol=1e-12)
    assert shared.qt is shared.qq and shared.samples == separate.samples == 30
