"""The exact rounding QUBO of one Linear layer (SPEC.md, "The exact QUBO of one layer").

Notation (SPEC.md): ``Wa = [W b]`` (n x m, m = f + 1), ``Xa = [X; 1]``. Each entry of the
quantized layer is ``lo + h * d`` (``lo``: dequantized value at h = 0, ``d``: the step to
h = 1), so row i of the output error is a QUBO in ``h`` (m binary variables):

    E_i(h) = (h*d_i) C (h*d_i)^T + b_i . h + c_i

with ``C = Xa_q Xa_q^T`` shared by all rows, ``b_i = -2 d_i * (Wa_i Cqt^T - lo_i C)`` and
``c_i = ||Wa_i Xa_t - lo_i Xa_q||^2``, from the three Gram matrices of the layer's inputs
(``Cqt = Xa_q Xa_t^T``, ``Ctt = Xa_t Xa_t^T``). The n x n(f+1)-square global matrix is never
formed: it is block diagonal with blocks ``diag(d_i) C diag(d_i)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Grams:
    """Running sums of the Gram matrices of a layer's augmented inputs over calibration batches.

    ``qq = Xa_q Xa_q^T``, ``qt = Xa_q Xa_t^T``, ``tt = Xa_t Xa_t^T``, where ``Xa_t`` are the
    full-precision inputs (the target) and ``Xa_q`` the inputs the quantized side sees.
    """

    qq: np.ndarray
    qt: np.ndarray
    tt: np.ndarray
    samples: int = 0

    @classmethod
    def zeros(cls, features: int, same_inputs: bool = False) -> "Grams":
        """Empty sums for a layer with ``features`` inputs.

        ``same_inputs``: both sides will always see the same inputs (the first layer, or
        ``inputs="float"``); then the three matrices are one, accumulated once.
        """
        m = features + 1
        if same_inputs:
            shared = np.zeros((m, m))
            return cls(shared, shared, shared)
        return cls(*(np.zeros((m, m)) for _ in range(3)))

    def add(self, x_target: np.ndarray, x_quantized: np.ndarray) -> None:
        """Accumulate one batch of inputs (rows are samples, shape (batch, f))."""
        xq = _augment(x_quantized)
        self.qq += xq.T @ xq
        if self.qt is not self.qq:
            xt = _augment(x_target)
            self.qt += xq.T @ xt
            self.tt += xt.T @ xt
        self.samples += xq.shape[0]


def _augment(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.hstack([x, np.ones((x.shape[0], 1))])


@dataclass
class QuboBatch:
    """n independent subproblems sharing ``C``; see the module docstring for the energy.

    ``free`` marks the variables a solver may flip; the others keep their value in ``start``
    (the round-to-nearest choice), which every solver takes as its default start.
    """

    C: np.ndarray
    d: np.ndarray
    linear: np.ndarray
    constant: np.ndarray
    free: np.ndarray
    start: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.d.shape

    def energy(self, H: np.ndarray) -> np.ndarray:
        """Energy of every row of the choice matrix ``H`` (n x m): the layer's squared error per output."""
        Z = H * self.d
        return np.einsum("ij,ij->i", Z @ self.C, Z) + np.einsum("ij,ij->i", self.linear, H) + self.constant

    def row_qubo(self, i: int, H: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float]:
        """Row i as a dense upper-triangular QUBO over its free variables.

        Returns ``(index, Q, offset)`` with ``E_i(h) = u^T Q u + offset`` for ``u = h[index]``,
        the fixed variables held at their values in ``H`` (default ``start``).
        """
        h = (self.start if H is None else H)[i].astype(np.float64)
        index = np.flatnonzero(self.free[i])
        fixed = np.flatnonzero(~self.free[i])
        d, C = self.d[i], self.C
        z_fixed = h[fixed] * d[fixed]
        block = C[np.ix_(index, index)] * np.outer(d[index], d[index])
        diagonal = np.diag(block) + self.linear[i, index] + 2 * d[index] * (C[np.ix_(index, fixed)] @ z_fixed)
        Q = np.triu(2 * block, 1) + np.diag(diagonal)
        offset = z_fixed @ C[np.ix_(fixed, fixed)] @ z_fixed + self.linear[i, fixed] @ h[fixed] + self.constant[i]
        return index, Q, float(offset)


def layer_qubo(Wa: np.ndarray, lo: np.ndarray, d: np.ndarray, free: np.ndarray, start: np.ndarray, grams: Grams) -> QuboBatch:
    """Build the QUBO of a layer with augmented weights ``Wa`` and candidates ``lo + h * d``.

    Variables whose input never varies from zero in the calibration set (``C_jj = 0``) do
    not change the energy; they are frozen at their start (round-to-nearest) value.
    """
    C = grams.qq
    loC = lo @ C
    P = Wa @ grams.qt.T - loC
    linear = -2 * d * P
    constant = (
        np.einsum("ij,ij->i", Wa @ grams.tt, Wa)
        - 2 * np.einsum("ij,ij->i", Wa @ grams.qt.T, lo)
        + np.einsum("ij,ij->i", loC, lo)
    )
    free = free & (np.diag(C) > 0)[None, :] & (d > 0)
    return QuboBatch(C=C, d=d, linear=linear, constant=constant, free=free, start=start.astype(np.uint8))
