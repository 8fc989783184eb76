"""One figure style for ddpsim's plots (experiments/plots/plot_results.py, experiments/paper/report.py).

    sys.path.insert(0, <this folder>); import ddpsim_style as st

* colours: the Okabe-Ito palette without black (7 colour-blind-safe colours; black is kept for
  measured values); series beyond the 7th change marker and line style, colour repeats
  only with another marker and line style (`series_styles`);
* legends outside the axes (right), layout set once per figure (`figure`: constrained layout,
  no tight_layout passes);
* labels for people from series keys (`series_label`: 'resnet50/train/a100/constant_lbs/lbs=256/epochs=100'
  -> 'ResNet50 A100, constant LBS 256');
* log-2 axes with a tick at every power of two, labelled as plain numbers (`log2_axis`);
* error bars of mean, min and max over seeds (`errorbars`), and the hook for error bands once
  runs carry prediction intervals (`band`; nothing calls it with data yet);
* published measurements of the calibration set (`measured_runs`, `MEASURED_STYLE`);
* output formats png, pdf, svg (`save`; PDF/SVG without timestamps, so reruns are identical).

Only Debian's python3-matplotlib and the standard library.
"""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

FORMATS = ("png", "pdf", "svg")

# Okabe & Ito (2008), "Color Universal Design", without black; the yellow (#F0E442) darkened to
# #C8B400 so that thin lines stay visible on white.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#C8B400")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", "-.", ":")
IDEAL_STYLE = dict(color="0.35", ls=":", lw=1.0)
MEASURED_LABEL = "measured (Huber et al. 2025)"
IDEAL_LABEL = "ideal"
LAST_IN_LEGEND = (IDEAL_LABEL, MEASURED_LABEL)
MEASURED_STYLE = dict(ls="none", marker="*", ms=10, color="black", mec="white", mew=0.6, zorder=10,
                      label=MEASURED_LABEL)

matplotlib.rcParams.update({
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "lines.linewidth": 1.3,
    "lines.markersize": 4,
    "errorbar.capsize": 2,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "svg.fonttype": "none",   # text stays text in SVG (small files, searchable)
    "svg.hashsalt": "ddpsim",  # stable ids: reruns write identical SVGs
    "pdf.fonttype": 42,
})


# ------------------------------------------------------------------------------------ styles
def style(i):
    """Line/marker style of the i-th series: 7 colours, then the next marker and line style."""
    k = i // len(PALETTE)
    return dict(color=PALETTE[i % len(PALETTE)], marker=MARKERS[k % len(MARKERS)], ls=LINESTYLES[k % len(LINESTYLES)])


def series_styles(keys):
    """{series key: style} in sorted key order, so a series keeps its style in every figure."""
    return {k: style(i) for i, k in enumerate(sorted(set(keys)))}


# ------------------------------------------------------------------------------------ labels
WORKLOADS = {"resnet50": "ResNet50", "fourcastnet": "FourCastNet"}
PHASES = {"train": "", "pretrain": "pre-training", "finetune": "fine-tuning"}
HARDWARE = {"a100": "A100", "h100": "H100"}


def _batch(text, constant):
    """'lbs=256' -> 'LBS 256' ('constant LBS 256' with `constant`); 'lbs=4,gbs=64' -> 'LBS 4, GBS 64'."""
    out = []
    for kv in text.split(","):
        k, _, v = kv.partition("=")
        out.append(f"{k.upper()} {v}" if k in ("lbs", "gbs") else kv)
    return ("constant " if constant else "") + ", ".join(out)


def parse_series(key):
    """Fields of a series key 'workload/phase/hardware/mode/batch[/spg=S]/epochs=E[/set:k=v; k2=v2]'."""
    head, _, sets = key.partition("/set:")
    parts = head.split("/")
    f = {"workload": parts[0], "phase": "", "hardware": "", "mode": "", "batch": "", "spg": "", "epochs": "",
         "set": [s.strip() for s in sets.split(";") if s.strip()] if sets else [], "other": []}
    if len(parts) >= 5:
        f.update(phase=parts[1], hardware=parts[2], mode=parts[3], batch=parts[4])
        for p in parts[5:]:
            if p.startswith("spg="):
                f["spg"] = p[4:]
            elif p.startswith("epochs="):
                f["epochs"] = p[7:]
            else:
                f["other"].append(p)
    else:
        f["other"] = parts[1:]
    return f


