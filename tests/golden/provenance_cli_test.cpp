// No silent fallback: a run's calibration is looked up by resolved names; a catalog copy under
// another file name changes nothing, a renamed node or a workload without calibration is a
// stated transfer (stderr warning, JSON provenance, run --explain).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/golden/cli_fixture.hpp"

namespace fs = std::filesystem;

namespace {
using Provenance = ddpsim_test::CliDir;

std::string catalog(const std::string& rel) {
  std::ifstream in(std::string(DDPSIM_TEST_DIR) + "/../" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string renamed(std::string text, const std::string& from, const std::string& to) {
  auto p = text.find("\nname: " + from + "\n");
  if (p == std::string::npos) p = text.find("name: " + from + "\n");
  EXPECT_NE(p, std::string::npos);
  text.replace(text.find("name: " + from, p), 6 + from.size(), "name: " + to);
  return text;
}

const std::string kArgs = " --gpus 16 --lbs 256 --epochs 3 --format json";
}  // namespace

TEST_F(Provenance, ACatalogCopyUnderAnotherFileNameGivesByteIdenticalResults) {
  std::string copy = write("my-copy-of-h100.yaml", catalog("hwmodels/catalog/h100.yaml"));
  auto a = ddpsim("run --workload resnet50 --hardware h100" + kArgs);
  auto b = ddpsim("run --workload resnet50 --hardware '" + copy + "'" + kArgs);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(b.err, "");  // same name, same calibration entry: nothing to warn about
}

TEST_F(Provenance, ARenamedNodeWarnsThatItsCalibrationIsTransferredAndFromWhere) {
  std::string mine = write("mine.yaml", renamed(catalog("hwmodels/catalog/h100.yaml"), "h100", "my-h100"));
  auto ref = ddpsim("run --workload resnet50 --hardware h100" + kArgs);
  auto r = ddpsim("run --workload resnet50 --hardware '" + mine + "'" + kArgs);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("ddpsim: warning: hardware 'my-h100' has no node calibration"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("transferred from 'h100' (same GPU model)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("step costs transferred from resnet50 on h100"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("\"kind\": \"transferred\""), std::string::npos);
  EXPECT_NE(r.out.find("\"entry\": \"resnet50 on h100\""), std::string::npos);
  // Same GPU model: the transferred values are the h100 ones, so the totals agree.
  auto key = [](const std::string& json, const std::string& k) {
    auto p = json.find("\"" + k + "\": ");
    return p == std::string::npos ? std::string() : json.substr(p, json.find('\n', p) - p);
  };
  EXPECT_EQ(key(r.out, "runtime_h"), key(ref.out, "runtime_h"));
  EXPECT_EQ(key(r.out, "total"), key(ref.out, "total"));
}

TEST_F(Provenance, AnotherGpuIsScaledByStatedDatasheetRatios) {
  // An "H100" whose datasheet says twice the tensor throughput: ResNet50 states its FLOPs, so the
  // roofline prices its compute against the new peak (the preferred transfer); the host-side
  // costs come from the closest entry.
  std::string text = renamed(catalog("hwmodels/catalog/h100.yaml"), "h100", "fast-h100");
  text.replace(text.find("gpu_model: NVIDIA H100 94GB"), 27, "gpu_model: Faster GPU X1");
  auto p = text.find("tensor_tflops: {value: 495");
  ASSERT_NE(p, std::string::npos);
  text.replace(p, 26, "tensor_tflops: {value: 990");
  std::string fast = write("fast.yaml", text);
  auto r = ddpsim("run --workload resnet50 --hardware '" + fast + "' --gpus 4 --lbs 256 --explain");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("closest GPU, uncertain"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("roofline: 3 x 8.178e+09 FLOP / (990 TFLOP/s tf32 peak x efficiency(resnet50) = 1)"), std::string::npos) << r.out;
  // ResNet50 has fitted per-sample times of its own: they set its efficiency.
  EXPECT_NE(r.out.find("resnet50's own fitted compute.per_sample on a100"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("compute.per_sample"), std::string::npos);
  EXPECT_NE(r.out.find("other step costs from resnet50 on h100 (decode x CPU clock ratio)"), std::string::npos) << r.out;
}

TEST_F(Provenance, ExplainAndJsonNameTheSourceOfEveryCalibratedParameter) {
  auto e = ddpsim("run --workload resnet50 --hardware a100 --gpus 4 --lbs 256 --explain");
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_NE(e.out.find("node calibration:     own entry - calibration entry hardware.a100"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("power.overhead_activity"), std::string::npos);
  EXPECT_NE(e.out.find("prior: the measured code copies batches from pageable memory"), std::string::npos);
  EXPECT_EQ(e.err, "");
  auto j = ddpsim("run --workload resnet50 --hardware a100 --gpus 4 --lbs 256 --epochs 1 --format json");
  ASSERT_EQ(j.code, 0);
  EXPECT_NE(j.out.find("\"name\": \"loader.decode_per_sample\""), std::string::npos);
  EXPECT_NE(j.out.find("\"source\": \"fit: measured runs\""), std::string::npos);
}
