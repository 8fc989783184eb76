#!/usr/bin/env python3
"""A complete DDP training job that captures ddpsim's calibration files.

A tiny CNN trains on random ImageNet-shaped data (``--image-size 224 --classes 1000``) or on
small random images (the default, fast on CPU). Run it stand-alone, spawning ``--world-size``
processes on this host::

    python3 example_train.py --device cpu --backend gloo --world-size 2 --steps 20 --out /tmp/cap
    python3 example_train.py --device cuda --backend nccl --lbs 256 --image-size 224 --out /tmp/cap

or under a launcher that sets RANK, WORLD_SIZE and LOCAL_RANK (torchrun, or srun with a wrapper
that exports them)::

    torchrun --nproc-per-node 4 example_train.py --device cuda --backend nccl --out $OUT

It writes ``steps.csv``, ``power_<host>.csv`` (one per node) and ``meta.yaml`` to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddpsim_capture as capture  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--backend", choices=["gloo", "nccl"], default=None, help="default: nccl on cuda, gloo on cpu")
    p.add_argument("--world-size", type=int, default=None,
                   help="processes to spawn on this host (default: GPUs on cuda, 2 on cpu); ignored under torchrun")
    p.add_argument("--lbs", type=int, default=8, help="local batch size (per rank)")
    p.add_argument("--steps", type=int, default=20, help="training steps per rank and epoch")
    p.add_argument("--epochs", type=int, default=1, help="passes over the data set (each starts the loader's workers anew)")
    p.add_argument("--dataset", choices=["random", "jpeg"], default="random",
                   help="random: tensors in memory; jpeg: JPEG files on disk decoded with PIL and randomly "
                        "cropped per sample, like torchvision's ImageNet pipeline")
    p.add_argument("--jpeg-files", type=int, default=64, help="distinct JPEG files written for --dataset jpeg")
    p.add_argument("--data-dir", default=None, help="where --dataset jpeg writes its files (default: OUT/jpeg)")
    p.add_argument("--persistent-workers", action="store_true", help="keep the loader's workers across epochs")
    p.add_argument("--image-size", type=int, default=32, help="square image side (224 for ImageNet shape)")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes per rank")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads per rank")
    p.add_argument("--interval", type=float, default=0.1, help="power sampling interval in seconds")
    p.add_argument("--workload", default="example-cnn", help="workload name recorded in meta.yaml")
    p.add_argument("--hardware", default=None, help="hardware name recorded in meta.yaml (default: the device name)")
    p.add_argument("--out", required=True, help="output directory")
    args = p.parse_args(argv)
    if args.backend is None:
        args.backend = "nccl" if args.device == "cuda" else "gloo"
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda, but torch sees no CUDA device")
    if args.backend == "nccl" and args.device != "cuda":
        p.error("--backend nccl needs --device cuda")
    if args.world_size is None:
        args.world_size = torch.cuda.device_count() if args.device == "cuda" else 2
    for name in ("world_size", "lbs", "steps", "epochs", "image_size", "classes", "threads", "jpeg_files"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    if args.interval <= 0:
        p.error("--interval must be positive")
    if args.persistent_workers and args.workers == 0:
        p.error("--persistent-workers needs --workers > 0")
    return args


class TinyCNN(nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        return self.head(self.features(x))


class JpegDataset(torch.utils.data.Dataset):
    """JPEG files decoded with PIL per sample: a random crop of 8-100 % of the area resized to
    ``size`` x ``size``, a random flip, then a normalised float tensor (the CPU work of
    torchvision's RandomResizedCrop ImageNet pipeline, without needing torchvision)."""

    def __init__(self, files, labels, size: int):
        self.files, self.labels, self.size = files, labels, size

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        import random
        from PIL import Image
        with open(self.files[i % len(self.files)], "rb") as f:
            img = Image.open(f).convert("RGB")
        w, h = img.size
        rng = random.Random(i)
        area = w * h * rng.uniform(0.08, 1.0)
        cw = max(1, min(w, int(round(area ** 0.5))))
        ch = max(1, min(h, int(round(area / cw))))
        x0, y0 = rng.randint(0, w - cw), rng.randint(0, h - ch)
        img = img.resize((self.size, self.size), Image.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))
        if rng.random() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        t = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).view(self.size, self.size, 3)
        t = t.permute(2, 0, 1).float().div_(255.0)
        mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
        return (t - mean) / std, self.labels[i]


