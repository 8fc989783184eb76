// Golden tests of the output formats other tools read: `collective --format nccl-tests` and
// `run --power-trace F --trace-format nvidia-smi|perun`. Regenerate the golden files with
//   DDPSIM_UPDATE_GOLDEN=1 ctest -R Cli.Golden
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/golden/cli_run.hpp"

namespace fs = std::filesystem;

namespace {

using ddpsim_test::Result;
using ddpsim_test::check_golden;
using ddpsim_test::cli;
using ddpsim_test::slurp;
using ddpsim_test::temp_dir;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

// Two nodes of 4 A100s, 2000 samples per GPU: about 6.7 s of training.
const std::string kRun = "run --workload resnet50 --hardware a100 --gpus 8 --lbs 64 --epochs 1 --samples-per-gpu 2000 ";

}  // namespace

TEST(Cli, GoldenCollectiveNcclTests) {
  auto sweep = cli("collective --hardware a100 --gpus 32 --sweep-bytes 8B..1GiB --format nccl-tests");
  ASSERT_EQ(sweep.code, 0) << sweep.err;
  auto l = lines_of(sweep.out);
  ASSERT_GE(l.size(), 20u);
  EXPECT_EQ(l[0].rfind("# nThread 1 nGpus 1 minBytes 8 maxBytes 1073741824 step: 2(factor) warmup iters: 5 iters: 20", 0), 0u) << l[0];
  EXPECT_EQ(l[2], "# Using devices");
  EXPECT_EQ(l[3], "#  Rank  0 Group  0 Pid      0 on      node0 device  0 [0x00] NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(l[11], "#  ... (32 ranks, simulated by ddpsim)");  // 8 rank lines, then the count
  EXPECT_EQ(l[13], "#                                                              out-of-place                       in-place          ");
  EXPECT_EQ(l[14], "#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   busbw #wrong");
  EXPECT_EQ(l[15], "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)            (us)  (GB/s)  (GB/s)       ");
  EXPECT_EQ(l[16].substr(0, 52), "           8             2     float     sum      -1");
  EXPECT_EQ(l[l.size() - 3], "# Out of bounds values : 0 OK");
  EXPECT_EQ(l[l.size() - 2].rfind("# Avg bus bandwidth    : ", 0), 0u);
  EXPECT_EQ(l.back(), "#");
  check_golden("collective_a100_n32_sweep_nccl_tests.txt", sweep.out);
  auto one = cli("collective --hardware h100 --gpus 4 --bytes 25MB --format nccl-tests");
  ASSERT_EQ(one.code, 0) << one.err;
  auto o = lines_of(one.out);
  EXPECT_EQ(o[0].rfind("# nThread 1 nGpus 1 minBytes 25000000 maxBytes 25000000 step: 1048576(bytes)", 0), 0u) << o[0];
  EXPECT_EQ(std::count(one.out.begin(), one.out.end(), '\n'), 3 + 4 + 4 + 1 + 3);  // 4 ranks, no "..." line
  check_golden("collective_h100_n4_25MB_nccl_tests.txt", one.out);
  auto bad = cli("collective --gpus 8 --bytes 25MB --format nccl");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--format must be table, json or nccl-tests"), std::string::npos) << bad.err;
}

TEST(Cli, GoldenPowerTraceNvidiaSmi) {
  fs::path p = temp_dir() / "smi.csv";
  auto r = cli(kRun + "--power-trace '" + p.string() + "' --trace-format nvidia-smi --trace-nodes 1 --start 2026-01-01T00:00:00Z");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(p.string() + ".tmp"));
  std::string csv = slurp(p);
  auto l = lines_of(csv);
  ASSERT_GE(l.size(), 5u);
  EXPECT_EQ(l[0], "timestamp, index, power.draw [W], utilization.gpu [%]");
  // Node 1 only: global ranks 4..7, one row each per 1 s sample.
  for (int g = 0; g < 4; ++g) EXPECT_EQ(l[static_cast<std::size_t>(1 + g)].rfind("2026/01/01 00:00:01.000, " + std::to_string(4 + g) + ", ", 0), 0u) << l[1];
  EXPECT_EQ((l.size() - 1) % 4, 0u);
  check_golden("run_resnet50_a100_n8_node1_nvidia_smi.csv", csv);
  // site.start_time is the default start.
  auto s = cli(kRun + "--power-trace '" + p.string() + "' --trace-format nvidia-smi --set site.start_time=2024-02-29T23:59:59Z");
  ASSERT_EQ(s.code, 0) << s.err;
  auto sl = lines_of(slurp(p));
  ASSERT_GE(sl.size(), 6u);
  EXPECT_EQ(sl[5], "2024/03/01 00:00:00.000, 4, " + l[1].substr(l[1].find(", 4, ") + 5)) << sl[5];  // GPU 4, the same reading
  // Without --start: 1970-01-01.
  auto e = cli(kRun + "--power-trace '" + p.string() + "' --trace-format nvidia-smi");
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(lines_of(slurp(p))[1].rfind("1970/01/01 00:00:01.000, 0, ", 0), 0u);
}

