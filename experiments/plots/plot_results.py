#!/usr/bin/python3
"""Figures from a ddpsim results database (and optionally a simulated power trace).

    /usr/bin/python3 experiments/plots/plot_results.py --db results.db --out figures/ \
        [--sweep whatif] [--workload resnet50] [--hardware a100] [--trace trace.csv] \
        [--format png|pdf|svg|png,pdf,svg|all] [--dpi 150] [--errorbars minmax|std|none]

writes, in each format,
    speedup.*            speed-up vs n per series, with the ideal (dotted)
    energy_vs_n.*        total energy vs n per series
    energy_vs_gpuh.*     total energy vs GPU hours per series, with the least-squares line and its
                         slope in kWh per GPUh where the fit means something (R^2 >= 0.9, slope > 0,
                         at least 3 points), else "—"
    power_timeline.*     power over time from `ddpsim run --power-trace FILE.csv`: the run's total,
                         GPU, CPU and RAM power above, the GPUs of node 0 below (only with --trace)

Every point is the mean over the seeds of its configuration, with bars from the smallest to the
largest value (--errorbars minmax, default) or +-1 standard deviation (std). The measured runs of
the calibration set (experiments/reference/calibration-set.yaml, Huber et al. 2025) that have the
configuration of a plotted point are drawn as black stars on the energy figures.
Style, labels and formats: ddpsim_style.py next to this file.

Uses only Debian's python3-matplotlib and the standard library (sqlite3, opened read-only).
Exit codes: 0 ok, 2 bad input, 77 matplotlib missing (ctest reports the test as skipped).
"""
import argparse
import csv
import math
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import ddpsim_style as st
except ImportError as e:
    if "matplotlib" not in str(e):
        raise
    print("plot_results: python3-matplotlib is missing (Debian: apt-get install python3-matplotlib)", file=sys.stderr)
    sys.exit(77)
import matplotlib.pyplot as plt  # noqa: E402

METRICS = ("runtime_h", "gpu_hours", "energy_kwh_total", "samples")
INTERVAL_METRICS = ("runtime_h", "gpu_hours", "energy_kwh_total")
CONFIG = ("workload", "phase", "hardware", "gpus", "lbs", "gbs", "epochs", "samples_per_gpu", "overrides")


def fail(msg):
    print(f"plot_results: error: {msg}", file=sys.stderr)
    sys.exit(2)


def connect(path):
    if not os.path.isfile(path):
        fail(f"{path}: no such results database")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError as e:
        fail(f"{path}: not a ddpsim results database ({e})")
    if app_id != 0x44445053:
        fail(f"{path}: not a ddpsim results database")
    db.row_factory = sqlite3.Row
    return db


def filters(args):
    """SQL conditions and parameters for --sweep/--workload/--hardware on runs r."""
    sql, params = "", []
    for col in ("workload", "hardware"):
        if getattr(args, col):
            sql += f" AND r.{col} = ?"
            params.append(getattr(args, col))
    if args.sweep:
        sql += " AND r.id IN (SELECT run_id FROM sweep_points WHERE sweep_id IN (SELECT id FROM sweeps WHERE name = ?))"
        params.append(args.sweep)
    return sql, params


def stats(values):
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "min": min(values), "max": max(values), "std": std}


def series_points(db, args):
    """{(series, calibration_id, version): [point]} where a point is {'n', 'seeds', 'config', metric:
    {'mean', 'min', 'max', 'std'}} over the seeds of one configuration (the runs that differ only in seed)."""
    cond, params = filters(args)
    have = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    # Prediction intervals (sweep key `interval: P`), in databases written since they exist.
    iv_cols = [f"r.{m}_{e}" for m in INTERVAL_METRICS for e in ("low", "high") if f"{m}_{e}" in have]
    q = (f"SELECT s.series AS series, r.calibration_id, r.version, {', '.join('r.' + c for c in CONFIG)}, r.seed, "
         f"r.runtime_h, r.gpu_hours, r.energy_kwh_total, CAST(r.train_samples AS REAL) * r.epochs AS samples"
         f"{''.join(', ' + c for c in iv_cols)} "
         f"FROM runs r JOIN run_series s ON s.run_id = r.id WHERE 1{cond} ORDER BY s.series, r.gpus, r.seed")
    groups = {}
    for r in db.execute(q, params):
        key = (r["series"], r["calibration_id"], r["version"])
        cfg = tuple(r[c] for c in CONFIG)
        groups.setdefault(key, {}).setdefault(cfg, []).append(r)
    out = {}
    for key, by_cfg in groups.items():
        pts = []
        for cfg, rows in sorted(by_cfg.items(), key=lambda kv: kv[0][3]):
            p = {"n": cfg[3], "seeds": len(rows), "config": dict(zip(CONFIG, cfg))}
            for m in METRICS:
                p[m] = stats([r[m] for r in rows])
            p["interval"] = {}
            for m in INTERVAL_METRICS:
                if f"r.{m}_low" in iv_cols and all(r[f"{m}_low"] is not None for r in rows):
                    # Over seeds: the widest interval (the seeds' spread is far below the model's).
                    p["interval"][m] = (min(r[f"{m}_low"] for r in rows), max(r[f"{m}_high"] for r in rows))
            pts.append(p)
        out[key] = pts
    return out


