// A workload described by what its user knows runs, sweeps and validates on any node file.
#include <gtest/gtest.h>

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