def series_label(key, epochs=False):
    """A label for people: 'ResNet50 A100, constant LBS 256', 'ResNet50 A100, constant LBS 256, scaled
    dataset 5004/GPU', 'FourCastNet H100 pre-training, constant GBS 16', '..., set gpu.power_limit = 300 W'.
    The epochs are added only with `epochs` (when they differ between the series of a figure)."""
    f = parse_series(key)
    head = " ".join(x for x in (WORKLOADS.get(f["workload"], f["workload"]), HARDWARE.get(f["hardware"], f["hardware"]),
                                PHASES.get(f["phase"], f["phase"])) if x)
    parts = [head]
    mode = f["mode"]
    if f["batch"]:
        parts.append(_batch(f["batch"], mode.endswith("constant_lbs") or mode.endswith("constant_gbs")))
    if mode.startswith("scaled_dataset"):
        parts.append(f"scaled dataset {f['spg']}/GPU" if f["spg"] else "scaled dataset")
    elif f["spg"]:
        parts.append(f"{f['spg']} samples/GPU")
    if epochs and f["epochs"]:
        parts.append(f"{f['epochs']} epochs")
    parts += f["other"]
    if f["set"]:
        parts.append("set " + ", ".join(" = ".join(x.strip() for x in s.split("=", 1)) for s in f["set"]))
    return ", ".join(parts)


def wrap(label, width=52):
    """Breaks a label longer than `width` characters into lines at ', ' (legends stay narrow)."""
    lines, cur = [], ""
    for part in label.split(", "):
        if cur and len(cur) + 2 + len(part) > width:
            lines.append(cur + ",")
            cur = part
        else:
            cur = f"{cur}, {part}" if cur else part
    return "\n".join(lines + [cur])


def series_labels(keys, width=52):
    """{key: label}, with the epochs only where series of the same workload and phase differ in them,
    wrapped at `width` characters (None: one line)."""
    fields = {k: parse_series(k) for k in keys}
    epochs = {}
    for f in fields.values():
        epochs.setdefault((f["workload"], f["phase"]), set()).add(f["epochs"])
    out = {k: series_label(k, epochs=len(epochs[(f["workload"], f["phase"])]) > 1) for k, f in fields.items()}
    return {k: wrap(v, width) if width else v for k, v in out.items()}