def bars(points, metric, how):
    """(lo, hi) lists for the error bars of `metric` (None, None without bars)."""
    if how == "none" or all(p["seeds"] < 2 for p in points):
        return None, None
    if how == "std":
        return ([p[metric]["mean"] - p[metric]["std"] for p in points],
                [p[metric]["mean"] + p[metric]["std"] for p in points])
    return [p[metric]["min"] for p in points], [p[metric]["max"] for p in points]


def interval_band(points, metric):
    """(n, low, high) of the points that carry a prediction interval of `metric`, or None."""
    pts = [p for p in points if metric in p.get("interval", {})]
    if not pts:
        return None
    return [p["n"] for p in pts], [p["interval"][metric][0] for p in pts], [p["interval"][metric][1] for p in pts]


def bar_note(series, how):
    seeds = sorted({p["seeds"] for pts in series.values() for p in pts})
    if seeds[-1] < 2:
        return ""
    if how == "none":
        return f"mean of {seeds[-1]} seeds"
    k = f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else f"{seeds[0]}"
    return f"mean of {k} seeds, bars: {'min to max' if how == 'minmax' else '±1 std'}"


def fit_line(x, y):
    """Least-squares line y = a + b x; returns (a, b, r2)."""
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((v - mx) ** 2 for v in x)
    syy = sum((v - my) ** 2 for v in y)
    sxy = sum((u - mx) * (v - my) for u, v in zip(x, y))
    if sxx == 0:
        return my, 0.0, 0.0
    b = sxy / sxx
    r2 = sxy * sxy / (sxx * syy) if syy else 1.0
    return my - b * mx, b, r2


