"""Grids, scales and rounding candidates."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quboquant.grid import Grid, candidates, compute_scale, round_to_nearest

weights = arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 9)), elements=st.floats(-5, 5, allow_nan=False))


@pytest.mark.parametrize("bits", range(1, 9))
def test_signed_grid_limits(bits):
    g = Grid(bits)
    assert (g.qmin, g.qmax) == (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def test_binary_grid_only_for_one_bit():
    assert (Grid(1, binary=True).qmin, Grid(1, binary=True).qmax) == (-1, 1)
    with pytest.raises(ValueError, match="binary"):
        Grid(2, binary=True)


@pytest.mark.parametrize("bits", [0, 9, -1, 2.0, True])
def test_bits_out_of_range(bits):
    with pytest.raises(ValueError, match="bits"):
        Grid(bits)


@settings(max_examples=80, deadline=None)
@given(w=weights, bits=st.integers(1, 8), scheme=st.sampled_from(["paper", "absmax", "mse"]), per_channel=st.booleans(),
       binary=st.booleans())
def test_candidates_stay_on_the_grid_and_bracket_or_clip(w, bits, scheme, per_channel, binary):
    grid = Grid(1, binary=True) if binary else Grid(bits)
    s = compute_scale(w, grid, scheme, per_channel)[:, None]
    c = candidates(w, s, grid)
    for h in (np.zeros_like(c.rtn), np.ones_like(c.rtn), c.rtn):
        q = c.integers(h)
        assert q.min() >= grid.qmin and q.max() <= grid.qmax
        if binary:
            assert set(np.unique(q)) <= {-1, 1}
    if not binary:
        x = np.divide(w, s, out=np.zeros_like(w), where=s > 0)
        lo, hi = c.integers(np.zeros_like(c.rtn)), c.integers(np.ones_like(c.rtn))
        inside = c.free
        assert np.all((lo[inside] <= x[inside]) & (x[inside] <= hi[inside]))
        # round-to-nearest is the nearest grid value to w/s
        nearest = np.clip(np.floor(x + 0.5), grid.qmin, grid.qmax)
        np.testing.assert_array_equal(round_to_nearest(w, s, grid), nearest)


def test_paper_scale_and_one_bit_grid():
    w = np.array([[0.5, -1.0, 0.2, 0.8]])
    s = compute_scale(w, Grid(1), "paper", per_channel=False)
    assert s[0] == 1.0  # max|W| / 2^0: int1 is {-1, 0} * s
    q = round_to_nearest(w, s[:, None], Grid(1))
    np.testing.assert_array_equal(q, [[0, -1, 0, 0]])
    assert compute_scale(w, Grid(3), "paper", per_channel=False)[0] == 0.25
    assert compute_scale(w, Grid(3), "absmax", per_channel=False)[0] == pytest.approx(1 / 3)


def test_mse_scale_is_no_worse_than_absmax():
    w = np.random.default_rng(0).standard_t(3, size=(16, 64))
    grid = Grid(3)
    err = lambda s: ((round_to_nearest(w, s[:, None], grid) * s[:, None] - w) ** 2).sum(axis=1)  # noqa: E731
    mse, absmax = compute_scale(w, grid, "mse", True), compute_scale(w, grid, "absmax", True)
    assert np.all(err(mse) <= err(absmax) + 1e-12)
    assert err(mse).sum() < err(absmax).sum()


def test_binary_scale_is_mean_absolute_value():
    w = np.array([[1.0, -3.0], [0.0, 0.0]])
    np.testing.assert_allclose(compute_scale(w, Grid(1, binary=True), "paper", True), [2.0, 0.0])


def test_zero_rows_quantize_to_zero_without_division_by_zero():
    w = np.zeros((2, 3))
    with np.errstate(all="raise"):
        for grid in (Grid(1), Grid(4), Grid(1, binary=True)):
            s = compute_scale(w, grid, "mse", True)
            c = candidates(w, s[:, None], grid)
            assert not c.free.any()
            np.testing.assert_array_equal(c.integers(c.rtn) * s[:, None], 0.0)
