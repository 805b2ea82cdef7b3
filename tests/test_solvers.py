"""A conformance suite every solver passes (dimod's testing idea), plus quality checks."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from conftest import random_layer
from quboquant.solvers import SOLVERS, Anneal, DimodSolver, Exhaustive, Greedy, make_solver

FAST_OPTIONS = {"dimod": {"sample_kwargs": {"num_reads": 2, "num_sweeps": 200}}}


def build(name: str, seed: int = 0):
    return make_solver(name, seed=seed, **FAST_OPTIONS.get(name, {}))


def brute_force(problem) -> np.ndarray:
    best = np.full(problem.shape[0], np.inf)
    for i in range(problem.shape[0]):
        free = np.flatnonzero(problem.free[i])
        for bits in itertools.product([0, 1], repeat=len(free)):
            H = problem.start.copy()
            H[i, free] = bits
            best[i] = min(best[i], problem.energy(H)[i])
    return best


@pytest.mark.parametrize("name", list(SOLVERS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_solution_energy_is_the_qubo_energy_and_no_worse_than_start(name, seed):
    p = random_layer(seed, n=5, f=7, bits=3).problem
    rng = np.random.default_rng(seed)
    start = np.where(p.free, rng.integers(0, 2, p.shape), p.start).astype(np.uint8)
    sol = build(name, seed).solve(p, start)
    assert sol.H.shape == p.shape and sol.H.dtype == np.uint8
    np.testing.assert_allclose(sol.energy, p.energy(sol.H), rtol=1e-12, atol=1e-12)
    assert np.all(sol.energy <= p.energy(start) + 1e-9)
    np.testing.assert_array_equal(sol.H[~p.free], p.start[~p.free])
    assert sol.seconds >= 0


@pytest.mark.parametrize("name", list(SOLVERS))
def test_same_seed_same_answer(name):
    p = random_layer(7, n=4, f=8, bits=2).problem
    a, b = build(name, 3).solve(p), build(name, 3).solve(p)
    np.testing.assert_array_equal(a.H, b.H)


@pytest.mark.parametrize("seed", range(4))
def test_exact_equals_brute_force(seed):
    p = random_layer(seed, n=3, f=6, bits=2, per_channel=seed % 2 == 0).problem
    np.testing.assert_allclose(Exhaustive().solve(p).energy, brute_force(p), rtol=1e-10, atol=1e-10)


def test_anneal_reaches_the_exact_optimum_in_most_seeds():
    hits = 0
    for seed in range(10):
        p = random_layer(100 + seed, n=6, f=14, samples=60, bits=3).problem
        optimum = Exhaustive().solve(p).energy
        found = Anneal(sweeps=300, restarts=2, seed=seed, init="rtn").solve(p).energy
        hits += np.allclose(found, optimum, rtol=1e-9, atol=1e-9)
    assert hits >= 8


def test_greedy_ends_in_a_local_minimum():
    p = random_layer(11, n=5, f=12, bits=3).problem
    sol = Greedy().solve(p)
    for i, j in zip(*np.nonzero(p.free)):
        H = sol.H.copy()
        H[i, j] ^= 1
        assert p.energy(H)[i] >= sol.energy[i] - 1e-9


def test_search_solvers_beat_rtn_on_a_coupled_problem():
    p = random_layer(5, n=8, f=16, samples=80, bits=2).problem
    rtn = p.energy(p.start).sum()
    for name in ("greedy", "anneal", "gptq"):
        assert build(name).solve(p).energy.sum() < rtn


def test_exact_refuses_wide_rows():
    p = random_layer(0, n=2, f=30, bits=4).problem
    with pytest.raises(ValueError, match="free variables"):
        Exhaustive(max_free=10).solve(p)


def test_dimod_accepts_any_sampler():
    import dimod

    p = random_layer(2, n=3, f=5, bits=2).problem
    sol = DimodSolver(sampler=dimod.ExactSolver()).solve(p)
    np.testing.assert_allclose(sol.energy, brute_force(p), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "name, options, match",
    [
        ("anneal", {"sweeps": 0}, "sweeps"),
        ("anneal", {"t_hot": 0.01, "t_cold": 0.1}, "t_cold"),
        ("anneal", {"time_limit": -1.0}, "time_limit"),
        ("anneal", {"restarts": 0}, "restarts"),
        ("anneal", {"init": "zeros"}, "init"),
        ("greedy", {"init": "best"}, "init"),
        ("exact", {"max_free": 40}, "max_free"),
        ("anneal", {"temperature": 3}, "bad option"),
        ("nonsense", {}, "not known"),
    ],
)
def test_bad_arguments_raise(name, options, match):
    with pytest.raises(ValueError, match=match):
        make_solver(name, **options)


def test_wrong_start_shape_raises():
    p = random_layer(0).problem
    with pytest.raises(ValueError, match="shape"):
        Greedy().solve(p, np.zeros((1, 1), dtype=np.uint8))


def test_anneal_budget_gives_small_layers_more_runs():
    small = random_layer(0, n=3, f=10).problem
    large = random_layer(0, n=64, f=400, samples=50).problem
    sweeps_small, runs_small = Anneal(work=1e6).budget(small)
    sweeps_large, runs_large = Anneal(work=1e6).budget(large)
    assert runs_small > runs_large == 1
    assert 20 <= sweeps_large <= sweeps_small <= 300
    assert Anneal(sweeps=7, restarts=2).budget(large) == (7, 2)


def test_anneal_time_limit_keeps_improving_from_the_best():
    p = random_layer(9, n=6, f=20, samples=60, bits=3).problem
    base = Anneal(sweeps=20, restarts=1, seed=1).solve(p)
    timed = Anneal(sweeps=20, restarts=1, seed=1, time_limit=0.3).solve(p)
    assert timed.info["rounds"] >= 2
    assert np.all(timed.energy <= base.energy + 1e-9)


def test_pair_descent_ends_where_no_single_or_pair_flip_helps():
    p = random_layer(12, n=4, f=10, samples=50, bits=3).problem
    sol = Greedy(pairs=p.shape[1]).solve(p)  # every other input is a partner
    for i in range(p.shape[0]):
        free = np.flatnonzero(p.free[i])
        for a, b in itertools.combinations_with_replacement(free, 2):
            H = sol.H.copy()
            H[i, a] ^= 1
            if b != a:
                H[i, b] ^= 1
            assert p.energy(H)[i] >= sol.energy[i] - 1e-9


def test_correlated_partners_are_the_most_correlated_inputs():
    from quboquant.solvers.local import correlated_partners

    X = np.random.default_rng(0).normal(size=(200, 5))
    X[:, 3] = X[:, 0] + 0.01 * X[:, 3]  # input 3 nearly copies input 0
    partners = correlated_partners(X.T @ X, 1)
    assert partners[0, 0] == 3 and partners[3, 0] == 0
    assert correlated_partners(X.T @ X, 0).shape == (5, 0)


def test_anneal_solves_small_rows_exactly():
    p = random_layer(4, n=5, f=12, samples=40, bits=3).problem
    sol = Anneal(sweeps=1, restarts=1, pairs=0).solve(p)
    assert sol.info["exact_rows"] == 5
    np.testing.assert_allclose(sol.energy, Exhaustive().solve(p).energy, rtol=1e-10, atol=1e-10)
    assert Anneal(exact_max=0).solve(p).info["exact_rows"] == 0


def test_high_quality_budget_is_exact_deterministic_and_no_worse():
    p = random_layer(21, n=4, f=30, samples=80, bits=3).problem  # 31 variables: annealed, not enumerated
    hq = Anneal(rounds=3, pair_sweeps=True, seed=2)
    a, b = hq.solve(p), hq.solve(p)
    np.testing.assert_array_equal(a.H, b.H)
    np.testing.assert_allclose(a.energy, p.energy(a.H), rtol=1e-12, atol=1e-12)
    assert a.info["exact_rows"] == 0 and a.info["rounds"] == 3
    assert np.all(a.energy <= Greedy(init="gptq").solve(p).energy + 1e-9)
