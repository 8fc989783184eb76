#!/usr/bin/python3
"""Figures, findings checks and REPORT.md for the paper reproduction (experiments/paper/).

    /usr/bin/python3 experiments/paper/report.py --db OUT/paper.db --traces OUT \
        --figures experiments/paper/figures --report experiments/paper/REPORT.md \
        [--validation experiments/reference/validation-report.md] [--ff OUT/fast_forward.txt] [--check IDS] \
        [--format png|pdf|svg|png,pdf,svg|all] [--dpi 150]

Reads the results database of the paper sweeps (read-only) and the simulated power traces
OUT/power_{a100,h100}.csv. With --check it exits 1 if a finding is not reproduced.
Figures in the style of experiments/plots/ddpsim_style.py: labels for people, means over seeds with
min-max bars, and the measured runs of the calibration set (Huber et al. 2025) as black stars where
one has the configuration of a plotted point.
Only Debian's python3-matplotlib and the standard library are used.
"""
import argparse
import csv
import math
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plots"))
import ddpsim_style as st  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402


TREND_EPS = 0.03  # |fitted change of mean GPU power over a series' n-range| below which it is "constant"


def connect(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


CONFIG = ("workload", "phase", "hardware", "gpus", "lbs", "gbs", "epochs", "samples_per_gpu", "overrides")


def series_rows(db, where, params=(), extra=None):
    """{series: [(n, mean dict, std dict, count)]} averaged over seeds. With a dict `extra`, also
    extra[(series, n)] = {"min": dict, "max": dict, "config": dict of CONFIG} for the figures."""
    cols = ["runtime_h", "gpu_hours", "energy_kwh_total", "energy_kwh_gpu", "energy_kwh_cpu", "mean_power_w_gpu",
            "mean_power_w_cpu_socket", "samples_per_gpu_hour", "updates_per_gpu_hour", "time_fraction_data_stall"]
    q = (f"SELECT s.series AS series, {', '.join('r.' + c for c in CONFIG)}, {', '.join('r.' + c for c in cols)} FROM runs r "
         f"JOIN run_series s ON s.run_id = r.id WHERE {where} ORDER BY s.series, r.gpus")
    out = {}
    for row in db.execute(q, params):
        out.setdefault(row["series"], {}).setdefault(row["gpus"], []).append({c: row[c] for c in cols})
        if extra is not None:
            extra.setdefault((row["series"], row["gpus"]), {"config": {c: row[c] for c in CONFIG}})
    result = {}
    for series, by_n in out.items():
        pts = []
        for n in sorted(by_n):
            vals = by_n[n]
            mean = {c: sum(v[c] for v in vals) / len(vals) for c in vals[0]}
            std = {c: (math.sqrt(sum((v[c] - mean[c]) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0)
                   for c in vals[0]}
            pts.append((n, mean, std, len(vals)))
            if extra is not None:
                extra[(series, n)]["min"] = {c: min(v[c] for v in vals) for c in vals[0]}
                extra[(series, n)]["max"] = {c: max(v[c] for v in vals) for c in vals[0]}
        result[series] = pts
    return result


def short(series):
    parts = [p for p in series.split("/") if not p.startswith("epochs=")]
    return " ".join(parts[:1] + parts[1:]).replace("constant_", "const ").replace("scaled_dataset_", "scaled ")


def linear_fit(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    syy = sum((y - my) ** 2 for y in ys)
    slope = sxy / sxx if sxx else 0.0
    r2 = sxy * sxy / (sxx * syy) if sxx and syy else 1.0
    return slope, my - slope * mx, r2


def read_trace(path):
    t, p = [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            t.append(float(row["time_s"]))
            p.append(float(row["gpu0_w"]))
    return t, p


def render(pending, formats=("png",), dpi=150, procs=2):
    """Lays out and writes the figures in `procs` forked processes (layout and PNG encoding are
    most of the report's time); each child inherits the figures, nothing is pickled. The layout is
    the figures' own (constrained, set when they are made); `path` is a stem, one file per format."""
    kids = []
    for k in range(procs):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                for i, (fig, path) in enumerate(pending):
                    if i % procs == k:
                        st.save(fig, path, formats, dpi)
            except Exception as e:  # report it, let the parent fail
                print(f"report: rendering a figure failed: {e}", file=sys.stderr)
                code = 1
            sys.stdout.flush()
            os._exit(code)
        kids.append(pid)
    failed = [pid for pid in kids if os.waitpid(pid, 0)[1] != 0]
    for fig, _ in pending:
        plt.close(fig)
    if failed:
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--traces", required=True)
    ap.add_argument("--figures", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--validation", default="")
    ap.add_argument("--ff", default="")
    ap.add_argument("--check", default="", help="comma-separated finding ids to enforce (exit 1 if one fails), or 'all'")
    ap.add_argument("--format", default="png", help="figure formats: png, pdf, svg, a comma-separated list, or all (default png)")
    ap.add_argument("--dpi", type=float, default=150, help="resolution of PNG figures (default 150)")
    a = ap.parse_args()
    try:
        formats = st.parse_formats(a.format)
    except ValueError as e:
        print(f"report: {e}", file=sys.stderr)
        sys.exit(2)
    os.makedirs(a.figures, exist_ok=True)
    db = connect(a.db)
    spread = {}  # (series, n) -> min, max over seeds and the configuration
    rn = series_rows(db, "r.workload = 'resnet50'", extra=spread)
    fcn = series_rows(db, "r.workload = 'fourcastnet' AND s.series NOT LIKE '%/grid/%'", extra=spread)
    allser = {**rn, **fcn}
    checks = []  # (finding, measured text, ok)
    pending = []  # (figure, path): laid out and written at the end, in parallel (render())

    styles = st.series_styles(allser)  # one style per series, the same in every figure
    labels = st.series_labels(list(allser))
    measured = st.measured_runs()
    seeds = sorted({c for pts in allser.values() for _, _, _, c in pts})
    note = f"mean of {seeds[-1]} seeds, bars: min to max" if seeds[-1] > 1 else ""

    def new_figure(series, suffix=""):
        w, h, below = st.legend_layout([labels[s] + suffix for s in series] + [st.MEASURED_LABEL])
        fig, ax = st.figure(w, h)
        return fig, ax, below

    def add_measured(ax, series, xkey, ykey):
        """Black stars at the measured runs that have the configuration of a plotted point."""
        return st.draw_measured(ax, measured, ((p[0], spread[(s, p[0])]["config"]) for s, pts in series.items() for p in pts),
                                xkey, ykey)

    def plot(name, ylabel, metric, series, logy=False, ideal=False, title="", with_measured=False, bars=None):
        """One value per series and n (mean over seeds) with min-max bars over the seeds; `bars`
        (series, n) -> (lo, hi) replaces the bars of `metric`."""
        fig, ax, below = new_figure(series)
        ns, allys = [], []
        for s, pts in series.items():
            xs = [p[0] for p in pts]
            ys = [p[1][metric] for p in pts]
            if bars:
                lo, hi = zip(*(bars(s, n) for n in xs))
            else:
                lo = [spread[(s, n)]["min"][metric] for n in xs]
                hi = [spread[(s, n)]["max"][metric] for n in xs]
            if all(p[3] < 2 for p in pts):
                lo = hi = None
            st.errorbars(ax, xs, ys, lo, hi, label=labels[s], **styles[s])
            ns += xs
            allys += ys
        if ideal:
            ax.plot([1, 256], [1, 256], label=st.IDEAL_LABEL, **st.IDEAL_STYLE)
            allys += [1, max(ns)]
        if with_measured:
            allys += add_measured(ax, series, "n", metric)[1]
        st.log2_axis(ax, ns, "x")
        if logy:
            if ideal:
                st.log2_axis(ax, allys, "y")
            else:
                st.log10_axis(ax, allys, "y")
        ax.set_xlabel("GPUs n")
        ax.set_ylabel(ylabel)
        ax.set_title(title + (f"\n{note}" if note else ""))
        st.legend_outside(ax, below=below)
        pending.append((fig, os.path.join(a.figures, name)))

    const_series = {s: p for s, p in allser.items() if "scaled" not in s}
    # Figure 2: speed-up relative to the smallest n of each series (ideal: n / n0).
    def speedup(series):
        out = {}
        for s, pts in series.items():
            t0, n0 = pts[0][1]["runtime_h"], pts[0][0]
            out[s] = [(n, {"s": t0 / m["runtime_h"] * n0}, {}, c) for n, m, _, c in pts]
        return out

    def speedup_bars(s, n):  # runtime t in [min, max] -> speed-up t0 n0 / t in [t0 n0 / max, t0 n0 / min]
        n0 = allser[s][0][0]
        t0 = allser[s][0][1]["runtime_h"]
        return t0 * n0 / spread[(s, n)]["max"]["runtime_h"], t0 * n0 / spread[(s, n)]["min"]["runtime_h"]
    plot("fig2_speedup", "speed-up x n0 (ideal = n)", "s", speedup(const_series), logy=True, ideal=True,
         title="Fig. 2: speed-up (constant dataset)", bars=speedup_bars)
    # Figure 3: energy vs n.
    plot("fig3_energy_vs_n", "total energy [kWh]", "energy_kwh_total", allser, logy=True,
         title="Fig. 3: energy vs n", with_measured=True)
    # Figure 4: energy vs GPUh with the fitted slope per series.
    fig, ax, below = new_figure(allser, ": 0.000")
    slopes = {}
    xall, yall = [], []
    for s, pts in allser.items():
        # Full nodes only (n >= 4): runs on part of a node pay both CPU sockets, a different
        # kWh per GPUh by construction (the paper's explanation of the minimum at n = 4).
        pts = [p for p in pts if p[0] >= 4]
        xs = [p[1]["gpu_hours"] for p in pts]
        ys = [p[1]["energy_kwh_total"] for p in pts]
        if len(xs) >= 3:
            slope, icpt, r2 = linear_fit(xs, ys)
            slopes[s] = (slope, r2, len(xs))
            sty = dict(styles[s])
            line_style = sty.pop("ls")
            meaningful = r2 >= 0.9 and slope > 0  # else no line and no number
            if meaningful:
                lo, hi = min(xs), max(xs)  # a straight line is curved on log axes: sample it
                fx = [lo * (hi / lo) ** (k / 40) for k in range(41)]
                ax.plot(fx, [icpt + slope * x for x in fx], ls=line_style, lw=0.9, color=sty["color"])
            bars = all(p[3] > 1 for p in pts)
            q = [spread[(s, p[0])] for p in pts]
            st.errorbars(ax, xs, ys, *((([v["min"]["energy_kwh_total"] for v in q], [v["max"]["energy_kwh_total"] for v in q],
                                         [v["min"]["gpu_hours"] for v in q], [v["max"]["gpu_hours"] for v in q]))
                                       if bars else (None, None, None, None)),
                         ls="none", label=f"{labels[s]}: {slope:.3f}" if meaningful else f"{labels[s]}: —", **sty)
            xall += xs
            yall += ys
    mx, my = add_measured(ax, {s: [p for p in pts if p[0] >= 4] for s, pts in allser.items()}, "gpu_hours", "energy_kwh_total")
    st.log10_axis(ax, xall + mx, "x")
    st.log10_axis(ax, yall + my, "y")
    ax.set_xlabel("GPU hours")
    ax.set_ylabel("total energy [kWh]")
    ax.set_title("Fig. 4: energy vs GPU hours, n >= 4" + (f"\n{note}" if note else ""))
    st.legend_outside(ax, below=below, title="kWh per GPUh of the least-squares line\n(—: R² < 0.9 or slope ≤ 0)")
    pending.append((fig, os.path.join(a.figures, "fig4_energy_vs_gpuh")))
    # Figure 6: mean GPU and CPU-socket power.
    plot("fig6_mean_gpu_power", "mean GPU power [W]", "mean_power_w_gpu", allser,
         title="Fig. 6: mean GPU power")
    plot("fig6_mean_cpu_power", "mean CPU socket power [W]", "mean_power_w_cpu_socket", allser,
         title="Fig. 6: mean CPU socket power")
    # Figure 7: samples and updates per GPU hour.
    plot("fig7_samples_per_gpuh", "samples per GPU hour", "samples_per_gpu_hour", allser, logy=True,
         title="Fig. 7: samples per GPU hour")
    plot("fig7_updates_per_gpuh", "gradient updates per GPU hour", "updates_per_gpu_hour", allser,
         logy=True, title="Fig. 7: updates per GPU hour")
    # Figure 5: simulated GPU power profiles, first 300 s of FourCastNet pre-training in both Table 1
    # configurations, as perun records them (NVML readings sampled every second).
    configs = ((4, 4), (32, 1))
    fig, axes = st.figure(7.6, 5.2, nrows=len(configs), sharex=True)
    profile = {}
    for ax, (n, lbs) in zip(axes, configs):
        for i, hw in enumerate(("a100", "h100")):
            t, p = read_trace(os.path.join(a.traces, f"power_{hw}_n{n}_lbs{lbs}.csv"))
            keep = [(x, y) for x, y in zip(t, p) if x <= 300.0]
            sensor = "instantaneous" if hw == "a100" else "1 s average"
            ax.plot([x for x, _ in keep], [y for _, y in keep], color=st.PALETTE[i], lw=0.9,
                    label=f"{hw.upper()} GPU 0\n({sensor})")
            profile[(hw, n)] = [y for x, y in keep if x > 30.0]  # after the loader's start-up
        ax.set_ylabel("GPU power [W]")
        ax.set_ylim(bottom=0)
        ax.set_title(f"n = {n}, LBS {lbs}", fontsize=8)
        st.legend_outside(ax)
    axes[-1].set_xlabel("time [s]")
    fig.suptitle("Fig. 5: FourCastNet pre-training, first 300 s, NVML readings every 1 s", fontsize=9)
    pending.append((fig, os.path.join(a.figures, "fig5_power_profiles")))

    # ---------------------------------------------------------------- findings
    def get(series_part, where=rn):
        for s, pts in where.items():
            if series_part in s:
                return {n: m for n, m, _, _ in pts}
        raise SystemExit(f"report: series {series_part} missing from the database")

    e = get("/constant_lbs/lbs=256/")
    nmin = min(e, key=lambda n: e[n]["energy_kwh_total"])
    checks.append(("ResNet50, constant LBS 256: energy minimum near n = 4",
                   f"minimum at n = {nmin}: {e[nmin]['energy_kwh_total']:.1f} kWh (n = 1: {e[1]['energy_kwh_total']:.1f}, "
                   f"n = 256: {e[256]['energy_kwh_total']:.1f})",
                   nmin in (2, 4, 8) and e[4]["energy_kwh_total"] < e[1]["energy_kwh_total"]
                   and e[4]["energy_kwh_total"] < e[256]["energy_kwh_total"]))
    worst = min(slopes.items(), key=lambda kv: kv[1][1])
    checks.append(("Energy roughly linear in GPU hours, per series of full nodes, n >= 4 (R^2 >= 0.9)",
                   "; ".join(f"{short(s)}: R^2 {r2:.3f}, {sl:.3f} kWh/GPUh" for s, (sl, r2, _) in slopes.items()),
                   worst[1][1] >= 0.9))
    sc = get("/scaled_dataset_constant_lbs/lbs=256/")
    ts = [m["runtime_h"] for n, m in sc.items() if n >= 2]
    checks.append(("Scaled dataset, constant LBS: constant training time (max/min <= 1.1 for n >= 2)",
                   f"{min(ts):.3f} .. {max(ts):.3f} h", max(ts) / min(ts) <= 1.1))
    sg = get("/scaled_dataset_constant_gbs/gbs=256/")
    checks.append(("Scaled dataset, GBS 256: training time grows with n (n = 16 >= 1.1 x n = 4)",
                   ", ".join(f"n={n}: {m['runtime_h']:.3f} h" for n, m in sg.items()),
                   sg[16]["runtime_h"] >= 1.1 * sg[4]["runtime_h"]))
    fp = get("fourcastnet/pretrain/a100/constant_lbs/lbs=1/", fcn)
    sp = {n: fp[4]["runtime_h"] / m["runtime_h"] for n, m in fp.items()}
    checks.append(("FourCastNet speed-up clearly sub-linear beyond 4x the GPUs (efficiency at 16x < 0.8)",
                   ", ".join(f"n={n}: {s:.2f}x (ideal {n // 4}x)" for n, s in sp.items()),
                   sp[64] / 16 < 0.8))
    t1 = {}
    for row in db.execute("SELECT hardware, gpus, lbs, runtime_h, energy_kwh_total FROM runs WHERE workload = 'fourcastnet' "
                          "AND phase = 'pretrain' AND ((gpus = 4 AND lbs = 4) OR (gpus = 32 AND lbs = 1))"):
        t1[(row["hardware"], row["gpus"])] = (row["runtime_h"], row["energy_kwh_total"])
    cmp = []
    ok = True
    for n in (4, 32):
        (ta, ea), (th, eh) = t1[("a100", n)], t1[("h100", n)]
        less, de = 1 - th / ta, eh / ea - 1
        cmp.append(f"n={n}: H100 {100 * less:.0f} % less time, energy {100 * de:+.1f} %")
        ok = ok and 0.25 <= less <= 0.30 and abs(de) <= 0.05
    checks.append(("H100 vs A100 (Table 1 configurations): 25-30 % less time, total energy within 5 %", "; ".join(cmp), ok))
    # Power profiles: share of 1-s NVML readings at the idle baseline (within 10 % of the GPU's dynamic range).
    idle = {"a100": 50.0, "h100": 88.0}
    tdp = {"a100": 400.0, "h100": 700.0}
    share = {k: sum(1 for y in ys if y <= idle[k[0]] + 0.1 * (tdp[k[0]] - idle[k[0]])) / max(1, len(ys)) for k, ys in profile.items()}
    checks.append(("GPU power profiles: A100 falls back to idle between steps, H100 does not (share of readings at idle > 10 % vs < 2 %)",
                   "; ".join(f"n={n}: A100 {100 * share[('a100', n)]:.0f} %, H100 {100 * share[('h100', n)]:.0f} %" for n, _ in configs),
                   all(share[("a100", n)] > 0.10 and share[("h100", n)] < 0.02 for n, _ in configs)))

    # ------------------------------------------------- trends of mean GPU power (paper section 3.5)
    # Direction of mean GPU power per GPU as n grows: the change across the series' n-range of a
    # log-log least-squares fit, P ~ n^b, i.e. (n_max / n_min)^b - 1. "falls" below -TREND_EPS,
    # "rises" above +TREND_EPS, "constant" within +-TREND_EPS.
    def power_trend(pts):
        ns = sorted(pts)
        xs = [math.log(n) for n in ns]
        ys = [math.log(pts[n]["mean_power_w_gpu"]) for n in ns]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        return math.exp(b * (xs[-1] - xs[0])) - 1

    def direction(change):
        return "falls" if change < -TREND_EPS else ("rises" if change > TREND_EPS else "constant")

    def with_n1(series_part, n1_series_part, where=rn):
        pts = dict(get(series_part, where))
        if 1 not in pts and n1_series_part:
            pts[1] = get(n1_series_part, where)[1]  # n = 1 is the same configuration, stored once
        return pts

    trend_rows = [
        ("ResNet50, constant LBS 256, n = 1..256", get("/constant_lbs/lbs=256/"), "falls"),
        ("ResNet50, constant GBS 256, n = 1..16", with_n1("/constant_gbs/gbs=256/", "/constant_lbs/lbs=256/"), "falls"),
        ("ResNet50, constant GBS 8192, n = 32..256", get("/constant_gbs/gbs=8192/"), "falls"),
        ("ResNet50, scaled dataset S/GPU 5004, constant LBS 256", get("/scaled_dataset_constant_lbs/lbs=256/"), "constant"),
        ("ResNet50, scaled dataset, GBS 256", with_n1("/scaled_dataset_constant_gbs/gbs=256/", "/scaled_dataset_constant_lbs/lbs=256/"), "falls"),
        ("ResNet50, scaled dataset, GBS 8192", get("/scaled_dataset_constant_gbs/gbs=8192/"), "rises"),
        ("FourCastNet A100, constant GBS 64", get("fourcastnet/pretrain/a100/constant_gbs/gbs=64/", fcn), "falls"),
        ("FourCastNet H100, constant GBS 32", get("fourcastnet/pretrain/h100/constant_gbs/gbs=32/", fcn), "falls"),
        ("FourCastNet H100, constant GBS 16", get("fourcastnet/pretrain/h100/constant_gbs/gbs=16/", fcn), "rises"),
    ]
    for name, pts, want in trend_rows:
        change = power_trend(pts)
        got = direction(change)
        checks.append((f"Mean GPU power as n grows: {name}: {want}",
                       f"{got} ({100 * change:+.1f} % over n = {min(pts)}..{max(pts)}; "
                       + ", ".join(f"{n}: {m['mean_power_w_gpu']:.0f} W" for n, m in sorted(pts.items())) + ")",
                       got == want))
    pe = {n: e[1]["runtime_h"] / (n * m["runtime_h"]) for n, m in e.items()}
    checks.append(("ResNet50, constant LBS 256: parallel efficiency >= 0.93 up to 32 GPUs and >= 0.80 at 256",
                   ", ".join(f"n={n}: {v:.3f}" for n, v in sorted(pe.items())),
                   all(v >= 0.93 for n, v in pe.items() if n <= 32) and pe[256] >= 0.80))
    ts4 = {n: m["runtime_h"] for n, m in sc.items() if 4 <= n <= 256}
    checks.append(("Scaled dataset, constant LBS: training time constant within 5 % over n = 4..256",
                   f"{min(ts4.values()):.3f} .. {max(ts4.values()):.3f} h (max/min {max(ts4.values()) / min(ts4.values()):.3f})",
                   max(ts4.values()) / min(ts4.values()) <= 1.05))
    pw, sph = [], []
    for row in db.execute("SELECT AVG(mean_power_w_gpu) AS p, AVG(samples_per_gpu_hour) AS s FROM runs WHERE workload = 'resnet50' "
                          "GROUP BY hardware, gpus, lbs, gbs, samples_per_gpu, epochs"):
        pw.append(row["p"])
        sph.append(row["s"])

    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2.0
            i = j + 1
        return r

    rp, rs = ranks(pw), ranks(sph)
    mp, ms = sum(rp) / len(rp), sum(rs) / len(rs)
    rho = sum((a - mp) * (b - ms) for a, b in zip(rp, rs)) / math.sqrt(sum((a - mp) ** 2 for a in rp) * sum((b - ms) ** 2 for b in rs))
    checks.append(("Mean GPU power rises with samples per GPU hour: Spearman rank correlation over all ResNet50 runs >= 0.7",
                   f"rho = {rho:.3f} over {len(pw)} configurations", rho >= 0.7))

    # ---------------------------------------------------------------- report
    L = ["# Reproduction of Huber et al. 2025 with ddpsim", "",
         "Regenerated by `bash experiments/paper/reproduce.sh` (sweeps `experiments/paper/*.yaml` into one database with",
         "the shipped calibration, figures in `experiments/paper/figures/`). The paper's findings come from",
         "`../shared/reference/paper-digest.md`; ddpsim's numbers are simulated, not measured.", "",
         "## Findings", "", "| # | finding (paper) | ddpsim shows | reproduced |", "|---|---|---|---|"]
    for k, (f, m, ok) in enumerate(checks):
        L.append(f"| {k + 1} | {f} | {m} | {'yes' if ok else '**no**'} |")
    def shown(prefix):
        # What ddpsim shows for the check whose finding starts with `prefix` (numbers of this run).
        return next(m for f, m, ok in checks if f.startswith(prefix))
    row12 = shown("Mean GPU power as n grows: ResNet50, scaled dataset, GBS 256")
    row15 = shown("Mean GPU power as n grows: FourCastNet H100, constant GBS 32")
    f6 = shown("H100 vs A100")
    row15_ok = next(ok for f, m, ok in checks if f.startswith("Mean GPU power as n grows: FourCastNet H100, constant GBS 32"))
    # Trend row 15 held only since the calibration of 2026-12-03 evening: FourCastNet's
    # power.lbs_half prior from the Zeus BERT fits in tokens (0.006 samples: one sample fills the
    # GPU; before 0.5, which put LBS 1 at 67 % occupancy). Its note returns when it fails.
    row15_note = [] if row15_ok else [
          f"* FourCastNet H100 at GBS 32 (trend row 15: paper falls; ddpsim: {row15}; a change under 3 % counts as",
          "  'constant'). ddpsim's H100 FourCastNet is loader-bound (data stall about 67 % at n = 4, LBS 8;",
          "  55 % at n = 32, LBS 1): each rank's four readers deliver ~4.2 samples/s while the GPU could take ~9",
          "  at LBS 8, so a smaller LBS mostly removes stall time at idle power, which offsets the lower power",
          "  while computing. The same loader-bound H100 is why finding 7 fails (below); both need H100 data,",
          "  a captured trace, that the five calibration runs do not contain."
    ]
    L += ["", "Findings marked **no** are not reproduced by the current model and calibration; see the notes below.", "",
          "## Notes on what is not reproduced", "",
          f"* Scaled dataset at GBS 256 (trend row 12: paper falls; ddpsim: {row12}).",
          "  The n = 1 point is low for a reason ddpsim cannot drop without breaking the",
          "  data pipeline: with 5 004 samples per GPU and LBS 256 a pass has 20 steps, and every one of the three",
          "  passes per epoch (train, eval over the training set, validation) waits about 1.4 s for its first batch",
          "  (one worker decodes all 256 samples at the fitted ~5.2 ms each) and drains for about three steps; the",
          "  eval pass is loader-bound (4 workers: 0.33 s per batch against 0.09 s of forward). 48 % of the n = 1",
          "  run is data stall at idle power. At n = 2 (LBS 128) the fill halves (0.73 s) and stalls fall to 40 %,",
          "  which raises power more than the smaller LBS lowers it (the step overhead, at",
          "  `power.overhead_activity` 0.2, is 11 % of a step at LBS 128, 6 % at 256). From n = 4 on the series",
          "  falls as the paper says. Tried (calibration of 2026-12-04), each able to make the row hold and each",
          "  contradicted by measured data: (a) `power.overhead_activity` 0, the launch overhead at idle power:",
          "  the fitted change becomes -7.7 % ('falls'), but the paper stage then fits the measured runs worse",
          "  (cost 9.2 -> 23.6; 0.1: 15.6) and the leave-one-out runtime error of the H100 run at n = 32 rises from +9 % to +32 %;",
          "  (b) a faster decode, 4 ms instead of the fitted 5.2 ms per sample (-5.3 %): the full-dataset run at",
          "  n = 4 would take 20.4 h instead of 24.9 h, so its measured 6.7 kWh of CPU energy would mean a node CPU",
          "  power of 328 W, above the 237-287 W of the paper authors' HAICORE development runs (public-facts.md;",
          "  the fitted model gives 269-272 W); (c) per-batch loader jitter (`loader.jitter_cv` 0.05-0.15): no",
          "  change of the trend. A longer per-pass start-up would lower all scaled points alike and is",
          "  contradicted by the traced fork cost (experiments/reference/capture-cpu/startup_fit.yaml).",
          *row15_note,
          "* H100 vs A100 (finding 6). One model of the shared file system cannot fit all five FourCastNet calibration",
          "  runs. Per step (from `calibration-set.yaml`: runtime x 3600 / epochs / steps per epoch), the A100 takes",
          "  1.86 s at n = 4 and 2.18 s at n = 16 with the same LBS 4, i.e. 17 % longer with the same load per node:",
          "  only something shared across nodes explains that, and the fit attributes it to file-system contention",
          "  at about 4.9 GB/s (64 x 165.9 MB per 2.18 s). Yet the H100 run at n = 32 reads 32 x 165.9 MB per 0.55 s,",
          "  about 9.6 GB/s, and is 27 % faster than the A100 at n = 32. The fit compromises (in-sample: A100 n = 32",
          f"  -8 %, H100 n = 32 +7 % in the calibration of 2026-12-02), which leaves the H100 less than 25 % faster or",
          f"  its energy more than 5 % off (this calibration: {f6}).",
          "  Alternatives tried and not shipped (calibration id eedc43d06244, 2026-11-22):",
          "  (a) a separate aggregate file-system bandwidth per partition: in-sample cost 15.3 -> 8.7 and",
          "  leave-one-out runtime MAPE 8.2 % -> 4.3 %, but total-energy MAPE 2.7 % -> 5.9 %, and the H100 is still",
          "  only 20 % faster at n = 4;",
          "  (b) separate aggregate and per-stream bandwidths: reproduces finding 6 in-sample (24.8 % / 26.8 % less",
          "  time, energy -3.9 % / -4.8 %), but leave-one-out runtime MAPE rises to 18 %, which is overfitting;",
          "  (c) per-batch variability of the loader (stragglers in synchronous steps) instead of contention: the",
          "  Levenberg-Marquardt fit over the stochastic simulator ended worse than the shipped model (cost 29-169);",
          "  (d) one reader's stream bandwidth scaled by the CPU clock ratio (same parameter count): H100 26 % faster",
          "  at n = 4 but still 15 % at n = 32, energy -7 % at n = 4; leave-one-out 8.5 % / 3.8 % (runtime / energy);",
          "  (e) (a) and (d) together: reproduces finding 6 in-sample (26.1 % / 26.6 % less time, energy -4.2 % /",
          "  -4.3 %), but leave-one-out runtime and energy MAPE rise to 9.5 % and 7.4 %.",
          "  Every variant that reproduces finding 6 predicts held-out runs worse than the shipped model.",
          "  The shipped calibration therefore keeps one file system, read alike by both partitions.",
          "* Power profiles (finding 7). The profiles are what perun records: NVML's GPU power reading, sampled every",
          "  second. NVML returns instantaneous power on GA100 (A100) and a 1 s average on newer GPUs (H100), so the",
          "  A100 profile shows every dip that happens to fall on a sample while the H100 profile hides dips shorter",
          "  than about a second; ddpsim models both sensors (`gpu.power_sensor_window`, `run --gpu-sensor nvml`).",
          "  GPUs that wait in an allreduce for a slower rank spin in NCCL kernels above idle power, so waiting is not",
          "  idling (the earlier note here, which bounded the H100/A100 speed ratio from step times, ignored this).",
          "  Even so, ddpsim's loader-bound H100 still falls back to idle: with in-order consumption and a bounded",
          "  prefetch queue (PyTorch semantics), a rank's batches arrive in groups of its four workers (the known",
          "  'every num_workers-th step is slow' pattern), and the GPU then waits several seconds at once, longer",
          "  than the sensor's 1 s window. Per-batch loader variability (`loader.jitter_cv`) does not break the",
          "  groups up: the fast workers run into the prefetch limit and restart together behind the slowest one;",
          "  at 0.1 it also worsens the paper-stage fit (cost 15.3 -> 59.1), so it is off by default. Reproducing",
          "  the finding needs H100 data stalls shorter than a second, i.e. batches arriving evenly, which the",
          "  five calibration runs cannot show; a captured H100 trace would (no device was lent to this task).", "",
          "## Figures", "",
          "Points are means over the seeds of a configuration (ResNet50: 5 seeds) with bars from the smallest to the",
          "largest value; black stars are the runs of the calibration set measured by Huber et al. 2025",
          "(`experiments/reference/calibration-set.yaml`) that have the configuration of a plotted point (ResNet50",
          "totals: published CPU energy divided by its published share of the total).", ""]
    figs = [("fig2_speedup.png", "Fig. 2, speed-up. Paper: ResNet50 near-ideal at constant LBS, slightly below beyond 32 GPUs; "
             "FourCastNet departs clearly after 4x."),
            ("fig3_energy_vs_n.png", "Fig. 3, energy vs n. Paper: constant-LBS ResNet50 energy roughly constant, minimum at n = 4, "
             "then rising; scaled dataset: energy proportional to samples; FourCastNet fine-tuning steep."),
            ("fig4_energy_vs_gpuh.png", "Fig. 4, energy vs GPU hours. Paper: linear, slope per model/hardware/configuration."),
            ("fig5_power_profiles.png", "Fig. 5, GPU power profiles. Paper: A100 broad and falling back to idle; H100 narrower, higher, not falling back."),
            ("fig6_mean_gpu_power.png", "Fig. 6, mean GPU power. Paper: rises with samples per GPU hour."),
            ("fig6_mean_cpu_power.png", "Fig. 6, mean CPU power. Paper: varies less than GPU power."),
            ("fig7_samples_per_gpuh.png", "Fig. 7, samples per GPU hour."),
            ("fig7_updates_per_gpuh.png", "Fig. 7, updates per GPU hour.")]
    ext = "png" if "png" in formats else formats[0]  # the link shows the figure where Markdown can (PNG, SVG)
    for name, cap in figs:
        name = name[:-len(".png")] + "." + ext
        L += [f"![{name}](figures/{name})", "", cap, ""]
    L += ["## kWh per GPU hour (Fig. 4 slopes)", "", "| series | kWh/GPUh | R^2 | points |", "|---|---:|---:|---:|"]
    for s, (sl, r2, k) in slopes.items():
        L.append(f"| {s} | {sl:.3f} | {r2:.3f} | {k} |")
    if a.ff and os.path.isfile(a.ff):
        L += ["", "## Fast-forward error", "", open(a.ff).read().strip()]
    if a.validation and os.path.isfile(a.validation):
        L += ["", "## Calibration-set runs, measured vs predicted", "", open(a.validation).read().strip()]
    with open(a.report, "w") as f:
        f.write("\n".join(L) + "\n")
    render(pending, formats, a.dpi)
    ids = [str(k + 1) for k in range(len(checks))]
    enforce = ids if a.check == "all" else [x for x in a.check.split(",") if x]
    for x in enforce:
        if x not in ids:
            print(f"report: unknown finding id {x} (ids: {', '.join(ids)})", file=sys.stderr)
            sys.exit(2)
    failed = []
    for k, (f, m, ok) in enumerate(checks):
        print(f"[{k + 1}] {'ok  ' if ok else 'FAIL'} {f}: {m}")
        if not ok and str(k + 1) in enforce:
            failed.append(f)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
