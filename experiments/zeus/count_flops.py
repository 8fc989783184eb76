#!/usr/bin/env python3
"""Parameter counts and forward FLOPs per sample of the Zeus (NSDI'23) workloads.

Counts with torch.utils.flop_counter.FlopCounterMode (a multiply-add = 2 FLOP) on models built
from torchvision or from torch.nn with the published sizes; writes
experiments/reference/zeus-nsdi23/model_facts.yaml. Run: /usr/bin/python3 experiments/zeus/count_flops.py
"""
import os
import sys

import torch
import torch.nn as nn
try:
    from torch.utils.flop_counter import FlopCounterMode
except ImportError:  # torch < 2.1 (Debian's 1.13): the same counting rules on the dispatcher
    from torch.utils._python_dispatch import TorchDispatchMode

    aten = torch.ops.aten

    def _numel(shape):
        n = 1
        for d in shape:
            n *= d
        return n

    class FlopCounterMode(TorchDispatchMode):
        """Counts 2 FLOP per multiply-add of mm/addmm/bmm/baddbmm/convolution, as
        torch.utils.flop_counter does."""

        def __init__(self, display=False):
            super().__init__()
            self.total = 0

        def get_total_flops(self):
            return self.total

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            p = func.overloadpacket
            if p in (aten.mm, aten.addmm):
                a, b = (args[0], args[1]) if p is aten.mm else (args[1], args[2])
                self.total += 2 * a.shape[0] * a.shape[1] * b.shape[1]
            elif p in (aten.bmm, aten.baddbmm):
                a, b = (args[0], args[1]) if p is aten.bmm else (args[1], args[2])
                self.total += 2 * a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
            elif p is aten.convolution:
                w = args[1]
                self.total += 2 * _numel(out.shape) * _numel(w.shape[1:])
            return out

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "reference", "zeus-nsdi23", "model_facts.yaml")


def count(model, *inputs, batch=2):
    model.train()  # train mode: no fused inference fast paths (nn.TransformerEncoder)
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(*inputs)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return params, fc.get_total_flops() / batch


# torchvision is not installed here: ResNet50 and ShuffleNetV2 x1.0 are re-built below with
# torchvision's architecture (same layer shapes, so the same parameter and FLOP counts).
class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return torch.relu(self.body(x) + (self.down(x) if self.down is not None else x))


def resnet50(num_classes=1000):
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for k in range(blocks):
            layers.append(Bottleneck(cin, width, stride if k == 0 else 1))
            cin = width * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, num_classes)]
    return nn.Sequential(*layers)


def channel_shuffle(x, groups=2):
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        half = cout // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin),
                nn.Conv2d(cin, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU())
        b2_in = cin if stride > 1 else half
        self.branch2 = nn.Sequential(
            nn.Conv2d(b2_in, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(),
            nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False), nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU())

    def forward(self, x):
        if self.stride == 1:
            a, b = x.chunk(2, dim=1)
            out = torch.cat((a, self.branch2(b)), 1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), 1)
        return channel_shuffle(out)


def shufflenet_v2_x1_0(num_classes=1000):
    chans = (24, 116, 232, 464, 1024)
    layers = [nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 24
    for cout, repeats in zip(chans[1:4], (4, 8, 4)):
        for k in range(repeats):
            layers.append(ShuffleUnit(cin, cout, 2 if k == 0 else 1))
            cin = cout
    layers += [nn.Conv2d(cin, 1024, 1, bias=False), nn.BatchNorm2d(1024), nn.ReLU(),
               nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, num_classes)]
    return nn.Sequential(*layers)


class Bert(nn.Module):
    """BERT-base: 12 layers, hidden 768, 12 heads, FFN 3072, vocab 30522, 512 positions, with the
    task head (sentiment140: [CLS] -> 2 classes; SQuAD: per-token start/end logits)."""

    def __init__(self, head_out, per_token):
        super().__init__()
        self.tok = nn.Embedding(30522, 768)
        self.pos = nn.Embedding(512, 768)
        self.typ = nn.Embedding(2, 768)
        self.norm = nn.LayerNorm(768)
        layer = nn.TransformerEncoderLayer(768, 12, 3072, activation="gelu", batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 12, enable_nested_tensor=False)
        self.pool = nn.Linear(768, 768)
        self.head = nn.Linear(768, head_out)
        self.per_token = per_token

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        h = self.enc(self.norm(self.tok(ids) + self.pos(pos) + self.typ(torch.zeros_like(ids))))
        return self.head(h) if self.per_token else self.head(torch.tanh(self.pool(h[:, 0])))


