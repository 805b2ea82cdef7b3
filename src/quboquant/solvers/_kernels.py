"""Compiled inner loops shared by the local-search solvers (numba, parallel over rows).

For row i with choices h, ``g = C (h * d_i)`` is kept up to date; flipping variable j changes
the energy by ``delta * (2 d_ij g_j + b_ij) + d_ij^2 C_jj`` with ``delta = 1 - 2 h_j`` and
costs one rank-1 update ``g += delta d_ij C[j]``. All rows read the same ``C``.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _flip_cost(C, d, lin, h, g, j):
    delta = 1.0 - 2.0 * h[j]
    return delta * (2.0 * d[j] * g[j] + lin[j]) + d[j] * d[j] * C[j, j]


@njit(cache=True, inline="always")
def _flip(C, d, h, g, j):
    step = (1.0 - 2.0 * h[j]) * d[j]
    h[j] = 1 - h[j]
    for l in range(g.shape[0]):
        g[l] += step * C[j, l]


@njit(cache=True, inline="always")
def _pair_cost(C, d, lin, h, g, ja, jb):
    cross = 2.0 * (1.0 - 2.0 * h[ja]) * (1.0 - 2.0 * h[jb]) * d[ja] * d[jb] * C[ja, jb]
    return _flip_cost(C, d, lin, h, g, ja) + _flip_cost(C, d, lin, h, g, jb) + cross


@njit(cache=True)
def _descend_row(C, d, lin, idx, h, g):
    """Best-improvement single flips until none lowers the energy; returns the energy change."""
    total = 0.0
    while True:
        best, best_j = 0.0, -1
        for t in range(idx.shape[0]):
            cost = _flip_cost(C, d, lin, h, g, idx[t])
            if cost < best:
                best, best_j = cost, idx[t]
        if best_j < 0 or best > -1e-12 * (1.0 + abs(total)):
            return total
        _flip(C, d, h, g, best_j)
        total += best


@njit(cache=True)
def _pair_pass(C, d, lin, idx, free, h, g, partners):
    """One pass over each free variable and its partners, applying every pair flip that lowers the energy.

    At a single-flip local minimum both flips of a pair are uphill on their own, but two
    strongly correlated inputs moved in opposite directions can cancel: the pair costs
    ``cost_a + cost_b + 2 delta_a delta_b d_a d_b C_ab``. ``partners[j]`` lists the inputs most
    correlated with input j (the same for every row, since all rows share C). Returns the
    energy change.
    """
    total = 0.0
    for a in range(idx.shape[0]):
        ja = idx[a]
        for t in range(partners.shape[1]):
            jb = partners[ja, t]
            if not free[jb]:
                continue
            cost = _pair_cost(C, d, lin, h, g, ja, jb)
            if cost < -1e-12 * (1.0 + abs(total)):
                _flip(C, d, h, g, ja)
                _flip(C, d, h, g, jb)
                total += cost
    return total


@njit(cache=True)
def _deep_descend_row(C, d, lin, idx, free, h, g, partners):
    """Single-flip descent, then pair passes and descents until neither improves (no partners: no pairs)."""
    total = _descend_row(C, d, lin, idx, h, g)
    while partners.shape[1] > 0:
        step = _pair_pass(C, d, lin, idx, free, h, g, partners)
        if step == 0.0:
            break
        total += step + _descend_row(C, d, lin, idx, h, g)
    return total


@njit(cache=True, parallel=True)
def descend(C, d, lin, free_idx, counts, H, G, free, partners):
    """Greedy descent of every row in place (``H``, ``G`` updated), with pair moves over ``partners``."""
    for i in prange(H.shape[0]):
        _deep_descend_row(C, d[i], lin[i], free_idx[i, : counts[i]], free[i], H[i], G[i], partners)


@njit(cache=True, inline="always")
def _next_uniform(state):
    # xorshift64*: a tiny deterministic generator per row, independent of thread scheduling
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return float((x * np.uint64(2685821657736338717)) >> np.uint64(11)) / 9007199254740992.0


@njit(cache=True)
def _flip_cost_scale(C, d, lin, idx, h, g):
    """Median cost of the single flips that raise the energy: the row's own temperature unit."""
    costs = np.empty(idx.shape[0])
    count = 0
    for t in range(idx.shape[0]):
        cost = _flip_cost(C, d, lin, h, g, idx[t])
        if cost > 0.0:
            costs[count] = cost
            count += 1
    return np.median(costs[:count]) if count else 0.0


