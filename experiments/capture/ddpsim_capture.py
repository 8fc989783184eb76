"""Capture what ddpsim calibrates on, from inside your own PyTorch DDP training job.

Three files per job, in one output directory:

* ``steps.csv``: per rank and training step, the seconds spent waiting for data, in the
  forward pass, in the backward pass (compute), waiting for gradient allreduce after the
  backward pass (the *exposed* communication), and in the optimizer step. Columns
  ``rank,step,data_wait_s,forward_s,backward_s,allreduce_wait_s,optimizer_s,start_unix_s``.
* ``power_<host>.csv``: GPU power and utilisation of the node, sampled every ``interval_s`` in
  nvidia-smi's CSV format (``timestamp, index, power.draw [W], utilization.gpu [%]``), from
  NVML (pynvml) or ``nvidia-smi -lms``; without either (a CPU-only machine) the file holds a
  ``# no GPU`` note and no rows.
* ``meta.yaml``: workload, hardware, world size, batch sizes, interval, versions, host, date.

ddpsim reads them with ``read_step_csv`` and ``read_nvidia_smi_csv`` (calibration/readers.hpp).
See README.md next to this file; ``example_train.py`` shows the calls in a complete job.

Usage inside a training loop::

    timer = StepTimer(out_dir, ddp_model)          # registers a DDP communication hook
    sampler = PowerSampler.for_node(out_dir, 0.1)  # on one rank per node (local rank 0)
    for batch in timer.loader(train_loader):       # times the wait for each batch
        with timer.phase("forward"):
            loss = criterion(ddp_model(x), y)
        with timer.phase("backward"):
            loss.backward()                        # allreduce wait is split off by the hook
        with timer.phase("optimizer"):
            optimizer.step(); optimizer.zero_grad()
        timer.end_step()
    timer.close()                                  # every rank: gathers rows, rank 0 writes
    sampler.stop()

Only the standard library and torch are needed.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import shutil
import socket
import subprocess
import threading
import time
from typing import Callable, Iterable, Iterator, List, Optional

import torch
import torch.distributed as dist

STEP_COLUMNS = ["rank", "step", "data_wait_s", "forward_s", "backward_s", "allreduce_wait_s", "optimizer_s", "start_unix_s"]
PASS_COLUMNS = ["rank", "pass", "first_step", "iterator_s", "first_wait_s"]
PHASES = ("data_wait", "forward", "backward", "optimizer")
POWER_HEADER = "timestamp, index, power.draw [W], utilization.gpu [%]"


def _rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def nvidia_smi_timestamp(when: Optional[datetime.datetime] = None) -> str:
    """Local time as nvidia-smi writes it: ``YYYY/MM/DD HH:MM:SS.mmm``."""
    when = when or datetime.datetime.now()
    return when.strftime("%Y/%m/%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}"


class StepTimer:
    """Per-step phase times of one rank.

    On CUDA every phase boundary synchronises the device (so each phase holds its GPU work) and
    the allreduce wait is measured with CUDA events recorded when each gradient bucket is ready
    and when its allreduce has finished; on CPU ``time.perf_counter`` does both.

    The exposed allreduce wait of a step is the time from the moment the last gradient bucket is
    ready (backward compute is done) until the last allreduce has finished; it is taken out of
    the backward phase, so ``backward_s`` is compute only.
    """

    def __init__(self, out_dir: str, model: Optional[torch.nn.Module] = None, device: Optional[torch.device] = None,
                 comm_hook: Optional[Callable] = None, comm_state=None, file_name: str = "steps.csv"):
        self.out_dir = out_dir
        self.file_name = file_name
        self.rank = _rank()
        if device is None and model is not None:
            device = next(model.parameters()).device
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.cuda = self.device.type == "cuda"
        self.rows: List[list] = []
        self.passes: List[list] = []  # rank, pass, first step, iterator creation s, first wait s
        self._lock = threading.Lock()
        self._step = 0
        self._times = dict.fromkeys(PHASES, 0.0)
        self._start_unix = None
        self._buckets: list = []  # (ready, done) per bucket of the current step
        os.makedirs(out_dir, exist_ok=True)
        if model is not None:
            self.attach(model, comm_hook, comm_state)

    # -- communication hook -------------------------------------------------------------------
    def attach(self, model: torch.nn.Module, comm_hook: Optional[Callable] = None, comm_state=None) -> None:
        """Registers a DDP communication hook that times each bucket's allreduce. ``comm_hook``
        (default: DDP's own allreduce) is wrapped, so a compression hook keeps working. DDP
        accepts one hook per model: register yours through this call, not before it."""
        if not hasattr(model, "register_comm_hook"):
            raise TypeError("StepTimer.attach needs a DistributedDataParallel model")
        if comm_hook is None:
            from torch.distributed.algorithms.ddp_comm_hooks import default_hooks
            comm_hook = default_hooks.allreduce_hook

        def timed_hook(state, bucket):
            ready = self._mark()
            fut = comm_hook(state, bucket)
            record = [ready, None]
            with self._lock:
                self._buckets.append(record)

            def done(f):
                record[1] = self._mark()
                return f.value()

            return fut.then(done)

        model.register_comm_hook(comm_state, timed_hook)

    def _mark(self):
        """A point in time: a CUDA event on the current stream, or perf_counter seconds."""
        if self.cuda:
            event = torch.cuda.Event(enable_timing=True)
            event.record()
            return event
        return time.perf_counter()

    def _exposed_wait_s(self) -> float:
        with self._lock:
            buckets = [b for b in self._buckets if b[1] is not None]
            self._buckets = []
        if not buckets:
            return 0.0
        if self.cuda:
            # Events complete in stream order; the last ready bucket is the last one launched.
            last_ready = buckets[-1][0]
            wait_ms = max(last_ready.elapsed_time(b[1]) for b in buckets)
            return max(0.0, wait_ms / 1000.0)
        last_ready = max(b[0] for b in buckets)
        return max(0.0, max(b[1] for b in buckets) - last_ready)

    # -- phases -------------------------------------------------------------------------------
    def _now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize(self.device)
        return time.perf_counter()

    @contextlib.contextmanager
    def phase(self, name: str):
        """Times the enclosed code as phase ``name`` (data_wait, forward, backward, optimizer);
        times add up if a phase is entered twice in a step."""
        if name not in self._times:
            raise ValueError(f"unknown phase {name!r}; phases: {', '.join(PHASES)}")
        if self._start_unix is None:
            self._start_unix = time.time()
        t0 = self._now()
        try:
            yield
        finally:
            self._times[name] += self._now() - t0

    def loader(self, iterable: Iterable) -> Iterator:
        """Iterates ``iterable`` (one pass), timing each ``next()`` as the step's data wait. The
        first step's wait includes creating the iterator: a DataLoader with non-persistent workers
        forks them there. Each pass is recorded for ``passes.csv``: the iterator creation time
        and the wait for the first batch (which includes it)."""
        self._start_unix = time.time()
        t_iter = self._now()
        it = iter(iterable)
        iter_s = self._now() - t_iter
        self._times["data_wait"] += iter_s
        first = True
        while True:
            if self._start_unix is None:
                self._start_unix = time.time()
            t0 = self._now()
            try:
                batch = next(it)
            except StopIteration:  # the end of the pass is no step
                self._start_unix = None
                return
            self._times["data_wait"] += self._now() - t0
            if first:
                self.passes.append([self.rank, len(self.passes), self._step, iter_s, self._times["data_wait"]])
                first = False
            yield batch

    def end_step(self) -> None:
        """Closes the current step: splits the exposed allreduce wait off the backward phase."""
        if self.cuda:
            torch.cuda.synchronize(self.device)  # the bucket events must have completed
        wait_s = min(self._exposed_wait_s(), self._times["backward"])
        t = self._times
        self.rows.append([self.rank, self._step, t["data_wait"], t["forward"], t["backward"] - wait_s, wait_s,
                          t["optimizer"], self._start_unix if self._start_unix is not None else time.time()])
        self._step += 1
        self._times = dict.fromkeys(PHASES, 0.0)
        self._start_unix = None

    # -- output -------------------------------------------------------------------------------
    def close(self) -> Optional[str]:
        """Writes the step CSV. With torch.distributed initialised every rank must call this: the
        rows are gathered to rank 0, which writes ``<out_dir>/steps.csv``. Returns its path on the
        writing rank, None elsewhere."""
        rows, passes = self.rows, self.passes
        if _world_size() > 1:
            gathered = [None] * _world_size() if self.rank == 0 else None
            dist.gather_object((rows, passes), gathered, dst=0)
            if self.rank != 0:
                return None
            rows = [r for part in gathered for r in part[0]]
            passes = [p for part in gathered for p in part[1]]
        rows.sort(key=lambda r: (r[0], r[1]))
        passes.sort(key=lambda p: (p[0], p[1]))
        path = os.path.join(self.out_dir, self.file_name)
        with open(path, "w") as f:
            f.write(",".join(STEP_COLUMNS) + "\n")
            for r in rows:
                f.write(f"{r[0]},{r[1]}," + ",".join(f"{v:.9f}" for v in r[2:7]) + f",{r[7]:.6f}\n")
        with open(os.path.join(self.out_dir, "passes.csv"), "w") as f:
            f.write(",".join(PASS_COLUMNS) + "\n")
            for p in passes:
                f.write(f"{p[0]},{p[1]},{p[2]},{p[3]:.9f},{p[4]:.9f}\n")
        return path


class PowerSampler:
    """Samples the power and utilisation of every GPU of this node in a background thread and
    writes them in nvidia-smi's CSV format. Start one per node (e.g. on local rank 0)."""

    def __init__(self, path: str, interval_s: float = 0.1):
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.path = path
        self.interval_s = interval_s
        self.source = "none"
        self.note = ""
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._process: Optional[subprocess.Popen] = None
        self._file = None

    @classmethod
    def for_node(cls, out_dir: str, interval_s: float = 0.1) -> "PowerSampler":
        """A started sampler writing ``<out_dir>/power_<host>.csv``."""
        os.makedirs(out_dir, exist_ok=True)
        sampler = cls(os.path.join(out_dir, f"power_{socket.gethostname()}.csv"), interval_s)
        sampler.start()
        return sampler

    def start(self) -> "PowerSampler":
        self._file = open(self.path, "w", buffering=1)
        nvml = self._try_nvml()
        if nvml is not None:
            self.source = "pynvml"
            self._file.write(f"# ddpsim_capture: NVML samples every {self.interval_s} s\n{POWER_HEADER}\n")
            self._thread = threading.Thread(target=self._nvml_loop, args=(nvml,), name="ddpsim-power", daemon=True)
            self._thread.start()
        elif self._nvidia_smi_works():
            self.source = "nvidia-smi"
            self._file.write(f"# ddpsim_capture: nvidia-smi samples every {self.interval_s} s\n{POWER_HEADER}\n")
            self._file.flush()
            self._process = subprocess.Popen(
                ["nvidia-smi", "--query-gpu=timestamp,index,power.draw,utilization.gpu", "--format=csv,noheader,nounits",
                 "-lms", str(max(1, int(round(self.interval_s * 1000))))],
                stdout=self._file, stderr=subprocess.DEVNULL)
        else:
            self.note = "no GPU: neither pynvml nor a working nvidia-smi was found, so no power samples"
            self._file.write(f"# {self.note}\n{POWER_HEADER}\n")
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._file is not None:
            self._file.close()
            self._file = None

    @staticmethod
    def _try_nvml():
        try:
            import pynvml  # type: ignore
            pynvml.nvmlInit()
            if pynvml.nvmlDeviceGetCount() == 0:
                return None
            return pynvml
        except Exception:  # not installed, or no driver
            return None

    @staticmethod
    def _nvidia_smi_works() -> bool:
        if shutil.which("nvidia-smi") is None:
            return False
        try:
            return subprocess.run(["nvidia-smi", "-L"], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False

    def _nvml_loop(self, nvml) -> None:
        handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
        next_t = time.perf_counter()
        while not self._stop.is_set():
            stamp = nvidia_smi_timestamp()
            lines = []
            for i, h in enumerate(handles):
                try:
                    power = f"{nvml.nvmlDeviceGetPowerUsage(h) / 1000.0:.2f}"  # mW -> W
                except Exception:
                    power = "[N/A]"
                try:
                    util = str(nvml.nvmlDeviceGetUtilizationRates(h).gpu)
                except Exception:
                    util = "[N/A]"
                lines.append(f"{stamp}, {i}, {power}, {util}\n")
            self._file.write("".join(lines))
            next_t += self.interval_s
            self._stop.wait(max(0.0, next_t - time.perf_counter()))
        nvml.nvmlShutdown()


def write_meta(out_dir: str, workload: str, hardware: str, lbs: int, interval_s: float, **extra) -> str:
    """Writes ``<out_dir>/meta.yaml`` (call on rank 0). ``extra`` adds keys (numbers/strings)."""
    world = _world_size()
    now = datetime.datetime.now().astimezone()
    meta = {
        "format": "ddpsim-capture/1",
        "workload": workload,
        "hardware": hardware,
        "world_size": world,
        "lbs": lbs,
        "gbs": lbs * world,
        "interval_s": interval_s,
        "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda or "none",
        "python_version": platform.python_version(),
        "hostname": socket.gethostname(),
        "date": now.isoformat(timespec="seconds"),
        "utc_offset_s": int(now.utcoffset().total_seconds()) if now.utcoffset() else 0,
        "backend": dist.get_backend() if dist.is_available() and dist.is_initialized() else "none",
        "files": {"steps": "steps.csv", "power": "power_<host>.csv"},
    }
    meta.update(extra)
    path = os.path.join(out_dir, "meta.yaml")
    os.makedirs(out_dir, exist_ok=True)
    with open(path, "w") as f:
        f.write("# written by experiments/capture/ddpsim_capture.py\n")
        for key, value in meta.items():
            if isinstance(value, dict):
                f.write(f"{key}:\n")
                for k, v in value.items():
                    f.write(f"  {k}: {_yaml_scalar(v)}\n")
            else:
                f.write(f"{key}: {_yaml_scalar(value)}\n")
    return path


def _yaml_scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
