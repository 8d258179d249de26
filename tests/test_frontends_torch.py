"""The PyTorch front end: values and PyTorch's own derivatives, exactly, at dyadic points.

Weights and points are dyadic with few bits, so PyTorch's float64 arithmetic is exact and
its numbers must equal semialg's exact rationals *exactly*; the derivative programs are
traced once and evaluated at kinks (ties, bounds, zero) where PyTorch's backward chooses.
"""
from __future__ import annotations

from fractions import Fraction

import pytest

torch = pytest.importorskip("torch")

import semialg
from semialg.checks.conservative import check
from semialg.core.errors import InputError, UnsupportedError
from semialg.frontends.torch import from_torch, torch_derivative

D = torch.float64
F = torch.nn.functional


def vec(*values) -> torch.Tensor:
    return torch.tensor(values, dtype=D)


def dyadic_(module, seed: int, scale: int = 8):
    """Set every parameter to a random multiple of 1/scale in [-1, 1] (exact in float64)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randint(-scale, scale + 1, p.shape, generator=gen).to(p.dtype) / scale)
    return module


def exact_point(*inputs) -> list[Fraction]:
    return [Fraction(v) for t in inputs for v in torch.as_tensor(t, dtype=D).reshape(-1).tolist()]


def exact_values(program, *inputs) -> list[Fraction]:
    return list(semialg.exact_value(program, exact_point(*inputs)))


def torch_values(f, *inputs) -> list[Fraction]:
    with torch.no_grad():
        out = f(*inputs)
    outs = out if isinstance(out, (tuple, list)) else [out]
    return [Fraction(v) for o in outs for v in o.reshape(-1).tolist()]


def autograd_jacobian(f, *inputs) -> list[Fraction]:
    """PyTorch's derivative by torch.autograd.grad: the Jacobian rows, row-major, exact."""
    xs = [torch.as_tensor(x, dtype=D).detach().clone().requires_grad_(True) for x in inputs]
    out = f(*xs)
    outs = torch.cat([o.reshape(-1) for o in (out if isinstance(out, (tuple, list)) else [out])])
    rows = []
    for i in range(outs.numel()):
        grads = torch.autograd.grad(outs[i], xs, retain_graph=True, allow_unused=True)
        for g, x in zip(grads, xs):
            rows.extend((torch.zeros_like(x) if g is None else g).reshape(-1).tolist())
    return [Fraction(v) for v in rows]


def assert_values(f, example, points):
    program = from_torch(f, *example)
    for point in points:
        assert exact_values(program, *point) == torch_values(f, *point), point


def assert_derivatives(f, example, points):
    field = torch_derivative(f, *example)
    for point in points:
        assert exact_values(field, *point) == autograd_jacobian(f, *point), point


# --------------------------------------------------------------------------- values
ACTIVATIONS = [torch.nn.ReLU(), torch.nn.LeakyReLU(0.125), torch.nn.Hardtanh(), torch.nn.ReLU6()]


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda a: type(a).__name__)
def test_sequential_values(activation):
    model = dyadic_(torch.nn.Sequential(torch.nn.Linear(3, 5), activation, torch.nn.Linear(5, 2)).double(), seed=3)
    gen = torch.Generator().manual_seed(7)
    points = [(torch.randint(-16, 17, (3,), generator=gen).to(D) / 4,) for _ in range(6)] + [(vec(0, 0, 0),)]
    assert_values(model, (vec(0.5, -1, 2),), points)


def test_float32_module_weights_are_read_exactly():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))  # float32, random
    program = from_torch(model, vec(0.5, 0.25))
    assert next(model.parameters()).dtype == torch.float32  # the user's module is not changed
    value = float(exact_values(program, vec(0.5, 0.25))[0])
    with torch.no_grad():
        assert value == pytest.approx(float(model.double()(vec(0.5, 0.25))[0]), abs=1e-12)


def pointwise(x):
    return torch.stack([torch.maximum(x[0], x[1]), torch.minimum(x[1], x[2]), torch.clamp(x[2], -1, 1),
                        torch.clamp(x[0], min=0), torch.clamp(x[0], min=x[1], max=x[2]), torch.abs(x[0] - x[2]),
                        F.leaky_relu(x[1], 0.25), torch.where(x[0] > x[1], x[0] * x[1], 2 * x[2]),
                        (x[1] ** 3) - x[:2].mean(), torch.sign(x[2]), F.relu6(4 * x[0]), F.hardtanh(x[1])])


def sorted_weighted(x):
    return (torch.sort(x).values * vec(1, 2, 4, 8)).sum() + torch.sort(x, descending=True).values[0]