# ------------------------------------------------------------------------------------ figures
def figure(width=7.5, height=4.2, nrows=1, ncols=1, **kw):
    """A figure with constrained layout (set once; it makes room for legends outside the axes)."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kw)
    return fig, axes


def legend_outside(ax, handles=None, labels=None, title=None, below=False, ncol=None):
    """Legend outside the axes: to the right, top-aligned, or `below` the axes (for many entries,
    in `ncol` columns, default 2)."""
    if handles is None:  # series in the order drawn, then the reference entries (ideal, measured)
        handles, labels = ax.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda i: (labels[i] in LAST_IN_LEGEND, i))
        handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    args = (handles, labels)
    if below:
        return ax.legend(*args, loc="upper center", bbox_to_anchor=(0.5, -0.13), borderaxespad=0.0, title=title,
                         ncol=ncol or 2, title_fontsize=7, handlelength=2.6, columnspacing=1.2)
    return ax.legend(*args, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, title=title, ncol=ncol or 1,
                     title_fontsize=7, handlelength=2.6)


def legend_layout(labels, right_max=12):
    """(width, height, below) of a one-axes figure whose legend holds `labels`: up to `right_max`
    entries to the right of the axes (the figure widens with the longest label), more below in two columns."""
    longest = max([len(line) for x in labels for line in x.split("\n")] + [20])
    lines = sum(x.count("\n") + 1 for x in labels)
    if len(labels) <= right_max:
        return min(12.0, 5.4 + 0.052 * longest), max(4.2, 1.2 + 0.14 * lines), False
    rows = (lines + 1) // 2
    return max(7.5, min(12.0, 0.6 + 2 * 0.052 * longest + 0.9)), 4.0 + 0.14 * rows, True


def plain_number(v):
    """1000000 -> '1,000,000', 0.05 -> '0.05', 2.5 -> '2.5' (no scientific notation)."""
    if v >= 1000:
        return f"{v:,.0f}"
    return f"{v:.10g}" if v >= 1e-4 else f"{v:g}"


def _plain(v):
    if v >= 1:
        return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"
    return f"{v:g}"


def log2_axis(ax, values, axis="x"):
    """Log-2 scale with a tick at every power of two between the data's limits, plain labels (1, 2, 4 ... 256)."""
    vals = [v for v in values if v and v > 0 and math.isfinite(v)]
    lo, hi = (min(vals), max(vals)) if vals else (1, 2)
    k0, k1 = math.floor(math.log2(lo) + 1e-9), math.ceil(math.log2(hi) - 1e-9)
    ticks = [2.0 ** k for k in range(k0, max(k1, k0 + 1) + 1)]
    if axis == "x":
        ax.set_xscale("log", base=2)
        a, set_lim = ax.xaxis, ax.set_xlim
    else:
        ax.set_yscale("log", base=2)
        a, set_lim = ax.yaxis, ax.set_ylim
    a.set_major_locator(ticker.FixedLocator(ticks))
    a.set_major_formatter(ticker.FuncFormatter(lambda v, _: _plain(v)))
    a.set_minor_locator(ticker.NullLocator())
    set_lim(ticks[0] / 2 ** 0.25, ticks[-1] * 2 ** 0.25)