class Figures:
    def __init__(self, series, args):
        self.series = series
        self.args = args
        names = sorted({k[0] for k in series})
        self.styles = st.series_styles(names)
        self.labels = st.series_labels(names)
        self.count = {}
        for k in series:
            self.count[k[0]] = self.count.get(k[0], 0) + 1
        self.measured = st.measured_runs()
        self.written = []
        self.banded = False  # the figure being drawn shows prediction intervals

    def label(self, key):
        text = self.labels[key[0]]
        if self.count[key[0]] > 1:  # the same series under several calibrations or versions
            text += f" [calibration {key[1][:8]}, {key[2]}]"
        return text

    def save(self, fig, name):
        self.written += st.save(fig, os.path.join(self.args.out, name), self.args.formats, self.args.dpi)
        plt.close(fig)

    def note(self):
        text = bar_note(self.series, self.args.errorbars)
        if self.banded:
            text += ("; " if text else "") + "shaded: prediction interval (calibration covariance + model discrepancy)"
        return "\n" + text if text else ""

    def new(self, extra=""):
        """Figure and axes sized for the legend (right of the axes, or below for many series)."""
        self.banded = False
        w, h, self.below = st.legend_layout([self.label(k) + extra for k in self.series])
        return st.figure(w, h)

    def legend(self, ax, title=None):
        st.legend_outside(ax, title=title, below=self.below)

    def add_measured(self, ax, xkey, ykey):
        """Black stars at the measured runs whose configuration is a plotted point (once each)."""
        return st.draw_measured(ax, self.measured, ((p["n"], p["config"]) for pts in self.series.values() for p in pts), xkey, ykey)

    def speedup(self):
        fig, ax = self.new()
        ns, ys, ideal_drawn = [], [], False
        for key, pts in self.series.items():
            b = pts[0]
            t0, s0 = b["runtime_h"]["mean"], b["samples"]["mean"]
            n = [p["n"] for p in pts]
            y = [t0 / p["runtime_h"]["mean"] for p in pts]
            lo, hi = bars(pts, "runtime_h", self.args.errorbars)
            if lo is not None:  # time t in [lo, hi] -> speed-up t0 / t in [t0 / hi, t0 / lo]
                lo, hi = [t0 / v for v in hi], [t0 / max(v, 1e-12) for v in lo]
            st.errorbars(ax, n, y, lo, hi, label=self.label(key), **self.styles[key[0]])
            # No band here: the runtime intervals of two points are correlated (the same
            # calibration), so t0 / t over their bounds would overstate the speed-up's spread.
            ideal = [(p["n"] / b["n"]) * (s0 / p["samples"]["mean"]) for p in pts]
            if ideal[-1] > 1.5:
                ax.plot(n, ideal, label=None if ideal_drawn else st.IDEAL_LABEL, **st.IDEAL_STYLE)
                ideal_drawn = True
                ys += ideal
            ns += n
            ys += y + (hi or [])
        st.log2_axis(ax, ns, "x")
        st.log2_axis(ax, ys, "y")
        ax.set_xlabel("GPUs n")
        ax.set_ylabel("speed-up vs the smallest n of the series")
        ax.set_title(f"Speed-up{self.note()}")
        self.legend(ax)
        self.save(fig, "speedup")

    def energy_vs_n(self):
        fig, ax = self.new()
        ns, ys = [], []
        for key, pts in self.series.items():
            n = [p["n"] for p in pts]
            y = [p["energy_kwh_total"]["mean"] for p in pts]
            lo, hi = bars(pts, "energy_kwh_total", self.args.errorbars)
            st.errorbars(ax, n, y, lo, hi, label=self.label(key), **self.styles[key[0]])
            band = interval_band(pts, "energy_kwh_total")
            if band:
                st.band(ax, band[0], band[1], band[2], self.styles[key[0]]["color"])
                self.banded = True
                ys += band[1] + band[2]
            ns += n
            ys += y
        ys += self.add_measured(ax, "n", "energy_kwh_total")[1]
        st.log2_axis(ax, ns, "x")
        st.log10_axis(ax, ys, "y")
        ax.set_xlabel("GPUs n")
        ax.set_ylabel("total energy (kWh)")
        ax.set_title(f"Energy vs number of GPUs{self.note()}")
        self.legend(ax)
        self.save(fig, "energy_vs_n")

    def energy_vs_gpuh(self):
        fig, ax = self.new(": 0.000")
        xs, ys = [], []
        for key, pts in self.series.items():
            x = [p["gpu_hours"]["mean"] for p in pts]
            y = [p["energy_kwh_total"]["mean"] for p in pts]
            sty = dict(self.styles[key[0]])
            line_style = sty.pop("ls")
            xlo, xhi = bars(pts, "gpu_hours", self.args.errorbars)
            lo, hi = bars(pts, "energy_kwh_total", self.args.errorbars)
            text = "—"
            if len(pts) >= 3:
                a, b, r2 = fit_line(x, y)
                if r2 >= 0.9 and b > 0:
                    text = f"{b:.3f}"
                    x0, x1 = min(x), max(x)  # a straight line is curved on log axes: sample it
                    fx = [x0 * (x1 / x0) ** (k / 40) for k in range(41)]
                    ax.plot(fx, [a + b * v for v in fx], color=sty["color"], ls=line_style, lw=1.0)
            st.errorbars(ax, x, y, lo, hi, xlo, xhi, ls="none", label=f"{self.label(key)}: {text}", **sty)
            xs += x
            ys += y
        mx, my = self.add_measured(ax, "gpu_hours", "energy_kwh_total")
        xs += mx
        ys += my
        st.log10_axis(ax, xs, "x")
        st.log10_axis(ax, ys, "y")
        ax.set_xlabel("GPU hours")
        ax.set_ylabel("total energy (kWh)")
        ax.set_title(f"Energy vs GPU hours{self.note()}")
        self.legend(ax, title="slope of the least-squares line, kWh per GPUh\n(—: R² < 0.9, slope ≤ 0 or < 3 points)")
        self.save(fig, "energy_vs_gpuh")