def reductions(x):
    m = x.view(2, 3)
    return torch.cat([torch.max(m, dim=1).values, torch.amin(m, dim=0), torch.max(x).reshape(1),
                      m.sum(dim=0), m.mean(dim=0, keepdim=True).reshape(-1), m.t().reshape(-1)[:2]])


def pooled(x):
    return F.max_pool2d(x.view(1, 1, 4, 4), kernel_size=2, stride=1).reshape(-1)


POINTS3 = [(vec(0.5, -1, 2),), (vec(1, 1, 1),), (vec(0, 0, 0),), (vec(-2, 1, 1),), (vec(2, 3, -1),), (vec(1, 1, -1),)]
POINTS4 = [(vec(0.5, -1, 2, 0),), (vec(1, 1, 1, 1),), (vec(0, 2, 0, 2),), (vec(-1, 3, 3, -2),)]
POINTS6 = [(vec(1, 2, 3, 4, 5, 6),), (vec(2, 2, 1, 1, 1, 0),), (vec(0, 0, 0, 0, 0, 0),), (vec(3, -1, 3, 2, 2, -4),)]
POINTS16 = [(torch.arange(16, dtype=D) % 5 - 2,), (torch.zeros(16, dtype=D),), (torch.arange(16, dtype=D) / 4,),
            (vec(1, 1, 0, 2, 1, 1, 2, 2, 0, 0, 3, 3, 0, 0, 3, 3),)]


@pytest.mark.parametrize("f, example, points", [
    (pointwise, POINTS3[0], POINTS3), (sorted_weighted, POINTS4[0], POINTS4), (reductions, POINTS6[0], POINTS6),
    (pooled, POINTS16[0], POINTS16)], ids=["pointwise", "sort", "reductions", "max_pool2d"])
def test_function_values(f, example, points):
    assert_values(f, example, points)


def test_scalar_inputs_are_named_by_the_parameters():
    program = from_torch(lambda x, y: torch.maximum(x, 2 * y), 1.0, vec(0.5)[0])
    assert program.inputs == ("x", "y") and program.to_text() == "max(x, 2 * y)"
    assert from_torch(torch.nn.ReLU(), vec(1, 2)).inputs == ("x0", "x1")
    assert from_torch(lambda a, b: a * b, vec(1, 2), 3.0).inputs == ("a0", "a1", "b")
    assert from_torch(lambda x: x.sum(), vec(1, 2), names="u v").inputs == ("u", "v")


# --------------------------------------------------------------------------- derivatives at smooth points and kinks
def two_layer(x):
    w = torch.tensor([[1, -1, 0.5], [0.25, 2, -1]], dtype=D)
    return (torch.relu(w @ x) * vec(1, -2)).sum()


@pytest.mark.parametrize("f, example, points", [
    (two_layer, (vec(1, 2, 3),), [(vec(1, 2, 3),), (vec(1, 1, 0),), (vec(0, 0, 0),), (vec(4, 0, 1),)]),
    (lambda x: torch.relu(x).sum(), (vec(1, -1),), [(vec(0, 0),), (vec(0.5, -0.5),)]),
    (lambda x, y: torch.maximum(x, y), (1.0, 2.0), [(vec(1)[0], vec(1)[0]), (vec(1)[0], vec(2)[0])]),
    (lambda x, y: torch.minimum(x, 2 * y), (1.0, 2.0), [(vec(2)[0], vec(1)[0]), (vec(3)[0], vec(1)[0])]),
    (lambda x: torch.clamp(x, -1, 1).sum(), (vec(0, 2),), [(vec(-1, 1),), (vec(-2, 0.5),)]),
    (lambda x: torch.clamp(x[0], min=x[1], max=x[2]), (vec(0, -1, 1),),
     [(vec(-1, -1, 1),), (vec(1, -1, 1),), (vec(1, 1, 1),), (vec(2, 1, 0),), (vec(0, 1, 0),)]),
    (lambda x: torch.clamp(x, min=0).sum() + torch.clamp(x, max=1).sum(), (vec(0.5, 2),), [(vec(0, 1),)]),
    (lambda x: F.hardtanh(x).sum() + F.relu6(3 * x).sum(), (vec(0, 0.5),), [(vec(1, -1),), (vec(0, 2),)]),
    (lambda x: F.leaky_relu(x, 0.125).sum() + torch.abs(x).sum(), (vec(1, -1),), [(vec(0, 0),), (vec(2, -3),)]),
    (lambda x: torch.max(x.view(2, 3), dim=1).values @ vec(1, -2), POINTS6[0], POINTS6),
    (lambda x: torch.min(x.view(2, 3), dim=0, keepdim=True).values.sum(), POINTS6[0], POINTS6),
    (lambda x: torch.max(x) + 2 * torch.amax(x.view(3, 2), dim=1).sum() - torch.min(x), POINTS6[0],
     [(vec(1, 1, 1, 1, 0, 0),), (vec(2, 2, 1, 1, 1, 0),), (vec(3, -1, 3, 2, 2, -4),)]),  # tie counts 1, 2, 4: exact
    (sorted_weighted, POINTS4[0], POINTS4),
    (lambda x: (pooled(x) * torch.arange(9, dtype=D)).sum(), POINTS16[0], POINTS16),
    (lambda x: F.max_pool2d(x.view(1, 4, 4), 2).sum(), POINTS16[0], POINTS16),
], ids=["relu-net", "relu", "maximum", "minimum", "clamp", "clamp-tensor", "clamp-one-sided", "hardtanh-relu6",
        "leaky-abs", "max-dim", "min-dim", "max-amax-min", "sort", "max_pool2d-overlap", "max_pool2d"])
