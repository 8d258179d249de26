"""A PyTorch module with a custom ``torch.autograd.Function`` whose backward is wrong on (-1, 0).

``semialg check examples/frameworks/torch_gate.py:model --framework torch --example 0,0``
refutes PyTorch's own derivative with a witness that ``torch.autograd.grad`` reproduces.
"""
import torch


class Gate(torch.autograd.Function):
    """relu forward; the backward passes the gradient wherever x >= -1 (it should be x > 0)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x >= -1).to(grad.dtype)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(2, 3, dtype=torch.float64)
        self.out = torch.nn.Linear(3, 1, dtype=torch.float64)
        with torch.no_grad():
            self.hidden.weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 0.25], [-2.0, 1.0]]))
            self.hidden.bias.copy_(torch.tensor([0.0, -0.5, 1.0]))
            self.out.weight.copy_(torch.tensor([[1.0, 1.0, -0.5]]))
            self.out.bias.zero_()

    def forward(self, x):
        return self.out(Gate.apply(self.hidden(x))).sum()


model = Net()