def power_timeline(trace, args):
    """Two panels over time: the run's total, GPU (all GPUs), CPU and RAM power; each GPU of node 0."""
    if not os.path.isfile(trace):
        fail(f"{trace}: no such power trace")
    with open(trace, newline="") as f:
        rows = list(csv.DictReader(f))
    need = ("time_s", "gpu_w", "cpu_w", "ram_w", "total_w")
    if not rows or any(c not in rows[0] for c in need):
        fail(f"{trace}: not a power trace of 'ddpsim run --power-trace' (header time_s,gpu_w,cpu_w,ram_w,total_w,...)")
    try:
        t = [float(r["time_s"]) for r in rows]
        col = {c: [float(r[c]) for r in rows] for c in rows[0]}
    except (TypeError, ValueError) as e:
        fail(f"{trace}: a value is not a number ({e})")
    unit, scale = ("s", 1.0) if t[-1] <= 300 else (("min", 60.0) if t[-1] <= 3 * 3600 else ("h", 3600.0))
    t = [v / scale for v in t]
    per_gpu = [c for c in rows[0] if c.startswith("gpu") and c[3:-2].isdigit() and c.endswith("_w")]
    fig, (top, bottom) = st.figure(7.6, 5.2, nrows=2, sharex=True, height_ratios=(1.15, 1))
    for i, (c, text) in enumerate((("total_w", "total (GPUs + CPUs + RAM)"), ("gpu_w", "all GPUs of the run (sum)"),
                                   ("cpu_w", "CPU sockets"), ("ram_w", "RAM"))):
        s = st.style(i)
        top.plot(t, col[c], color=s["color"], ls=st.LINESTYLES[i % len(st.LINESTYLES)], lw=1.4, label=text)
    top.set_ylabel("power of the run (W)")
    top.set_ylim(bottom=0)
    top.set_title("Simulated power timeline")
    st.legend_outside(top)
    for i, c in enumerate(per_gpu):
        s = st.style(i)
        bottom.plot(t, col[c], color=s["color"], ls=st.LINESTYLES[i % len(st.LINESTYLES)], lw=1.1, label=f"GPU {c[3:-2]}",
                    marker=st.MARKERS[i % len(st.MARKERS)], ms=4, mfc="none", mew=0.9, markevery=max(1, len(t) // 40))
    bottom.set_ylabel("power per GPU (W)")
    bottom.set_xlabel(f"time ({unit})")
    bottom.set_ylim(bottom=0)
    bottom.set_title("GPUs of node 0 (mean power per sample interval)", fontsize=8)
    if per_gpu:
        st.legend_outside(bottom)
    path = os.path.join(args.out, "power_timeline")
    written = st.save(fig, path, args.formats, args.dpi)
    plt.close(fig)
    return written


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", required=True, help="results database written by 'ddpsim sweep'")
    p.add_argument("--out", required=True, help="folder for the figures (created)")
    p.add_argument("--sweep", help="only runs of the sweeps with this name")
    p.add_argument("--workload", help="only this workload")
    p.add_argument("--hardware", help="only this hardware")
    p.add_argument("--trace", help="power trace CSV of 'ddpsim run --power-trace' for power_timeline")
    p.add_argument("--format", default="png", help="png, pdf, svg, a comma-separated list of them, or all (default png)")
    p.add_argument("--dpi", type=float, default=150, help="resolution of PNG files (default 150)")
    p.add_argument("--errorbars", choices=("minmax", "std", "none"), default="minmax",
                   help="bars over the seeds of a configuration: min to max (default), +-1 std, or none")
    args = p.parse_args()
    try:
        args.formats = st.parse_formats(args.format)
    except ValueError as e:
        fail(str(e))
    if not 10 <= args.dpi <= 1200:
        fail(f"--dpi {args.dpi:g}: expected 10..1200")

    db = connect(args.db)
    series = series_points(db, args)
    if not series:
        fail(f"{args.db}: no runs match (sweep {args.sweep!r}, workload {args.workload!r}, hardware {args.hardware!r})")
    if args.trace and not os.path.isfile(args.trace):
        fail(f"{args.trace}: no such power trace")
    os.makedirs(args.out, exist_ok=True)
    figs = Figures(series, args)
    figs.speedup()
    figs.energy_vs_n()
    figs.energy_vs_gpuh()
    written = figs.written
    if args.trace:
        written += power_timeline(args.trace, args)
    for w in written:
        print(w)


if __name__ == "__main__":
    main()
