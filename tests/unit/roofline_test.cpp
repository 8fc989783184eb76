// The roofline step cost by hand, and the short workload form a user writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "hwmodels/hardware.hpp"
#include "sim/provenance/calibration_lookup.hpp"
#include "workloads/workload.hpp"

using namespace ddpsim;

TEST(Roofline, PerSampleTimeByHand) {
  // 1e9 FLOP forward, training 3e9 FLOP, bf16 peak 100 TFLOP/s at efficiency 0.5: 60 us.
  EXPECT_NEAR(roofline_per_sample_s(1e9, 100e12, 0.5, 0, 1e12), 60e-6, 1e-12);
  // A memory term of 0.1 B/FLOP at 1 TB/s adds 3e9 x 0.1 / 1e12 = 300 us.
  EXPECT_NEAR(roofline_per_sample_s(1e9, 100e12, 0.5, 0.1, 1e12), 360e-6, 1e-12);
}

TEST(Roofline, ShortWorkloadFileAndEfficiencyLookup) {
  auto path = std::filesystem::temp_directory_path() / "ddpsim_roofline_vit.yaml";
  std::ofstream(path) << "name: vit-b16\n"
                         "model: {parameters: 86567656, forward_flops_per_sample: 35.1e9, precision: bf16, family: transformer, optimizer: adam}\n"
                         "dataset: {train_samples: 1281167, sample_bytes: 110 kB}\n";
  WorkloadSpec w = load_workload_file(path.string());
  EXPECT_EQ(w.phases.size(), 1u);
  EXPECT_EQ(w.phases[0].name, "train");
  EXPECT_DOUBLE_EQ(w.p(kInputBytes), 110e3);
  EXPECT_DOUBLE_EQ(w.p(kGradientBytes), 86567656.0 * 4);
  // fp32 weights 4 + fp32 gradients 4 + Adam 8 + bf16 copy 2 bytes per parameter + 1 GB.
  EXPECT_DOUBLE_EQ(w.p(kMemFixed), 86567656.0 * 18 + 1e9);
  HardwareSpec hw = load_hardware("dgx-h100");
  hw.params.set(kGpuBf16Tflops, 100, "test");
  Calibration cal;
  ParamSet eff(efficiency_table());
  eff.set(kRoofEfficiency, 0.5, "test", "test entry");
  cal.efficiency_sets.emplace(std::make_pair(std::string("transformer"), std::string("bf16")), eff);
  Roofline r = roofline(cal, w, hw);
  EXPECT_NEAR(r.per_sample_s, 3 * 35.1e9 / (100e12 * 0.5), 1e-12);
  EXPECT_NEAR(r.optimizer_s, 86567656.0 * 28 / hw.p(kGpuMemBw), 1e-12);
  EXPECT_NE(r.how.find("efficiency(transformer, bf16) = 0.5"), std::string::npos) << r.how;
  std::filesystem::remove(path);
}

TEST(Roofline, TheWorkloadsOwnFittedPairsRefineItsFamilysEfficiency) {
  // The cnn family says 0.5, but ResNet50's own fitted per-sample time on the A100 node implies
  // 0.25 at the family's memory term (0.01 B/FLOP here): on a V100 the roofline uses 0.25.
  WorkloadSpec w = load_workload("resnet50");
  HardwareSpec a100 = load_hardware("a100"), v100 = load_hardware("zeus-v100");
  const int prec = static_cast<int>(w.p(kPrecision));
  const double train = 3 * w.p(kForwardFlops), q = 0.01;
  Calibration cal;
  ParamSet eff(efficiency_table());
  eff.set(kRoofEfficiency, 0.5, "test", "test entry");
  eff.set(kRoofBytesPerFlop, q, "test", "test entry");
  cal.efficiency_sets.emplace(std::make_pair(std::string("cnn"), std::string("tf32")), eff);
  Roofline family = roofline(cal, w, v100);
  EXPECT_NEAR(family.per_sample_s, roofline_per_sample_s(w.p(kForwardFlops), peak_flops(v100, prec), 0.5, q, v100.p(kGpuMemBw)), 1e-15);
  ParamSet pair(workload_calibration_table());
  pair.set(kPerSample, roofline_per_sample_s(w.p(kForwardFlops), peak_flops(a100, prec), 0.25, q, a100.p(kGpuMemBw)), "fit", "fit: test run");
  cal.workload_sets.emplace(std::make_pair(std::string("resnet50"), std::string("a100")), pair);
  Roofline own = roofline(cal, w, v100);
  EXPECT_NEAR(own.efficiency, 0.25, 1e-12);
  EXPECT_NEAR(own.per_sample_s, train / (peak_flops(v100, prec) * 0.25) + train * q / v100.p(kGpuMemBw), 1e-15);
  EXPECT_NE(own.how.find("efficiency(resnet50) = 0.25"), std::string::npos) << own.how;
  EXPECT_NE(own.efficiency_from.find("resnet50's own fitted compute.per_sample on a100"), std::string::npos) << own.efficiency_from;
  // A per-sample time that is not a fit (a prior, a transfer) does not count.
  cal.workload_sets.begin()->second.set(kPerSample, pair[kPerSample], "prior", "prior: a guess");
  EXPECT_NEAR(roofline(cal, w, v100).efficiency, 0.5, 1e-15);
}
