"""quboquant: post-training quantization of dense networks by exact QUBO rounding.

    import quboquant as qq
    qm = qq.quantize(model, calib_x, qq.QuantConfig(bits=4, solver="anneal", seed=0))
"""
from .config import QuantConfig
from .grid import Grid
from .layer import LayerResult
from .qubo import Grams, QuboBatch, layer_qubo
from .quantize import QuantizedModel, quantize
from .solvers import SOLVERS, Solution, Solver, make_solver

__version__ = "0.1.0"
__all__ = [
    "Grams", "Grid", "LayerResult", "QuantConfig", "QuantizedModel", "QuboBatch", "SOLVERS", "Solution", "Solver",
    "layer_qubo", "make_solver", "quantize",
]