def write_jpegs(directory: str, count: int, seed: int = 1234):
    """Writes ``count`` 500 x 375 JPEGs (quality 90, ~110 kB like an average ImageNet image) of
    smooth random colour fields; returns their paths."""
    from PIL import Image
    os.makedirs(directory, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    paths = []
    for k in range(count):
        path = os.path.join(directory, f"img{k:04d}.jpg")
        if not os.path.exists(path):
            low = torch.rand(3, 12, 16, generator=g)
            field = torch.nn.functional.interpolate(low[None], size=(375, 500), mode="bilinear", align_corners=False)[0]
            field = (field + 0.25 * torch.rand(3, 375, 500, generator=g)).clamp(0, 1)
            pixels = (field.permute(1, 2, 0) * 255).to(torch.uint8).contiguous()
            Image.frombytes("RGB", (500, 375), bytes(pixels.flatten().tolist())).save(path, quality=90)
        paths.append(path)
    return paths


def probe_sample_s(dataset, samples: int = 32) -> float:
    """Mean seconds to produce one sample in this process (the loader's per-sample CPU cost)."""
    import time
    dataset[0]
    t0 = time.perf_counter()
    for i in range(samples):
        dataset[i]
    return (time.perf_counter() - t0) / samples


def parent_rss_gb() -> float:
    """Resident memory of this process in GB (what fork copies page tables for)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9


def train(rank: int, world_size: int, local_rank: int, args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    if args.device == "cuda":
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    dist.init_process_group(args.backend, rank=rank, world_size=world_size)

    generator = torch.Generator().manual_seed(1234)
    samples = args.lbs * world_size * args.steps
    labels = torch.randint(0, args.classes, (samples,), generator=generator)
    if args.dataset == "jpeg":
        files = write_jpegs(args.data_dir or os.path.join(args.out, "jpeg"), args.jpeg_files) if rank == 0 else None
        dist.barrier()
        if files is None:
            files = write_jpegs(args.data_dir or os.path.join(args.out, "jpeg"), args.jpeg_files)
        dataset = JpegDataset(files, labels, args.image_size)
    else:
        images = torch.randn(samples, 3, args.image_size, args.image_size, generator=generator)
        dataset = TensorDataset(images, labels)
    sample_s = probe_sample_s(dataset)
    sampler_of_dataset = DistributedSampler(dataset, seed=0)
    loader = DataLoader(dataset, batch_size=args.lbs, sampler=sampler_of_dataset, drop_last=True,
                        num_workers=args.workers, pin_memory=args.device == "cuda",
                        persistent_workers=args.persistent_workers)

    torch.manual_seed(0)
    model = DistributedDataParallel(TinyCNN(args.classes).to(device),
                                    device_ids=[local_rank] if args.device == "cuda" else None)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    timer = capture.StepTimer(args.out, model)
    sampler = capture.PowerSampler.for_node(args.out, args.interval) if local_rank == 0 else None
    if rank == 0:
        hardware = args.hardware or (torch.cuda.get_device_name(device) if args.device == "cuda" else "cpu")
        capture.write_meta(args.out, args.workload, hardware, args.lbs, args.interval, device=args.device,
                           steps=args.steps, epochs=args.epochs, image_size=args.image_size,
                           power_source=sampler.source, dataset=args.dataset, workers=args.workers,
                           persistent_workers=int(args.persistent_workers), threads=args.threads,
                           sample_s=sample_s, cpus=os.cpu_count() or 0, parent_rss_gb=parent_rss_gb(),
                           start_method=torch.multiprocessing.get_start_method())

    model.train()
    for epoch in range(args.epochs):
        sampler_of_dataset.set_epoch(epoch)
        for x, y in timer.loader(loader):
            with timer.phase("data_wait"):  # the host-to-device copy belongs to getting the batch
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with timer.phase("forward"):
                loss = criterion(model(x), y)
            with timer.phase("backward"):
                loss.backward()
            with timer.phase("optimizer"):
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            timer.end_step()

    steps_path = timer.close()
    if sampler is not None:
        sampler.stop()
    dist.barrier()
    if steps_path:
        print(f"example_train: {world_size} ranks x {len(timer.rows)} steps -> {steps_path}, "
              f"power ({sampler.source if sampler else 'other node'}), meta.yaml in {args.out}")
    # Every file is written. Leave without tearing down: in PyTorch 1.13 freeing a gloo process
    # group can deadlock (~ProcessGroupGloo joins a worker thread that waits for the GIL to free
    # a tensor, while the joining thread holds the GIL); it hung about 1 run in 25 here.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _spawned(index: int, world_size: int, args: argparse.Namespace) -> None:
    train(index, world_size, index, args)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:  # torchrun / a launcher set up the job
        train(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", "0")), args)
        return 0
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(_free_port())
    mp.spawn(_spawned, args=(args.world_size, args), nprocs=args.world_size, join=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