class DeepSpeech2(nn.Module):
    """DeepSpeech2 as in the Zeus code base (SeanNaren/deepspeech.pytorch defaults): 2 conv
    layers (32 channels, 41x11 / 21x11 kernels, strides 2x2 / 2x1), 5 bidirectional LSTM layers
    of 1024 hidden units, 29 output characters; input 161 spectrogram bins (20 ms window at
    16 kHz), a 15 s utterance at 10 ms hop = 1500 frames (assumed mean LibriSpeech length ~12.3 s
    rounded up for padding within a batch)."""

    def __init__(self, frames=1500):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, (41, 11), (2, 2), (20, 5)), nn.BatchNorm2d(32), nn.Hardtanh(0, 20),
            nn.Conv2d(32, 32, (21, 11), (2, 1), (10, 5)), nn.BatchNorm2d(32), nn.Hardtanh(0, 20))
        self.rnn = nn.LSTM(32 * 41, 1024, num_layers=5, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2048, 29, bias=False)
        self.frames = frames

    def forward(self, x):
        x = self.conv(x)  # B x 32 x 41 x T/2
        b, c, f, t = x.shape
        x = x.permute(0, 3, 1, 2).reshape(b, t, c * f)
        x, _ = self.rnn(x)
        return self.fc(x)


class NCF(nn.Module):
    """NeuMF (He et al., WWW'17) on MovieLens-1M: 6040 users, 3706 items, GMF factor 8 and MLP
    layers 64-32-16-8 (embedding 32 per side), as in the Zeus code base's NCF defaults (assumed:
    predictive factors 8)."""

    def __init__(self, users=6040, items=3706, factor=8, layers=(64, 32, 16, 8)):
        super().__init__()
        self.gu, self.gi = nn.Embedding(users, factor), nn.Embedding(items, factor)
        self.mu, self.mi = nn.Embedding(users, layers[0] // 2), nn.Embedding(items, layers[0] // 2)
        mlp = []
        for a, b in zip(layers[:-1], layers[1:]):
            mlp += [nn.Linear(a, b), nn.ReLU()]
        self.mlp = nn.Sequential(*mlp)
        self.out = nn.Linear(factor + layers[-1], 1)

    def forward(self, u, i):
        g = self.gu(u) * self.gi(i)
        m = self.mlp(torch.cat([self.mu(u), self.mi(i)], -1))
        return self.out(torch.cat([g, m], -1))


def main():
    facts = {}
    p, f = count(resnet50(), torch.randn(2, 3, 224, 224))
    facts["resnet50"] = (p, f, "resnet50 (torchvision architecture), 3x224x224 input, 1000 classes")
    p, f = count(shufflenet_v2_x1_0(num_classes=100), torch.randn(2, 3, 32, 32))
    facts["shufflenetv2"] = (p, f, "shufflenet_v2_x1_0 (torchvision architecture), 3x32x32 CIFAR-100 input, 100 classes")
    p, f = count(Bert(2, False), torch.randint(0, 30522, (2, 128)))
    facts["bert_sentiment140"] = (p, f, "BERT-base from nn.TransformerEncoder (12 x 768, 12 heads, FFN 3072, vocab 30522), sequence 128, 2-class head")
    p, f = count(Bert(2, True), torch.randint(0, 30522, (2, 384)))
    facts["bert_squad"] = (p, f, "BERT-base as above, sequence 384 (SQuAD max_seq_length), start/end span head")
    p, f = count(DeepSpeech2(), torch.randn(2, 1, 161, 1500))
    facts["deepspeech2"] = (p, f, "DeepSpeech2: 2 conv (32 ch) + 5 x BiLSTM 1024 + FC 29; 161 bins x 1500 frames (15 s) per utterance (assumption)")
    p, f = count(NCF(), torch.randint(0, 3706, (2,)), torch.randint(0, 3706, (2,)))
    facts["ncf"] = (p, f, "NeuMF: GMF factor 8 + MLP 64-32-16-8, 6040 users, 3706 items (assumption: factor 8)")
    lines = ["# Parameter counts and forward FLOP per sample of the Zeus workloads, counted by",
             "# experiments/zeus/count_flops.py (torch.utils.flop_counter.FlopCounterMode or, on torch < 2.1, its",
             "# counting rules for mm/addmm/bmm/convolution re-implemented on the dispatcher; torch " + torch.__version__ + ").",
             "# FLOP: a multiply-add counts 2; training costs ~3x the forward pass. Embedding lookups count 0.",
             "models:"]
    for k, (p, f, how) in facts.items():
        lines.append(f"  {k}: {{parameters: {p}, forward_flops_per_sample: {f:.6g}, how: \"{how}\"}}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
