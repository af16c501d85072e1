"""The expression network: torchvision's ResNet18 with a stem sized for small face crops."""
from __future__ import annotations

import torch
from torch import nn
from torchvision.models import resnet18


def build(num_classes: int, channels: int = 1, stem: str = "imagenet") -> nn.Module:
    """ResNet18 from scratch.

    stem "imagenet": the original 7x7/2 conv + max-pool (for 160x160, the seed recipe).
    stem "small": a 3x3/1 conv + max-pool, so a 48-64 px face keeps 4x the spatial detail
    in every residual stage (24x24 maps in layer1 at 48 px instead of 12x12).
    """
    net = resnet18(num_classes=num_classes)
    if stem == "small":
        net.conv1 = nn.Conv2d(channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
    else:
        net.conv1 = nn.Conv2d(channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return net


class Probabilities(nn.Module):
    """What the app runs: the mean softmax of one or more networks (an ensemble), each on
    the face and, with `flip`, on its mirror image (test-time augmentation).

    With `features`, also the penultimate features (each network's pooled 512 values, averaged
    over the face and its mirror, the networks side by side): what a per-person profile
    compares faces by (face2emoji_tray.profile).
    """

    def __init__(self, nets: list[nn.Module], flip: bool = True, features: bool = False) -> None:
        super().__init__()
        self.nets, self.flip, self.features = nn.ModuleList(nets), flip, features

    def forward(self, x: torch.Tensor):
        views = torch.cat([x, torch.flip(x, dims=[3])]) if self.flip else x
        n = x.shape[0]
        feats = [torch.flatten(nn.Sequential(*list(net.children())[:-1])(views), 1)
                 for net in self.nets]
        p = torch.stack([torch.softmax(net.fc(f), dim=1) for net, f in zip(self.nets, feats)]).mean(0)
        f = torch.cat(feats, dim=1)
        if self.flip:
            p, f = (p[:n] + p[n:]) / 2, (f[:n] + f[n:]) / 2
        return (p, f) if self.features else p
