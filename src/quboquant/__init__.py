"""quboquant: post-training quantization of dense networks by exact QUBO rounding."""
__version__ = "0.1.0"
