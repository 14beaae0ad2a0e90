"""Make the PyTorch-exported fixtures of package flops (see README.md).

Run from this directory with Debian's PyTorch 1.13 and onnx 1.12:
    /usr/bin/python3 make_fixtures.py
No weights are downloaded; parameters are seeded random values.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Tiny(nn.Module):
    """A small network touching every op family the flops stage counts."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(8)  # after a ReLU, so export cannot fuse it
        self.dw = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8, bias=False)
        self.pw = nn.Conv2d(8, 16, 1)
        self.ln = nn.LayerNorm(16)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = self.bn(x)
        x = F.relu6(self.dw(x))
        x = F.hardswish(self.pw(x))
        t = x.flatten(2).transpose(1, 2)  # N x 64 x 16
        a = torch.softmax(torch.matmul(t, t.transpose(1, 2)), dim=-1)
        t = self.ln(torch.matmul(a, t))
        x = t.mean(dim=1)
        x = x.view(x.size(0), -1)
        return self.fc(x)


class FreshBN(nn.Module):
    """Batch norms left as initialised (scale 1, bias 0, mean 0, variance 1),
    as in torchvision's densenet121(weights=None). PyTorch 1.13 stores equal
    initializers once and feeds the other inputs through Identity, so the
    running statistics reach each BatchNormalization as Identity outputs."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)  # after a ReLU, so export cannot fuse it
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.bn1(F.relu(self.conv1(x)))
        x = self.bn2(F.relu(self.conv2(x)))
        return self.fc(x.mean(dim=(2, 3)))


def main():
    torch.manual_seed(0)
    model = Tiny().eval()
    with torch.no_grad():
        # Trained-looking statistics, so export keeps them as initializers
        # instead of deduplicating them with the fresh weight and bias.
        model.bn.weight.uniform_(0.5, 1.5)
        model.bn.bias.uniform_(-0.1, 0.1)
        model.bn.running_mean.uniform_(-0.1, 0.1)
        model.bn.running_var.uniform_(0.5, 1.5)
    x = torch.randn(1, 3, 16, 16)
    for opset in (13, 17):
        torch.onnx.export(
            model, x, f"tiny_pytorch_opset{opset}.onnx", opset_version=opset,
            input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        )
    torch.manual_seed(0)
    torch.onnx.export(
        FreshBN().eval(), torch.randn(1, 3, 8, 8), "fresh_bn_pytorch_opset13.onnx",
        opset_version=13, input_names=["input"], output_names=["logits"],
    )


if __name__ == "__main__":
    main()
