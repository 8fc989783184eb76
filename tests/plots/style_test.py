#!/usr/bin/python3
"""Unit checks of experiments/plots/ddpsim_style.py: labels for people, log-2 ticks, palette and
styles, measured runs of the calibration set, formats. Exit 0 ok, 1 a check failed, 77 no matplotlib.
    /usr/bin/python3 tests/plots/style_test.py
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "experiments", "plots"))
try:
    import ddpsim_style as st
except ImportError as e:
    print(f"style_test: {e}", file=sys.stderr)
    sys.exit(77 if "matplotlib" in str(e) else 1)

failed = []


def check(what, got, want):
    if got != want:
        failed.append(what)
        print(f"FAIL {what}: got {got!r}, want {want!r}")


L = st.series_label
check("constant LBS", L("resnet50/train/a100/constant_lbs/lbs=256/epochs=100"), "ResNet50 A100, constant LBS 256")
check("constant GBS, phase", L("fourcastnet/pretrain/h100/constant_gbs/gbs=16/epochs=80"),
      "FourCastNet H100 pre-training, constant GBS 16")
check("scaled dataset", L("resnet50/train/a100/scaled_dataset_constant_lbs/lbs=256/spg=5004/epochs=100"),
      "ResNet50 A100, constant LBS 256, scaled dataset 5004/GPU")
check("set:", L("resnet50/train/a100/constant_gbs/gbs=256/epochs=2/set:gpu.power_limit=300 W"),
      "ResNet50 A100, constant GBS 256, set gpu.power_limit = 300 W")
check("grid", L("fourcastnet/finetune/a100/grid/lbs=4,gbs=64/epochs=50"), "FourCastNet A100 fine-tuning, LBS 4, GBS 64")
check("epochs", L("resnet50/train/a100/constant_lbs/lbs=256/epochs=2", epochs=True), "ResNet50 A100, constant LBS 256, 2 epochs")
labels = st.series_labels(["resnet50/train/a100/constant_lbs/lbs=256/epochs=2", "resnet50/train/a100/constant_lbs/lbs=256/epochs=100",
                           "fourcastnet/pretrain/a100/constant_lbs/lbs=1/epochs=80"], width=None)
check("epochs only where they differ", sorted(labels.values()),
      ["FourCastNet A100 pre-training, constant LBS 1", "ResNet50 A100, constant LBS 256, 100 epochs",
       "ResNet50 A100, constant LBS 256, 2 epochs"])
check("wrap", st.wrap("ResNet50 A100, constant GBS 256, scaled dataset 5004/GPU, set gpu.power_limit = 300 W", 52),
      "ResNet50 A100, constant GBS 256,\nscaled dataset 5004/GPU, set gpu.power_limit = 300 W")

# Styles: at most 7 colours (no black), then marker and line style change; no two series alike.
styles = [st.style(i) for i in range(20)]
check("colours", len({s["color"] for s in styles}), 7)
check("black reserved", any(s["color"].lower() in ("#000000", "black", "k") for s in styles), False)
check("distinct styles", len({tuple(sorted(s.items())) for s in styles}), 20)

# Log-2 axis: a tick at every power of two, plain labels.
fig, ax = st.figure(4, 3)
ax.plot([1, 256], [1, 2])
st.log2_axis(ax, [1, 256], "x")
ticks = list(ax.get_xticks())
check("log2 ticks", ticks, [2.0 ** k for k in range(9)])
fmt = ax.xaxis.get_major_formatter()
check("log2 labels", [fmt(t, i) for i, t in enumerate(ticks)], ["1", "2", "4", "8", "16", "32", "64", "128", "256"])
check("plain numbers", [st.plain_number(v) for v in (1e6, 20, 0.5)], ["1,000,000", "20", "0.5"])

# Measured runs of the calibration set.
m = st.measured_runs()
check("measured runs", len(m), 7)
by_id = {r["id"]: r for r in m}
check("hardware mapped", by_id["fcn-pre-h100-n32-lbs1"]["hardware"], "h100")
check("FourCastNet energy", by_id["fcn-pre-a100-n4-lbs4"]["energy_kwh_total"], 120.70)
check("ResNet50 total from CPU share", round(by_id["rn50-a100-n1-lbs256"]["energy_kwh_total"], 2), 38.57)
cfg = {"workload": "fourcastnet", "phase": "pretrain", "hardware": "a100", "gpus": 32, "lbs": 1, "gbs": 32, "epochs": 80,
       "samples_per_gpu": 0, "overrides": ""}
check("match", [r["id"] for r in st.match_measured(m, cfg)], ["fcn-pre-a100-n32-lbs1"])
check("no match with overrides", st.match_measured(m, dict(cfg, overrides="gpu.power_limit=300 W")), [])
check("no match other epochs", st.match_measured(m, dict(cfg, epochs=2)), [])

check("formats", st.parse_formats("png,svg"), ("png", "svg"))
check("all formats", st.parse_formats("all"), ("png", "pdf", "svg"))
try:
    st.parse_formats("gif")
    failed.append("unknown format accepted")
    print("FAIL unknown format accepted")
except ValueError:
    pass

print(f"style_test: {len(failed)} of the checks failed" if failed else "style_test: all checks passed")
sys.exit(1 if failed else 0)