@njit(cache=True, parallel=True)
def anneal(C, d, lin, free_idx, counts, H, G, temperatures, restarts, seed, free, partners, pair_sweeps):
    """Simulated annealing of every row from ``H`` (Metropolis, sequential sweeps).

    Each row first descends to a local minimum; its median uphill flip cost there sets the
    temperature unit; restart r follows schedule ``temperatures[r % len(temperatures)]``
    (one temperature per sweep, in that unit). Each restart
    starts again from the local minimum with its own random stream and ends with a greedy
    descent (with pair moves over ``partners``); the best state seen at the end of any sweep is kept.
    With ``pair_sweeps``, every sweep also proposes, for each variable, flipping it together
    with a random one of its partners (Metropolis on the pair's cost).
    """
    n, m = H.shape
    for i in prange(n):
        k = counts[i]
        if k == 0:
            continue
        idx = free_idx[i, :k]
        h0, g0 = H[i].copy(), G[i].copy()
        _deep_descend_row(C, d[i], lin[i], idx, free[i], h0, g0, partners)
        unit = _flip_cost_scale(C, d[i], lin[i], idx, h0, g0)
        best_h, best_e = h0.copy(), 0.0
        if unit <= 0.0:
            H[i] = best_h
            continue
        state = np.empty(1, dtype=np.uint64)
        for r in range(restarts):
            state[0] = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(i * 1000003 + r * 7919 + 1)
            for _ in range(4):
                _next_uniform(state)
            h, g, e = h0.copy(), g0.copy(), 0.0
            schedule = temperatures[r % temperatures.shape[0]]
            for s in range(schedule.shape[0]):
                beta = 1.0 / (unit * schedule[s])
                for t in range(k):
                    j = idx[t]
                    cost = _flip_cost(C, d[i], lin[i], h, g, j)
                    if cost <= 0.0 or (beta * cost < 40.0 and _next_uniform(state) < np.exp(-beta * cost)):
                        _flip(C, d[i], h, g, j)
                        e += cost
                if pair_sweeps and partners.shape[1] > 0:
                    for t in range(k):
                        ja = idx[t]
                        jb = partners[ja, int(_next_uniform(state) * partners.shape[1])]
                        if not free[i, jb]:
                            continue
                        cost = _pair_cost(C, d[i], lin[i], h, g, ja, jb)
                        if cost <= 0.0 or (beta * cost < 40.0 and _next_uniform(state) < np.exp(-beta * cost)):
                            _flip(C, d[i], h, g, ja)
                            _flip(C, d[i], h, g, jb)
                            e += cost
                if e < best_e:
                    best_e = e
                    best_h[:] = h
            e += _deep_descend_row(C, d[i], lin[i], idx, free[i], h, g, partners)
            if e < best_e:
                best_e = e
                best_h[:] = h
        H[i] = best_h


@njit(cache=True, parallel=True)
def exhaustive(C, d, lin, free_idx, counts, H, G):
    """Exact minimum of every row by Gray-code enumeration of its free variables."""
    for i in prange(H.shape[0]):
        k = counts[i]
        idx = free_idx[i, :k]
        h, g = H[i].copy(), G[i].copy()
        e, best_e = 0.0, 0.0
        best_h = h.copy()
        for code in range(1, 1 << k):
            t = 0
            while not (code >> t) & 1:
                t += 1
            j = idx[t]
            e += _flip_cost(C, d[i], lin[i], h, g, j)
            _flip(C, d[i], h, g, j)
            if e < best_e:
                best_e = e
                best_h[:] = h
        H[i] = best_h
