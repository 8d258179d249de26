"""Export a small PyTorch MLP to ONNX: ``python examples/frameworks/export_onnx.py mlp.onnx``.

Its weights are multiples of 1/8, so the float32 model and semialg's exact program agree
exactly. ``semialg check mlp.onnx --rule pytorch`` then checks PyTorch's backprop for it.
"""
import sys

import torch


def export(path: str = "mlp.onnx") -> str:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4), torch.nn.ReLU(),
                                torch.nn.Linear(4, 1))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.round(p * 8) / 8)
    torch.onnx.export(model, (torch.zeros(1, 2),), path, dynamo=False)
    return path


if __name__ == "__main__":
    print(export(*sys.argv[1:2]))
