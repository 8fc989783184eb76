#!/usr/bin/python3
"""Figures from a ddpsim results database (and optionally a simulated power trace).

    /usr/bin/python3 experiments/plots/plot_results.py --db results.db --out figures/ \
        [--sweep whatif] [--workload resnet50] [--trace trace.csv]

writes
    speedup.png          speed-up vs n per series, with the ideal (view `scaling`)
    energy_vs_n.png      total energy vs n per series
    energy_vs_gpuh.png   total energy vs GPU hours per series, with the fitted kWh per GPUh slope
    power_timeline.png   GPU/CPU/RAM/total power over time from `ddpsim run --power-trace FILE.csv`
                         (only with --trace)

Uses only Debian's python3-matplotlib and the standard library (sqlite3, opened read-only).
Exit codes: 0 ok, 2 bad input, 77 matplotlib missing (ctest reports the test as skipped).
"""
import argparse
import csv
import os
import sqlite3
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("plot_results: python3-matplotlib is missing (Debian: apt-get install python3-matplotlib)", file=sys.stderr)
    sys.exit(77)


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


def filters(args, key):
    """SQL conditions and parameters for --sweep/--workload/--hardware; `key` is 'series' or 'id'."""
    sql, params = "", []
    for col in ("workload", "hardware"):
        if getattr(args, col):
            sql += f" AND {col} = ?"
            params.append(getattr(args, col))
    if args.sweep:
        sel = "series" if key == "series" else "run_id"
        sql += f" AND {key} IN (SELECT {sel} FROM sweep_points WHERE sweep_id IN (SELECT id FROM sweeps WHERE name = ?))"
        params.append(args.sweep)
    return sql, params


def label(series):
    """'resnet50/train/a100/constant_lbs/lbs=256/epochs=100' -> 'resnet50 a100 lbs=256' (+ the rest if unusual)."""
    parts = series.split("/")
    keep = [parts[0], parts[2]] + [p for p in parts[4:] if not p.startswith("epochs=")]
    if parts[1] not in ("train",):
        keep.insert(1, parts[1])
    return " ".join(keep)


def series_rows(db, args):
    cond, params = filters(args, "series")
    rows = db.execute(f"SELECT * FROM scaling WHERE 1{cond} ORDER BY series, gpus", params).fetchall()
    out = {}
    for r in rows:
        out.setdefault((r["series"], r["calibration_id"], r["version"]), []).append(r)
    return out


def fit_slope(x, y):
    """Least-squares line y = a + b x; returns (a, b)."""
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((v - mx) ** 2 for v in x)
    if sxx == 0:
        return my, 0.0
    b = sum((u - mx) * (v - my) for u, v in zip(x, y)) / sxx
    return my - b * mx, b


def finish(fig, ax, out, xlabel, ylabel, title, xbase=None, legend_columns=1):
    """Labels, grid and legend, then writes the figure to `out`."""
    if xbase:
        ax.set_xscale("log", base=xbase)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=legend_columns)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def plot_speedup(series, out):
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    top = 1
    for (name, _, _), rows in series.items():
        n = [r["gpus"] for r in rows]
        ax.plot(n, [r["speedup"] for r in rows], marker="o", ms=3, label=label(name))
        top = max(top, max(n) / rows[0]["base_gpus"])
        if rows[-1]["ideal_speedup"] > 1.5:
            ax.plot(n, [r["ideal_speedup"] for r in rows], ls=":", lw=0.8, color="grey")
    ax.set_yscale("log", base=2)
    finish(fig, ax, out, "GPUs n", "speed-up vs the smallest n (dotted: ideal)", "Speed-up", xbase=2)


def plot_energy_vs_n(series, out):
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for (name, _, _), rows in series.items():
        ax.plot([r["gpus"] for r in rows], [r["energy_kwh_total"] for r in rows], marker="o", ms=3, label=label(name))
    ax.set_yscale("log")
    finish(fig, ax, out, "GPUs n", "total energy (kWh)", "Energy vs number of GPUs", xbase=2)


def plot_energy_vs_gpuh(series, out):
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for (name, _, _), rows in series.items():
        x = [r["gpu_hours"] for r in rows]
        y = [r["energy_kwh_total"] for r in rows]
        text = label(name)
        line = ax.plot(x, y, marker="o", ms=3, ls="none")[0]
        if len(rows) >= 2:
            a, b = fit_slope(x, y)
            lo, hi = min(x), max(x)
            ax.plot([lo, hi], [a + b * lo, a + b * hi], color=line.get_color(), lw=1)
            text += f": {b:.3f} kWh/GPUh"
        line.set_label(text)
    ax.set_yscale("log")
    finish(fig, ax, out, "GPU hours", "total energy (kWh)", "Energy vs GPU hours (line: least-squares fit, slope in legend)", xbase=10)


def plot_power_timeline(trace, out):
    if not os.path.isfile(trace):
        fail(f"{trace}: no such power trace")
    with open(trace, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "time_s" not in rows[0]:
        fail(f"{trace}: not a power trace of 'ddpsim run --power-trace' (header time_s,gpu_w,cpu_w,ram_w,total_w,...)")
    t = [float(r["time_s"]) / 60 for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for col in [c for c in rows[0] if c.startswith("gpu") and c[3:-2].isdigit()]:
        ax.plot(t, [float(r[col]) for r in rows], lw=0.4, alpha=0.5, label=col.replace("_w", " (W)"))
    for col, style in (("total_w", "-"), ("gpu_w", "-"), ("cpu_w", "--"), ("ram_w", ":")):
        ax.plot(t, [float(r[col]) for r in rows], ls=style, lw=1.2, label=col.replace("_w", " (W)"))
    finish(fig, ax, out, "time (min)", "mean power per interval (W)", "Simulated power timeline", legend_columns=3)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", required=True, help="results database written by 'ddpsim sweep'")
    p.add_argument("--out", required=True, help="folder for the PNG files (created)")
    p.add_argument("--sweep", help="only runs of the sweeps with this name")
    p.add_argument("--workload", help="only this workload")
    p.add_argument("--hardware", help="only this hardware")
    p.add_argument("--trace", help="power trace CSV of 'ddpsim run --power-trace' for power_timeline.png")
    args = p.parse_args()

    db = connect(args.db)
    series = series_rows(db, args)
    if not series:
        fail(f"{args.db}: no runs match (sweep {args.sweep!r}, workload {args.workload!r}, hardware {args.hardware!r})")
    os.makedirs(args.out, exist_ok=True)
    written = []
    for name, fn in (("speedup.png", plot_speedup), ("energy_vs_n.png", plot_energy_vs_n), ("energy_vs_gpuh.png", plot_energy_vs_gpuh)):
        path = os.path.join(args.out, name)
        fn(series, path)
        written.append(path)
    if args.trace:
        path = os.path.join(args.out, "power_timeline.png")
        plot_power_timeline(args.trace, path)
        written.append(path)
    for w in written:
        print(w)


if __name__ == "__main__":
    main()