TEST(Cli, GoldenPowerTracePerun) {
  fs::path p = temp_dir() / "perun.json";
  auto r = cli(kRun + "--power-trace '" + p.string() + "' --trace-format perun --start 2026-01-01T00:00:00Z");
  ASSERT_EQ(r.code, 0) << r.err;
  std::string json = slurp(p);
  for (const char* key : {"\"type\":1", "\"2026-01-01T00:00:00.000000\"", "\"node0\"", "\"node1\"", "\"GPU-0\"", "\"GPU-7\"", "\"deviceType\":\"gpu\""}) {
    EXPECT_NE(json.find(key), std::string::npos) << key;
  }
  check_golden("run_resnet50_a100_n8_perun.json", json);
}

TEST(Cli, PowerTraceFormatsRejectBadInputAndLeaveNoFile) {
  fs::path p = temp_dir() / "never.csv";
  std::string t = "--power-trace '" + p.string() + "' ";
  std::vector<std::pair<std::string, std::string>> cases = {
      {t + "--trace-format nvidia", "--trace-format must be wide, nvidia-smi or perun (got 'nvidia')"},
      {t + "--trace-format perum", "(got 'perum') (did you mean 'perun'?)"},
      {t + "--trace-format nvidia-smi --trace-nodes 2", "--trace-nodes: node 2 is not in the job (nodes 0..1)"},
      {t + "--trace-format nvidia-smi --trace-nodes 0,0", "--trace-nodes names a node twice"},
      {t + "--trace-format nvidia-smi --trace-nodes 0,x", "--trace-nodes expects node numbers such as 0,3 (got '0,x')"},
      {t + "--trace-format nvidia-smi --trace-nodes ''", "--trace-nodes expects node numbers"},
      {t + "--trace-format perun --start 2026-01-01", "--start: '2026-01-01' is not an ISO 8601 UTC time"},
      {t + "--trace-format perun --start 2026-01-01T00:00:00+01:00", "--start: '2026-01-01T00:00:00+01:00': only UTC times"},
      {t + "--trace-nodes 0", "--trace-nodes applies to --trace-format nvidia-smi or perun"},
      {t + "--start 2026-01-01T00:00:00Z", "--start applies to --trace-format nvidia-smi or perun"},
      {"--trace-format perun", "--trace-format needs --power-trace"},
      {"--trace-nodes 0", "--trace-nodes needs --power-trace"},
  };
  for (const auto& [args, expect] : cases) {
    auto r = cli(kRun + args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << args << "\n" << r.err;
    EXPECT_FALSE(fs::exists(p)) << args;
    EXPECT_FALSE(fs::exists(p.string() + ".tmp")) << args;
  }
}

// 4096 GPUs x more than 1000 samples in the long format: rows are streamed, so the process stays
// small (n x samples readings would be 36 MB as doubles, the file is about 200 MB).
TEST(Cli, NvidiaSmiTraceOf4096GpusStreamsRows) {
  fs::path p = temp_dir() / "big.csv";
  auto r = cli("run --workload resnet50 --hardware a100 --gpus 4096 --lbs 64 --epochs 1 --samples-per-gpu 640 --sample-interval 2500us "
               "--gpu-sensor nvml --power-trace '" + p.string() + "' --trace-format nvidia-smi");
  ASSERT_EQ(r.code, 0) << r.err;
  struct rusage ru {};
  ASSERT_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0);
  // ASan's shadow memory and quarantine add about 30 MB here (128 MB measured); the bound still
  // fails a run that keeps the readings or the file's rows.
#if defined(__SANITIZE_ADDRESS__)
  constexpr long kMaxRssKb = 200 * 1024;
#else
  constexpr long kMaxRssKb = 100 * 1024;
#endif
  EXPECT_LT(ru.ru_maxrss, kMaxRssKb) << "max resident set " << ru.ru_maxrss << " kB";
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  std::size_t rows = 0;
  std::string first_stamp, stamp;
  std::size_t samples = 0;
  while (std::getline(in, line)) {
    std::string s = line.substr(0, line.find(','));
    if (s != stamp) {
      stamp = s;
      ++samples;
    }
    ++rows;
  }
  in.close();
  fs::remove(p);
  EXPECT_GE(samples, 1000u);
  EXPECT_EQ(rows, samples * 4096);
}

