"""Find a model's Linear layers and the activations between them (the model boundary: torch)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

ELEMENTWISE = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Tanh, nn.Sigmoid, nn.Hardtanh, nn.Hardswish, nn.Hardsigmoid, nn.Softplus, nn.Identity, nn.Dropout,
)


@dataclass(frozen=True)
class Chain:
    """A model as a flat list of modules applied in order; ``linear`` indexes its Linear layers."""

    modules: tuple[nn.Module, ...]
    linear: tuple[int, ...]
    names: tuple[str, ...]

    def run(self, x: torch.Tensor, stop: int) -> torch.Tensor:
        """Apply ``modules[:stop]`` to ``x``."""
        for module in self.modules[:stop]:
            x = module(x)
        return x


def _flatten(module: nn.Module, prefix: str) -> list[tuple[str, nn.Module]]:
    if isinstance(module, nn.Sequential) or (type(module).forward is nn.Module.forward and len(module._modules)):
        out = []
        for name, child in module.named_children():
            out += _flatten(child, f"{prefix}.{name}" if prefix else name)
        return out
    return [(prefix or type(module).__name__, module)]


def linear_chain(model: nn.Module) -> Chain:
    """The Linear layers of ``model`` with what lies between them.

    ``model`` is an ``nn.Sequential`` (nested ones are flattened) or any module whose children
    are applied in their registration order. Before the first Linear and after the last,
    any module is allowed (preprocessing, softmax); between two Linears only elementwise
    activations and dropout, since the QUBO of a layer is built from its exact inputs.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    named = _flatten(model, "") if len(model._modules) else [("model", model)]
    names, modules = zip(*named)
    linear = tuple(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
    if not linear:
        kinds = ", ".join(sorted({type(m).__name__ for m in modules}))
        raise ValueError(f"the model has no nn.Linear layer to quantize (it holds: {kinds})")
    for i in range(linear[0] + 1, linear[-1]):
        if not isinstance(modules[i], (nn.Linear, *ELEMENTWISE)):
            raise ValueError(
                f"unsupported layer {names[i]!r} ({type(modules[i]).__name__}) between Linear layers: "
                f"only elementwise activations ({', '.join(t.__name__ for t in ELEMENTWISE)}) may stand between them"
            )
    return Chain(modules=tuple(modules), linear=linear, names=tuple(names))
