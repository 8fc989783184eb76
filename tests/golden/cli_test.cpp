// Golden-output tests of the CLI, run as a user runs it. Regenerate the golden files with
//   DDPSIM_UPDATE_GOLDEN=1 ctest -L golden_tests
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/provenance/calibration_file.hpp"
#include "sim/run/large_batch.hpp"
#include "sim/run/training_run.hpp"

#include "tests/golden/cli_run.hpp"

namespace fs = std::filesystem;

namespace {

using ddpsim_test::Result;
using ddpsim_test::check_golden;
using ddpsim_test::cli;
using ddpsim_test::slurp;
using ddpsim_test::temp_dir;

std::vector<std::vector<double>> read_csv_rows(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> v;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) v.push_back(std::stod(cell));
    rows.push_back(v);
  }
  return rows;
}
}  // namespace

TEST(Cli, HelpAndVersion) {
  auto r = cli("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("run "), std::string::npos);
  auto none = cli("");
  EXPECT_EQ(none.code, 2);
  auto v = cli("version");
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out, std::string("ddpsim ") + DDPSIM_VERSION + "\n");
  auto rh = cli("run --help");
  EXPECT_EQ(rh.code, 0);
  for (const char* flag : {"--workload", "--hardware", "--gpus", "--lbs", "--gbs", "--epochs", "--phase", "--samples-per-gpu",
                           "--seed", "--repeats", "--calibration", "--power-trace", "--sample-interval", "--gpu-sensor", "--trace-format", "--trace-nodes", "--start", "--format", "--set"}) {
    EXPECT_NE(rh.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(cli("list --help").code, 0);
  EXPECT_EQ(cli("bench --help").code, 0);
}

TEST(Cli, GoldenJsonResNet50) {
  auto r = cli("run --workload resnet50 --hardware a100 --gpus 8 --lbs 64 --epochs 2 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  check_golden("run_resnet50_a100_n8_lbs64_2ep.json", r.out);
}

TEST(Cli, GoldenJsonFourCastNetRepeats) {
  auto r = cli("run --workload fourcastnet --phase finetune --hardware h100 --gpus 8 --gbs 16 --epochs 1 --repeats 3 --seed 5 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  check_golden("run_fourcastnet_finetune_h100_n8_gbs16_1ep_x3.json", r.out);
  EXPECT_NE(r.out.find("\"std\": {"), std::string::npos);
}

TEST(Cli, GoldenTable) {
  auto r = cli("run --workload resnet50 --hardware h100 --gpus 4 --gbs 512 --epochs 1");
  ASSERT_EQ(r.code, 0) << r.err;
  check_golden("run_resnet50_h100_n4_gbs512_1ep.txt", r.out);
}

TEST(Cli, GoldenRankClasses) {
  // 16 nodes, one simulated: the table says so in one line, JSON carries rank_classes.
  auto table = cli("run --workload resnet50 --hardware a100 --gpus 64 --lbs 256 --epochs 1 --rank-classes");
  ASSERT_EQ(table.code, 0) << table.err;
  check_golden("run_resnet50_a100_n64_rank_classes.txt", table.out);
  EXPECT_NE(table.out.find("rank classes: 4 of 64 ranks simulated, each standing for 16 ranks"), std::string::npos) << table.out;
  auto json = cli("run --workload resnet50 --hardware a100 --gpus 64 --lbs 256 --epochs 1 --rank-classes --format json");
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_NE(json.out.find("\"rank_classes\": {\n    \"simulated_ranks\": 4,\n    \"ranks_per_class\": 16,\n    \"exact\": false,"), std::string::npos) << json.out;
  auto trace = cli("run --workload resnet50 --hardware a100 --gpus 64 --lbs 256 --epochs 1 --rank-classes --power-trace p.csv");
  EXPECT_EQ(trace.code, 2);
  EXPECT_NE(trace.err.find("drop --rank-classes"), std::string::npos) << trace.err;
  auto jitter = cli("run --workload resnet50 --hardware a100 --gpus 64 --lbs 256 --epochs 1 --rank-classes --set loader.jitter_cv=0.1");
  EXPECT_EQ(jitter.code, 2);
  EXPECT_NE(jitter.err.find("loader.jitter_cv"), std::string::npos) << jitter.err;
}

TEST(Cli, GoldenCollectiveJsonAndSweep) {
  auto one = cli("collective --hardware a100 --gpus 16 --bytes 25MB --format json");
  ASSERT_EQ(one.code, 0) << one.err;
  for (const char* key : {"\"time_us\"", "\"algbw_gbs\"", "\"busbw_gbs\"", "\"algorithm\""}) EXPECT_NE(one.out.find(key), std::string::npos) << key;
  check_golden("collective_a100_n16_25MB.json", one.out);
  auto sweep = cli("collective --hardware a100 --gpus 32 --sweep-bytes 8B..1GiB");
  ASSERT_EQ(sweep.code, 0) << sweep.err;
  check_golden("collective_a100_n32_sweep.txt", sweep.out);
  // A factor is part of the one argument: 8 B x 4^k up to 1 GiB is 14 sizes (plus two header lines).
  auto x4 = cli("collective --hardware a100 --gpus 32 --sweep-bytes '8B..1GiB x4'");
  ASSERT_EQ(x4.code, 0) << x4.err;
  EXPECT_EQ(std::count(x4.out.begin(), x4.out.end(), '\n'), 16) << x4.out;
  // Unquoted, the factor is a stray argument: an error, never silently dropped.
  auto stray = cli("collective --hardware a100 --gpus 32 --sweep-bytes 8B..1GiB x4");
  EXPECT_EQ(stray.code, 2);
  EXPECT_NE(stray.err.find("unexpected argument 'x4'"), std::string::npos) << stray.err;
  auto ab = cli("collective --hardware h100 --gpus 8 --bytes 1GB --set nccl.model=alpha_beta --format json");
  ASSERT_EQ(ab.code, 0) << ab.err;
  EXPECT_NE(ab.out.find("alpha_beta"), std::string::npos);
}

namespace {
// The number after the first "key": at or after `from` in a JSON text (NaN if absent).
double json_number(const std::string& json, const std::string& key, std::size_t from = 0) {
  auto k = json.find("\"" + key + "\": ", from);
  if (k == std::string::npos) return std::nan("");
  return std::strtod(json.c_str() + k + key.size() + 4, nullptr);
}
}  // namespace

TEST(Cli, RunJsonHasFacilityEnergyEmissionsAndCost) {
  auto r = cli("run --workload resnet50 --hardware a100 --gpus 4 --lbs 64 --epochs 1 --samples-per-gpu 400 --format json "
               "--set site.pue=1.2 --set 'site.carbon_intensity=0.4 kg/kWh' --set site.energy_price=0.30 "
               "--set site.gpu_hour_price=2.5 --set site.currency=USD");
  ASSERT_EQ(r.code, 0) << r.err;
  double total = json_number(r.out, "total", r.out.find("\"energy_kwh\""));
  double gpu_hours = json_number(r.out, "gpu_hours");
  ASSERT_GT(total, 0);
  double facility = json_number(r.out, "facility_energy_kwh");
  EXPECT_NEAR(facility, total * 1.2, 1e-9 * total);
  EXPECT_NEAR(json_number(r.out, "emissions_kg_co2e"), facility * 0.4, 1e-9 * total);
  EXPECT_NEAR(json_number(r.out, "cost_energy"), facility * 0.30, 1e-9 * total);
  EXPECT_NEAR(json_number(r.out, "cost_gpu_hours"), gpu_hours * 2.5, 1e-9 * gpu_hours);
  EXPECT_NEAR(json_number(r.out, "cost"), facility * 0.30 + gpu_hours * 2.5, 1e-9 * gpu_hours);
  auto site = r.out.find("\"site\": {");
  ASSERT_NE(site, std::string::npos);
  EXPECT_DOUBLE_EQ(json_number(r.out, "pue", site), 1.2);
  EXPECT_DOUBLE_EQ(json_number(r.out, "carbon_intensity_g_per_kwh", site), 400.0);
  EXPECT_NE(r.out.find("\"currency\": \"USD\""), std::string::npos);
  EXPECT_NE(r.out.find("\"not_given\": \"\""), std::string::npos);
  // Defaults: facility = metered energy, nothing else given, all of it said.
  auto d = cli("run --workload resnet50 --hardware a100 --gpus 4 --lbs 64 --epochs 1 --samples-per-gpu 400 --format json");
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_DOUBLE_EQ(json_number(d.out, "facility_energy_kwh"), json_number(d.out, "total", d.out.find("\"energy_kwh\"")));
  EXPECT_EQ(json_number(d.out, "emissions_kg_co2e"), 0.0);
  EXPECT_EQ(json_number(d.out, "cost"), 0.0);
  EXPECT_NE(d.out.find("\"not_given\": \"carbon_intensity, energy_price, gpu_hour_price\""), std::string::npos) << d.out;
  // A time series: 100 g/kWh until long after the run, so emissions = facility energy x 0.1 kg/kWh.
  fs::path csv = temp_dir() / "intensity.csv";
  std::ofstream(csv) << "timestamp,carbon_intensity_g_per_kwh\n2024-01-01T00:00:00Z,100\n2024-01-02T00:00:00Z,900\n";
  auto ts = cli("run --workload resnet50 --hardware a100 --gpus 4 --lbs 64 --epochs 1 --samples-per-gpu 400 --format json "
                "--set 'site.carbon_intensity=@" + csv.string() + "' --set site.start_time=2024-01-01T08:00:00Z");
  ASSERT_EQ(ts.code, 0) << ts.err;
  // Relative: both numbers are printed to limited significant digits.
  EXPECT_NEAR(json_number(ts.out, "emissions_kg_co2e") / (json_number(ts.out, "facility_energy_kwh") * 0.1), 1.0, 1e-6);
  EXPECT_NE(ts.out.find("\"start_time\": \"2024-01-01T08:00:00Z\""), std::string::npos);
  // The table shows them too.
  auto t = cli("run --workload resnet50 --hardware a100 --gpus 4 --lbs 64 --epochs 1 --samples-per-gpu 400 --set site.pue=1.2");
  ASSERT_EQ(t.code, 0) << t.err;
  for (const char* k : {"facility_energy_kwh", "emissions_kg_co2e", "cost ", "site: PUE 1.2"}) EXPECT_NE(t.out.find(k), std::string::npos) << k;
}

TEST(Cli, SameSeedByteIdenticalJson) {
  const std::string args = "run --workload resnet50 --hardware a100 --gpus 16 --gbs 1024 --epochs 1 --seed 42 --format json";
  auto a = cli(args), b = cli(args);
  ASSERT_EQ(a.code, 0);
  EXPECT_EQ(a.out, b.out);
  auto c = cli("run --workload resnet50 --hardware a100 --gpus 16 --gbs 1024 --epochs 1 --seed 43 --format json");
  EXPECT_NE(a.out, c.out);
}

TEST(Cli, PowerTraceIntegratesToReportedEnergy) {
  fs::path trace = temp_dir() / "trace.csv";
  auto r = cli("run --workload fourcastnet --hardware a100 --gpus 8 --lbs 1 --epochs 1 --format json --power-trace '" +
                  trace.string() + "' --sample-interval 1s");
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(trace);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "time_s,gpu_w,cpu_w,ram_w,total_w,gpu0_w,gpu1_w,gpu2_w,gpu3_w");
  double prev_t = 0, e_total = 0, e_parts = 0;
  int rows = 0;
  for (const auto& v : read_csv_rows(trace)) {
    ASSERT_EQ(v.size(), 9u);
    double dt = v[0] - prev_t;
    prev_t = v[0];
    e_total += v[4] * dt;
    e_parts += (v[1] + v[2] + v[3]) * dt;
    ++rows;
  }
  // Reported energies (JSON) in kWh.
  auto grab = [&](const std::string& key) {
    auto p = r.out.find("\"" + key + "\": ", r.out.find("\"energy_kwh\""));
    return std::stod(r.out.substr(p + key.size() + 4));
  };
  double total_j = grab("total") * 3.6e6;
  double parts_j = (grab("gpu") + grab("cpu") + grab("ram")) * 3.6e6;
  EXPECT_GT(rows, 100);
  EXPECT_NEAR(parts_j, total_j, 1e-6 * total_j);  // components sum to the total
  // The trace rounds to 1 mW and 1 ms: relative error well under 1e-4.
  EXPECT_NEAR(e_total, total_j, 1e-4 * total_j);
  EXPECT_NEAR(e_parts, total_j, 1e-4 * total_j);
}

TEST(Cli, NvmlGpuSensorIsInstantaneousOnA100AndAOneSecondMeanOnH100) {
  const std::string run = "run --workload fourcastnet --phase pretrain --gpus 4 --lbs 4 --epochs 1 --format json --sample-interval 1s ";
  auto trace = [&](const std::string& hw, const std::string& sensor) {
    fs::path p = temp_dir() / (hw + "_" + sensor + ".csv");
    auto r = cli(run + "--hardware " + hw + " --gpu-sensor " + sensor + " --power-trace '" + p.string() + "'");
    EXPECT_EQ(r.code, 0) << r.err;
    return read_csv_rows(p);
  };
  // H100 (1 s window) sampled every second: the sensor reads exactly the interval means (except
  // the last, shorter interval, where the sensor still averages over the last whole second).
  auto h_mean = trace("h100", "mean"), h_nvml = trace("h100", "nvml");
  ASSERT_GT(h_mean.size(), 100u);
  ASSERT_EQ(h_mean.size(), h_nvml.size());
  for (std::size_t i = 0; i + 1 < h_mean.size(); ++i) {
    for (std::size_t c = 0; c < h_mean[i].size(); ++c) ASSERT_NEAR(h_mean[i][c], h_nvml[i][c], 2e-3) << i << " " << c;
  }
  // A100 (instantaneous): GPU 0 reads the power of its state at the sample instant, so nearly all
  // samples sit on a few levels (idle 50 W among them), where interval means spread in between.
  // CPU columns stay interval means.
  auto a_mean = trace("a100", "mean"), a_nvml = trace("a100", "nvml");
  ASSERT_EQ(a_mean.size(), a_nvml.size());
  std::map<double, int> levels, means;
  for (std::size_t i = 0; i < a_nvml.size(); ++i) {
    EXPECT_DOUBLE_EQ(a_mean[i][2], a_nvml[i][2]);
    ++levels[a_nvml[i][5]];
    ++means[a_mean[i][5]];
  }
  auto top3_share = [](const std::map<double, int>& m) {
    std::vector<int> c;
    int n = 0;
    for (const auto& [v, k] : m) c.push_back(k), n += k;
    std::sort(c.rbegin(), c.rend());
    int top = 0;
    for (std::size_t i = 0; i < c.size() && i < 3; ++i) top += c[i];
    return static_cast<double>(top) / n;
  };
  EXPECT_GT(top3_share(levels), 0.95);
  EXPECT_LT(top3_share(means), 0.9);
  EXPECT_GT(levels[50.0], static_cast<int>(a_nvml.size()) / 10);
}

TEST(Cli, LoaderJitterIsSeededAndSlowsALoaderBoundRun) {
  const std::string run = "run --workload fourcastnet --phase pretrain --hardware a100 --gpus 8 --lbs 1 --epochs 1 --format json ";
  auto runtime = [](const std::string& json) {
    auto p = json.find("\"runtime_h\": ");
    return std::stod(json.substr(p + 13));
  };
  auto off = cli(run), on = cli(run + "--set loader.jitter_cv=0.3"), again = cli(run + "--set loader.jitter_cv=0.3");
  auto other = cli(run + "--set loader.jitter_cv=0.3 --seed 2");
  ASSERT_EQ(off.code, 0) << off.err;
  ASSERT_EQ(on.code, 0) << on.err;
  EXPECT_EQ(on.out, again.out);
  EXPECT_NE(runtime(on.out), runtime(other.out));
  // Synchronous steps wait for the slowest rank's batch: variability can only cost time.
  EXPECT_GT(runtime(on.out), runtime(off.out) * 1.01);
}

struct BadInput {
  const char* args;
  const char* expect;
};

TEST(Cli, BadInputGivesOneClearMessageAndExitCode2) {
  fs::path badcal = temp_dir() / "badcal.yaml";
  std::ofstream(badcal) << "format: ddpsim-calibration/1\nhardware:\n  a100:\n    cpu.idle_pwer: 80 W\n";
  fs::path trace = temp_dir() / "never.csv";
  fs::path badci = temp_dir() / "badci.csv";
  std::ofstream(badci) << "timestamp,carbon_intensity_g_per_kwh\n2024-01-01T00:00:00Z,400\n2024-01-01T01:00:00Z,4OO\n";
  std::string base = "run --workload resnet50 --hardware a100 ";
  std::string t = " --power-trace '" + trace.string() + "'";
  std::vector<std::pair<std::string, std::string>> cases = {
      {"run --workload resnet --hardware a100 --gpus 4 --lbs 256", "did you mean 'resnet50'"},
      {"run --workload resnet50 --hardware a10 --gpus 4 --lbs 256", "did you mean 'a100'"},
      {base + "--gpu 4 --lbs 256", "did you mean '--gpus'"},
      {base + "--gpus 4 --lbs 512" + t, "at most LBS 475"},
      {base + "--gpus 8 --gbs 100" + t, "not divisible"},
      {base + "--gpus 8 --gbs 100 --lbs 10" + t, "GBS"},
      {base + "--gpus 0 --lbs 256", "--gpus must be an integer in 1..1048576"},
      {base + "--gpus -4 --lbs 256", "--gpus"},
      {base + "--gpus 2.5 --lbs 256", "--gpus must be an integer in 1..1048576"},
      {base + "--gpus 4 --lbs 256 --epochs 0", "--epochs must be an integer in 1..1000000"},
      {base + "--gpus 4 --lbs 256 --calibration '" + badcal.string() + "'" + t, "badcal.yaml:4: unknown node calibration parameter 'cpu.idle_pwer' (did you mean 'cpu.idle_power'?)"},
      {base + "--gpus 4 --lbs 256 --set gpu.tpd=300W", "did you mean 'gpu.tdp'"},
      {base + "--gpus 4 --lbs 256 --set gpu.tdp=300", "needs a unit"},
      {base + "--gpus 4 --lbs 256 --format xml", "--format"},
      {base + "--gpus 4 --lbs 256 --sample-interval 0s", "--sample-interval"},
      {base + "--gpus 4 --lbs 256 --gpu-sensor nvm" + t, "--gpu-sensor must be mean or nvml"},
      {"run --workload fourcastnet --phase finetuning --hardware a100 --gpus 4 --lbs 1", "did you mean 'finetune'"},
      {"run --workload fourcastnet --phase finetune --hardware a100 --gpus 4 --lbs 4", "at most LBS 2"},
      {"runn --workload resnet50", "did you mean 'run'"},
      {"list gpus", "choose hardware, workloads or params"},
      {"run --hardware a100 --gpus 4 --lbs 4", "missing --workload"},
      {base + "--gpus 8 --lbs 256 --algorithm treee", "did you mean 'tree'"},
      {"collective --gpus 16 --bytes 25MB --algorithm rng", "did you mean 'ring'"},
      {"collective --gpus 6 --bytes 25MB", "does not fill whole nodes"},
      {"collective --gpus 8 --sweep-bytes 8B-1GB", "--sweep-bytes expects FROM..TO"},
      {"collective --gpus 8", "give exactly one of --bytes and --sweep-bytes"},
      {"collective --gpus 8 --bytes '25 MBs'", "unknown unit"},
      {"collective --gpus 8 --bytes 25MB --set fabric.blocking=2", "did you mean 'fabric.blocking_factor'"},
      {base + "--gpus 4 --lbs 256 --set site.pue=0.9" + t, "site.pue = 0.9 is outside its valid range [1, 10]"},
      {base + "--gpus 4 --lbs 256 --set site.pue=-1.2" + t, "site.pue = -1.2 is outside its valid range"},
      {base + "--gpus 4 --lbs 256 --set site.carbon_intensity=400" + t, "needs a unit"},
      {base + "--gpus 4 --lbs 256 --set site.carbon_intensty=400g/kWh" + t, "did you mean 'site.carbon_intensity'"},
      {base + "--gpus 4 --lbs 256 --set site.carbon_intensity=@" + badci.string() + " --set site.start_time=2024-01-01T00:00:00Z" + t,
       "badci.csv:3: '4OO' is not a carbon intensity in g/kWh"},
      {base + "--gpus 4 --lbs 256 --set site.carbon_intensity=@" + badci.string() + t, "site.start_time (ISO 8601 UTC) is required"},
      {base + "--gpus 4 --lbs 256 --set site.start_time=2024-13-01T00:00Z" + t, "not a valid date"},
  };
  for (const auto& [args, expect] : cases) {
    auto r = cli(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(r.err.rfind("ddpsim: error: ", 0), 0u) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << args << "\n" << r.err;
    EXPECT_FALSE(fs::exists(trace)) << args;
    EXPECT_FALSE(fs::exists(trace.string() + ".tmp")) << args;
  }
}

TEST(Cli, ListsParametersHardwareAndWorkloads) {
  auto p = cli("list params");
  ASSERT_EQ(p.code, 0);
  for (const auto& name : ddpsim::overridable_parameters()) EXPECT_NE(p.out.find(name), std::string::npos) << name;
  auto h = cli("list hardware");
  EXPECT_NE(h.out.find("a100"), std::string::npos);
  EXPECT_NE(h.out.find("h100"), std::string::npos);
  EXPECT_NE(h.out.find("Xeon Platinum 8368"), std::string::npos);  // sources are shown
  auto w = cli("list workloads");
  EXPECT_NE(w.out.find("finetune"), std::string::npos);
}

TEST(Cli, TargetGivesEpochsTimeAndEnergyOrAClearMessage) {
  auto r = cli("run --workload resnet50 --hardware a100 --gpus 32 --lbs 256 --target top1=0.72 --fast-forward 1 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("  \"target\": {\n    \"metric\": \"top1\",\n    \"value\": 0.72,\n    \"epochs\": 100,\n    \"runtime_h\": "),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    \"energy_kwh_total\": "), std::string::npos);
  auto t = cli("run --workload resnet50 --hardware a100 --gpus 64 --lbs 256 --target top1=0.72 --fast-forward 1");
  ASSERT_EQ(t.code, 0) << t.err;
  {
    // The epochs the shipped calibration's large-batch fit gives (sim/run/large_batch.hpp).
    ddpsim::Calibration cal = ddpsim::load_calibration(ddpsim::default_calibration_path());
    const ddpsim::ParamSet* lb = cal.large_batch("resnet50", "train");
    ASSERT_NE(lb, nullptr);
    const double e = ddpsim::plan_target(*lb, ddpsim::TargetMetric{"top1", true, 1}, 0.72, 16384, 100).epochs_model;
    EXPECT_GT(e, 110);  // beyond B_noise the 100-epoch schedule no longer suffices
    EXPECT_NE(t.out.find(fmt::format("target: top1=0.72 reached after {:.4g} epochs at GBS 16384", e)), std::string::npos) << t.out;
  }
  auto far = cli("run --workload resnet50 --hardware a100 --gpus 256 --lbs 256 --target top1=0.72");
  EXPECT_EQ(far.code, 2);
  EXPECT_NE(far.err.find("top1=0.72 is out of reach at GBS 65536"), std::string::npos) << far.err;
  EXPECT_EQ(far.out, "");
  auto perfect = cli("run --workload resnet50 --hardware a100 --gpus 1 --lbs 256 --target top1=1");
  EXPECT_EQ(perfect.code, 2);
  EXPECT_NE(perfect.err.find("perfect value"), std::string::npos) << perfect.err;
  auto wrong = cli("run --workload fourcastnet --hardware a100 --gpus 4 --lbs 1 --target top1=0.7");
  EXPECT_EQ(wrong.code, 2);
  EXPECT_NE(wrong.err.find("is judged by 'z500_rmse'"), std::string::npos) << wrong.err;
  auto both = cli("run --workload resnet50 --hardware a100 --gpus 1 --lbs 256 --epochs 3 --target top1=0.7");
  EXPECT_EQ(both.code, 2);
  EXPECT_NE(both.err.find("not both"), std::string::npos) << both.err;
  auto form = cli("run --workload resnet50 --hardware a100 --gpus 1 --lbs 256 --target top1");
  EXPECT_EQ(form.code, 2);
  EXPECT_NE(form.err.find("METRIC=VALUE"), std::string::npos) << form.err;
  // A user's workload: without a target metric, and with one but no fit in the calibration.
  std::string text = slurp(fs::path(DDPSIM_TEST_DIR) / ".." / "workloads" / "catalog" / "resnet50.yaml");
  auto pos = text.find("name: resnet50");
  ASSERT_NE(pos, std::string::npos);
  std::string mine = text;
  mine.replace(pos, 14, "name: mynet");
  fs::path with = temp_dir() / "mynet.yaml";
  std::ofstream(with, std::ios::binary) << mine;
  auto nofit = cli("run --workload '" + with.string() + "' --hardware a100 --gpus 1 --lbs 256 --target top1=0.7");
  EXPECT_EQ(nofit.code, 2);
  EXPECT_NE(nofit.err.find("no large-batch fit for workload mynet phase train"), std::string::npos) << nofit.err;
  EXPECT_NE(nofit.err.find("large_batch.b_noise, large_batch.e_min, large_batch.target_ref"), std::string::npos) << nofit.err;
  auto set = cli("run --workload '" + with.string() + "' --hardware a100 --gpus 1 --lbs 256 --target top1=0.7 --fast-forward 1 "
                 "--set large_batch.b_noise=1000 --set large_batch.e_min=10 --set large_batch.target_ref=0.7");
  EXPECT_EQ(set.code, 0) << set.err;
  EXPECT_NE(set.out.find("target: top1=0.7 reached after 12.56 epochs"), std::string::npos) << set.out;
  auto tm = mine.find("target_metric:");
  mine.erase(tm, mine.find('\n', tm) - tm + 1);
  std::ofstream(with, std::ios::binary) << mine;
  auto none = cli("run --workload '" + with.string() + "' --hardware a100 --gpus 1 --lbs 256 --target top1=0.7");
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("declares no target_metric"), std::string::npos) << none.err;
}
