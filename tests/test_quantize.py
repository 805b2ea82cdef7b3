"""The public API: quantize(model, calib_x, QuantConfig(...)), end to end on small models."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import quboquant as qq


def small_model(seed: int = 0, bias: bool = True) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(12, 10, bias=bias), nn.ReLU(), nn.Linear(10, 4, bias=bias))


def calib(seed: int = 0, n: int = 200, width: int = 12) -> torch.Tensor:
    return torch.randn(n, width, generator=torch.Generator().manual_seed(seed))


def direct_layer_errors(model, qm, x, inputs):
    with torch.no_grad():
        h_float = model[1](model[0](x)).double()
        h_quant = qm.module[1](qm.module[0](x)).double()
        first = ((model[0](x).double() - qm.module[0](x).double()) ** 2).sum().item()
        second_in = h_quant if inputs == "quantized" else h_float
        W, b = torch.as_tensor(qm.layers[1].weight), torch.as_tensor(qm.layers[1].bias)
        second = ((model[2](h_float.float()).double() - (second_in @ W.T + b)) ** 2).sum().item()
    return first, second


@pytest.mark.parametrize("inputs", ["quantized", "float"])
@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_layer_energy_is_the_deployed_layer_error(inputs, bits):
    model, x = small_model(), calib()
    qm = qq.quantize(model, x, qq.QuantConfig(bits=bits, solver="greedy", inputs=inputs, batch_size=64))
    first, second = direct_layer_errors(model, qm, x, inputs)
    assert qm.layers[0].energy == pytest.approx(first, rel=1e-4, abs=1e-6)
    assert qm.layers[1].energy == pytest.approx(second, rel=1e-4, abs=1e-6)


def test_public_surface_and_integer_weights():
    model, x = small_model(), calib()
    qm = qq.quantize(model, x, qq.QuantConfig(bits=3, solver="anneal", seed=0))
    L = qm.layers[0]
    assert L.q.shape == (10, 12) and L.q_bias.shape == (10,)
    assert L.q.min() >= -4 and L.q.max() <= 3 and np.issubdtype(L.q.dtype, np.integer)
    assert L.scale.shape == (10,) and isinstance(L.bias_scale, float)
    assert (L.bits, L.bias_bits) == (3, 3)
    assert 0 <= L.energy <= L.rtn_energy and L.seconds > 0
    np.testing.assert_allclose(qm.module[0].weight.detach().numpy(), L.q * L.scale[:, None], rtol=1e-6)
    np.testing.assert_allclose(qm.module[0].bias.detach().numpy(), L.q_bias * L.bias_scale, rtol=1e-6)
    assert qm.energy_ratio < 1.0
    # the original model is untouched
    assert not torch.equal(model[0].weight, qm.module[0].weight)


def test_per_tensor_scale_is_a_float_and_paper_int1_grid():
    qm = qq.quantize(small_model(), calib(), qq.QuantConfig(bits=1, scale="paper", granularity="tensor", solver="rtn"))
    L = qm.layers[0]
    assert isinstance(L.scale, float)
    assert set(np.unique(L.q)) <= {-1, 0}


def test_default_solver_is_a_qubo_solver_and_beats_rtn():
    model, x = small_model(), calib()
    assert qq.QuantConfig(bits=2).solver != "rtn"
    qm = qq.quantize(model, x, qq.QuantConfig(bits=2))
    assert qm.energy < qm.rtn_energy


def test_same_seed_same_numbers():
    model, x = small_model(), calib()
    cfg = qq.QuantConfig(bits=2, solver="anneal", seed=5, calib_size=120)
    a, b = qq.quantize(model, x, cfg), qq.quantize(model, x, cfg)
    for la, lb in zip(a.layers, b.layers):
        np.testing.assert_array_equal(la.q, lb.q)
        assert la.energy == lb.energy


def test_layers_without_bias_and_nested_sequential():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(12, 6, bias=False), nn.Tanh()), nn.Linear(6, 3), nn.Softmax(-1))
    qm = qq.quantize(model, calib().reshape(200, 3, 4), qq.QuantConfig(bits=4, solver="greedy"))
    assert len(qm.layers) == 2
    assert qm.module[1][0].bias is None and not qm.layers[0].has_bias
    np.testing.assert_array_equal(qm.layers[0].q_bias, 0)


def test_all_zero_weights_quantize_to_zero():
    model = small_model()
    with torch.no_grad():
        model[0].weight.zero_()
        model[2].weight[0].zero_()
    with np.errstate(divide="raise", invalid="raise"):
        qm = qq.quantize(model, calib(), qq.QuantConfig(bits=3, solver="anneal"))
    np.testing.assert_array_equal(qm.layers[0].q, 0)
    np.testing.assert_array_equal(qm.layers[1].q[0], 0)
    assert np.all(np.isfinite(qm.layers[1].weight))


def test_export_writes_the_integer_model(tmp_path):
    qm = qq.quantize(small_model(), calib(), qq.QuantConfig(bits=4, solver="greedy"))
    qm.export(tmp_path / "model.npz")
    data = np.load(tmp_path / "model.npz")
    np.testing.assert_array_equal(data["layer1.q"], qm.layers[1].q)
    assert data["layer0.q"].dtype == np.int8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"bits": 0}, "bits"), ({"bits": 9}, "bits"), ({"bits": 2.5}, "bits"), ({"bias_bits": 12}, "bias_bits"),
        ({"scale": "max"}, "scale"), ({"granularity": "row"}, "granularity"), ({"solver": "qpu"}, "solver"),
        ({"inputs": "mixed"}, "inputs"), ({"bits": 2, "grid": "binary"}, "binary"), ({"seed": -1}, "seed"),
        ({"calib_size": 0}, "calib_size"), ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_config_names_the_problem(kwargs, match):
    with pytest.raises(ValueError, match=match):
        qq.QuantConfig(**kwargs)


def test_bad_inputs_name_the_problem():
    model, x = small_model(), calib()
    cfg = qq.QuantConfig(bits=2, solver="rtn")
    bad = x.clone()
    bad[3, 4] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        qq.quantize(model, bad, cfg)
    with pytest.raises(ValueError, match="expects 12"):
        qq.quantize(model, calib(width=7), cfg)
    with pytest.raises(ValueError, match="non-empty"):
        qq.quantize(model, x[:0], cfg)
    with pytest.raises(ValueError, match="no nn.Linear"):
        qq.quantize(nn.Sequential(nn.ReLU()), x, cfg)
    with pytest.raises(ValueError, match="BatchNorm1d"):
        qq.quantize(nn.Sequential(nn.Linear(12, 5), nn.BatchNorm1d(5), nn.Linear(5, 2)), x, cfg)
    broken = small_model()
    with torch.no_grad():
        broken[2].weight[0, 0] = float("inf")
    with pytest.raises(ValueError, match="infinite"):
        qq.quantize(broken, x, cfg)
    with pytest.raises(TypeError, match="QuantConfig"):
        qq.quantize(model, x, {"bits": 2})