def test_derivatives_equal_autograd(f, example, points):
    assert_derivatives(f, example, [example] + list(points))


def test_vector_output_jacobian_rows():
    f = lambda x: torch.stack([torch.relu(x[0] - x[1]), torch.maximum(x[1], x[2]), torch.clamp(x[0], 0, 1)])
    field = torch_derivative(f, vec(1, 2, 3))
    assert field.n_outputs == 9
    for point in [(vec(1, 2, 3),), (vec(1, 1, 1),), (vec(0, 0, 0),), (vec(2, 1, 1),)]:
        assert exact_values(field, *point) == autograd_jacobian(f, *point)
    pointwise_field = torch_derivative(pointwise, *POINTS3[0])
    for point in POINTS3:
        assert exact_values(pointwise_field, *point) == autograd_jacobian(pointwise, *point)


# --------------------------------------------------------------------------- verdicts
class ReluPassingBelow(torch.autograd.Function):
    """relu whose backward lets the gradient through wherever x >= -1 (wrong on (-1, 0))."""

    @staticmethod
    def forward(x):
        return x.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x >= -1).to(grad.dtype)


class StraightThroughClamp(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return x.clamp(-1, 1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):
        return grad


class OldStyleReluPassingBelow(torch.autograd.Function):
    """The same wrong backward, written without setup_context (traced with torch.autograd.grad)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x >= -1).to(grad.dtype)


def test_relu_module_with_dyadic_weights_is_conservative():
    model = dyadic_(torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).double(),
                    seed=1, scale=4)
    x = vec(0.5, -0.25)
    result = check(from_torch(model, x), field=torch_derivative(model, x))
    assert result.verdict == "conservative", result.reason


@pytest.mark.parametrize("function", [ReluPassingBelow, StraightThroughClamp, OldStyleReluPassingBelow],
                         ids=lambda c: c.__name__)
def test_wrong_custom_backward_is_not_conservative(function):
    f = lambda x: 2 * function.apply(x - 0.5) + x
    x = vec(0.25)[0]
    result = check(from_torch(f, x), field=torch_derivative(f, x))
    assert result.verdict == "not_conservative", result.reason
    witness = result.witness
    point = vec(*[float(c) for c in witness.point])[0]
    assert exact_point(point) == list(witness.point)
    assert autograd_jacobian(f, point) == list(witness.field_value)
    assert witness.derivative_along_curve != witness.field_along_curve


# --------------------------------------------------------------------------- errors
def test_sin_is_refused_by_name():
    with pytest.raises(UnsupportedError, match=r"aten\.sin.*not semialgebraic / not piecewise polynomial"):
        from_torch(lambda x: torch.sin(x) + x, vec(1, 2))
    with pytest.raises(UnsupportedError, match="sigmoid"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid()).double(), vec(1, 2))


def test_unsupported_constructions_are_refused():
    with pytest.raises(UnsupportedError, match="div"):
        from_torch(lambda x: x[0] / x[1], vec(1, 2))
    with pytest.raises(UnsupportedError, match="control flow"):
        from_torch(lambda x: x if x.sum() > 0 else -x, vec(1, 2))


def test_bad_arguments_raise_input_error():
    with pytest.raises(InputError, match="2 example inputs"):
        from_torch(lambda x: torch.relu(x), vec(1), vec(2))
    with pytest.raises(InputError, match="missing a required argument"):
        from_torch(lambda x, y: x * y, vec(1)[0])
    with pytest.raises(InputError, match="does not take 1 example input"):
        torch_derivative(lambda x, y: x * y, vec(1)[0])
    with pytest.raises(InputError, match="give example inputs"):
        from_torch(torch.relu)
    with pytest.raises(InputError, match="names="):
        from_torch(lambda x: x.sum(), vec(1, 2), names=["a"])