def log10_axis(ax, values, axis="y"):
    """Log-10 scale labelled with plain numbers; within about two decades also at 2x and 5x."""
    vals = [v for v in values if v and v > 0 and math.isfinite(v)]
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    a = ax.xaxis if axis == "x" else ax.yaxis
    if not vals:
        return
    decades = math.log10(max(vals) / min(vals))
    subs = (1.0,) if decades > 2.5 else ((1.0, 2.0, 5.0) if decades > 0.8 else (1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
    a.set_major_locator(ticker.LogLocator(base=10, subs=subs))
    a.set_major_formatter(ticker.FuncFormatter(lambda v, _: plain_number(v)))
    a.set_minor_locator(ticker.LogLocator(base=10, subs=tuple(range(1, 10))))
    a.set_minor_formatter(ticker.NullFormatter())


def errorbars(ax, x, y, lo=None, hi=None, xlo=None, xhi=None, **kw):
    """Mean values y at x with bars from lo to hi (e.g. min and max over seeds; None: no bars), always
    an errorbar container, so that legends keep the order in which series are drawn. Returns the line."""
    def err(v, a, b):
        if a is None or b is None:
            return None
        return [[max(0.0, m - l) for m, l in zip(v, a)], [max(0.0, h - m) for m, h in zip(v, b)]]

    yerr, xerr = err(y, lo, hi), err(x, xlo, xhi)
    c = ax.errorbar(x, y, yerr=yerr, xerr=xerr, elinewidth=0.8, **kw)
    return c.lines[0]


def band(ax, x, lo, hi, color, alpha=0.18, **kw):
    """Hook for error bands: a shaded interval lo..hi over x (for prediction intervals, once the
    results database has them; the seeds' spread is drawn as error bars by `errorbars`)."""
    return ax.fill_between(x, lo, hi, color=color, alpha=alpha, lw=0, **kw)


def save(fig, path_stem, formats=("png",), dpi=150):
    """Writes path_stem.<fmt> for each format; PDF and SVG without creation dates. Returns the paths."""
    out = []
    for fmt in formats:
        path = f"{path_stem}.{fmt}"
        meta = {"png": None, "pdf": {"CreationDate": None, "ModDate": None}, "svg": {"Date": None}}[fmt]
        fig.savefig(path, dpi=dpi, format=fmt, metadata=meta)
        out.append(path)
    return out


def parse_formats(text):
    """'png,pdf' -> ('png', 'pdf'); 'all' -> every format; raises ValueError on an unknown one."""
    fmts = FORMATS if text == "all" else tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ValueError(f"unknown format {', '.join(bad) or text!r} (png, pdf, svg, comma-separated, or all)")
    return fmts


# ------------------------------------------------------------------------------------ measurements
CALIBRATION_SET = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "calibration-set.yaml")
HARDWARE_NAMES = {"a100-40gb-node": "a100", "h100-94gb-node": "h100"}
DEFAULT_PHASE = {"resnet50": "train"}


def _scalar(v):
    v = v.strip().strip('"')
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def measured_runs(path=CALIBRATION_SET):
    """The measured runs of the calibration set (Huber et al. 2025), as dicts with workload, phase,
    hardware (catalog name), gpus, lbs, gbs, epochs, samples_per_gpu and, where published or
    derivable, energy_kwh_total, runtime_h, gpu_hours. ResNet50's totals are derived from the
    published CPU energy and CPU share of the total. Reads only the `runs:` list (no YAML library)."""
    if not os.path.isfile(path):
        return []
    runs, cur, section = [], None, None
    with open(path) as fh:
        for raw in fh:
            line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
            if not line.strip():
                continue
            if not line.startswith(" "):
                section = line.split(":", 1)[0]
                continue
            if section != "runs":
                continue
            s = line.strip()
            if s.startswith("- "):
                cur = {}
                runs.append(cur)
                s = s[2:]
            if cur is None or ":" not in s:
                continue
            k, _, v = s.partition(":")
            v = v.strip()
            if v.startswith("{") and v.endswith("}"):
                cur[k.strip()] = {a.strip(): _scalar(b) for a, _, b in (kv.partition(":") for kv in v[1:-1].split(","))}
            else:
                cur[k.strip()] = _scalar(v)
    out = []
    for r in runs:
        m = r.get("measured", {})
        total = m.get("energy_total_kwh")
        if total is None and "energy_cpu_kwh" in m and m.get("cpu_share_of_total"):
            total = m["energy_cpu_kwh"] / m["cpu_share_of_total"]
        out.append({"id": r.get("id", ""), "workload": r.get("workload", ""),
                    "phase": r.get("phase", DEFAULT_PHASE.get(r.get("workload", ""), "")),
                    "hardware": HARDWARE_NAMES.get(r.get("hardware", ""), r.get("hardware", "")),
                    "gpus": r.get("gpus"), "lbs": r.get("lbs"), "gbs": r.get("gbs"), "epochs": r.get("epochs"),
                    "samples_per_gpu": r.get("samples_per_gpu", 0), "energy_kwh_total": total,
                    "runtime_h": m.get("runtime_h"), "gpu_hours": m.get("gpu_hours")})
    return out


def match_measured(measured, config):
    """The measured runs with the configuration of `config` (dict with workload, phase, hardware,
    gpus, lbs, gbs, epochs, samples_per_gpu, overrides): same workload, phase, catalog hardware,
    n, LBS, GBS, epochs and dataset, and no parameter overrides."""
    if config.get("overrides"):
        return []
    keys = ("workload", "phase", "hardware", "gpus", "lbs", "gbs", "epochs", "samples_per_gpu")
    return [m for m in measured if all(m[k] == config.get(k) for k in keys)]


def draw_measured(ax, measured, points, xkey, ykey):
    """Black stars at the measured runs whose configuration is a plotted point (each run once).
    `points` yields (n, config) of the plotted points; x is n when xkey == "n", else the run's
    own xkey value. Returns the drawn (xs, ys)."""
    seen, xs, ys = set(), [], []
    for n, config in points:
        for m in match_measured(measured, config):
            x = n if xkey == "n" else m.get(xkey)
            if m["id"] in seen or x is None or m.get(ykey) is None:
                continue
            seen.add(m["id"])
            xs.append(x)
            ys.append(m[ykey])
    if xs:
        ax.plot(xs, ys, **MEASURED_STYLE)
    return xs, ys
