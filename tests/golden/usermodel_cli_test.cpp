// A workload described by what its user knows runs, sweeps and validates on any node file.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/golden/cli_fixture.hpp"

namespace {
using UserModel = ddpsim_test::CliDir;
const char* kVit =
    "name: vit-b16\n"
    "model: {parameters: 86567656, forward_flops_per_sample: 35.1e9, precision: bf16}\n"
    "dataset: {train_samples: 1281167, sample_bytes: 110 kB}\n";
}  // namespace

TEST_F(UserModel, MinimalFileRunsWithTheRooflineTransferNamed) {
  std::string vit = write("vit.yaml", kVit);
  auto r = ddpsim("run --workload '" + vit + "' --hardware dgx-h100 --gpus 64 --lbs 64 --epochs 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("roofline: 3 x 3.51e+10 FLOP / (989 TFLOP/s bf16 peak x efficiency(other, bf16)"), std::string::npos) << r.err;
}

TEST_F(UserModel, NewWorkloadAndNodeFilesSweep) {
  std::string vit = write("vit.yaml", kVit);
  std::string sweep = write("s.yaml", "name: usermodel\nworkload: vit.yaml\nhardware: dgx-h100\nepochs: 1\ngpus: [8, 16]\nlbs: 64\n");
  auto r = ddpsim("sweep '" + sweep + "' --db '" + file("r.db") + "' --progress none");
  ASSERT_EQ(r.code, 0) << r.err;
}

namespace {
namespace fs = std::filesystem;
const std::string kCap = std::string(DDPSIM_TEST_DIR) + "/../experiments/reference/capture-cpu";
const std::string kCapFiles = "--workload '" + kCap + "/example-cnn.yaml' --hardware '" + kCap + "/machine.yaml'";
}  // namespace

TEST_F(UserModel, CapturedPairRunsSweepsAndValidatesWithoutATransferWarning) {
  auto c = ddpsim("calibrate --traces '" + kCap + "/fork-lbs8' '" + kCap + "/fork-lbs32' " + kCapFiles + " --out mine.yaml");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.out.find("base: "), std::string::npos) << c.out;
  auto r = ddpsim("run " + kCapFiles + " --gpus 1 --lbs 8 --epochs 3 --calibration mine.yaml");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // the fitted pair: no transfer warning
  auto e = ddpsim("run " + kCapFiles + " --gpus 1 --lbs 8 --calibration mine.yaml --explain");
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_NE(e.out.find("fit: captured step timings of"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("own entry - calibration entry workloads.example-cnn.capture-cpu"), std::string::npos) << e.out;
  // Without it, the same run says that it transfers.
  auto t = ddpsim("run " + kCapFiles + " --gpus 1 --lbs 8 --epochs 3");
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.err.find("warning"), std::string::npos) << t.err;
  std::string sweep = write("s.yaml", "name: cap\nworkload: " + kCap + "/example-cnn.yaml\nhardware: " + kCap +
                                          "/machine.yaml\nepochs: 1\ngpus: [1]\nlbs: [8, 32]\n");
  auto s = ddpsim("sweep '" + sweep + "' --db r.db --progress none --calibration mine.yaml");
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(s.err.find("warning"), std::string::npos) << s.err;
  // A measured run of the file-described pair (paths relative to the measured-runs file).
  fs::copy_file(kCap + "/example-cnn.yaml", file("example-cnn.yaml"));
  fs::copy_file(kCap + "/machine.yaml", file("machine.yaml"));
  write("measured.yaml",
        "source: fork-lbs8 capture\nruns:\n  - {id: cap8, workload: example-cnn.yaml, hardware: machine.yaml, gpus: 1, lbs: 8, epochs: 3,\n"
        "     measured: {runtime_h: 0.000423}}\n");
  auto v = ddpsim("validate --measured measured.yaml --calibration mine.yaml");
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.out.find("cap8"), std::string::npos) << v.out;
}

TEST_F(UserModel, ACaptureOfAWorkloadOutsideTheCatalogNeedsItsFile) {
  one_error(ddpsim("calibrate --traces '" + kCap + "/fork-lbs8' --out mine.yaml"),
            "the capture's workload 'example-cnn' is not in the catalog: describe it in a workload file and give --workload FILE");
  one_error(ddpsim("calibrate --traces '" + kCap + "/fork-lbs8' --workload '" + kCap + "/example-cnn.yaml' --out mine.yaml"),
            "the capture's hardware 'capture-cpu' is not in the catalog");
  EXPECT_FALSE(fs::exists(file("mine.yaml")));
}

TEST_F(UserModel, ValidateReadsPerunAndNvidiaSmiFiles) {
  const std::string data = std::string(DDPSIM_TEST_DIR) + "/data/readers";
  // Directly, the run described by the options.
  auto j = ddpsim("validate --measured '" + data + "/perun_export.json' " + kCapFiles + " --gpus 1 --lbs 8 --epochs 1");
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_NE(j.out.find("perun_export.json"), std::string::npos) << j.out;
  auto m = ddpsim("validate --measured '" + data + "/perun_report.md' " + kCapFiles + " --gpus 1 --lbs 8 --epochs 1");
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_NE(m.out.find("runtime_h"), std::string::npos) << m.out;
  one_error(ddpsim("validate --measured '" + data + "/perun_export.json'"), "describe the run it measured with --workload, --hardware, --gpus and --lbs");
  // From a measured-runs file (measured_from: relative to it).
  fs::copy_file(data + "/smi_header_units.csv", file("smi.csv"));
  write("m.yaml", "source: test\nruns:\n  - {id: smi, workload: " + kCap + "/example-cnn.yaml, hardware: " + kCap +
                      "/machine.yaml, gpus: 1, lbs: 8, epochs: 1, measured_from: smi.csv}\n");
  auto s = ddpsim("validate --measured m.yaml");
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_NE(s.out.find("average_gpu_power_w"), std::string::npos) << s.out;
  one_error(ddpsim("validate --measured m.yaml --gpus 2"), "--gpus describes the run of a --measured perun or nvidia-smi file");
}