// The long format samples exactly as the wide one: the same readings for the GPUs of node 0,
// as interval means and through the NVML sensor model (instantaneous on A100, 1 s on H100).
TEST(Cli, NvidiaSmiTraceHasTheWideTracesReadings) {
  for (std::string hw : {"a100", "h100"}) {
    for (std::string sensor : {"mean", "nvml"}) {
      SCOPED_TRACE(hw + " " + sensor);
      fs::path wide = temp_dir() / "wide.csv", smi = temp_dir() / "long.csv";
      std::string run = "run --workload resnet50 --hardware " + hw + " --gpus 8 --lbs 64 --epochs 1 --samples-per-gpu 1000 --sample-interval 300ms " +
                        "--gpu-sensor " + sensor + " --power-trace ";
      ASSERT_EQ(cli(run + "'" + wide.string() + "'").code, 0);
      ASSERT_EQ(cli(run + "'" + smi.string() + "' --trace-format nvidia-smi").code, 0);
      auto w = lines_of(slurp(wide)), l = lines_of(slurp(smi));
      const std::size_t per_node = 4;  // both node types have 4 GPUs
      ASSERT_GT(w.size(), 3u);
      ASSERT_EQ(l.size() - 1, (w.size() - 1) * 8);
      for (std::size_t k = 1; k < w.size(); ++k) {
        std::vector<double> cells;
        std::stringstream ss(w[k]);
        std::string c;
        while (std::getline(ss, c, ',')) cells.push_back(std::stod(c));
        ASSERT_EQ(cells.size(), 5 + per_node);
        for (std::size_t g = 0; g < per_node; ++g) {
          const std::string& row = l[1 + (k - 1) * 8 + g];
          auto p = row.find(", " + std::to_string(g) + ", ");
          ASSERT_NE(p, std::string::npos) << row;
          double smi_w = std::stod(row.substr(p + 4 + std::to_string(g).size()));
          EXPECT_NEAR(smi_w, cells[5 + g], 0.0051) << row << " vs " << w[k];
        }
      }
    }
  }
}

TEST(Cli, GoldenRunInterval) {
  // The calibration's covariance and discrepancy around the point prediction (issue: decisions).
  auto table = cli(kRun + "--interval 90");
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("interval: 90 % [low, high]"), std::string::npos) << table.out;
  check_golden("run_interval90_table.txt", table.out);
  auto json = cli(kRun + "--interval 90 --format json");
  ASSERT_EQ(json.code, 0) << json.err;
  for (const char* key : {"\"interval\"", "\"level\": 90", "\"runtime_h\": [", "\"gpu_hours\": [", "\"energy_kwh_total\": [",
                          "\"discrepancy_from\": \"paper/runtime_h\""}) {
    EXPECT_NE(json.out.find(key), std::string::npos) << key;
  }
  check_golden("run_interval90.json", json.out);
  for (const char* bad : {"--interval 100", "--interval 0", "--interval abc", "--interval-samples 10"}) {
    auto r = cli(kRun + bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("interval"), std::string::npos) << r.err;
  }
}
