// Readers of calibration/readers.hpp on good files (values checked by hand against the fixture
// text) and on malformed ones (a ConfigError naming the file and the offending line).
// Fixtures: tests/data/readers/ (bad variants in bad/); reference data: experiments/reference/.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "calibration/readers.hpp"
#include "sim/core/errors.hpp"

using namespace ddpsim;

namespace {

std::string data(const std::string& name) { return std::string(DDPSIM_TEST_DIR) + "/data/readers/" + name; }
std::string reference(const std::string& name) { return std::string(DDPSIM_TEST_DIR) + "/../experiments/reference/" + name; }

// Runs `read` and expects a ConfigError at `file`:`line` whose message contains `words`.
void expect_config_error(const std::function<void()>& read, const std::string& file, int line, const std::string& words = "") {
  try {
    read();
    ADD_FAILURE() << "no ConfigError for " << file;
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.file(), file) << msg;
    EXPECT_EQ(e.line(), line) << msg;
    EXPECT_NE(msg.find(file + ":" + std::to_string(line) + ": "), std::string::npos) << msg;
    EXPECT_NE(msg.find(words), std::string::npos) << "expected '" << words << "' in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected a ConfigError, got: " << e.what();
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Measured runs

TEST(MeasuredRuns, ReadsTheReferenceSet) {
  auto set = read_measured_runs(reference("calibration-set.yaml"));
  EXPECT_EQ(set.source, "Huber et al. 2025, arXiv:2508.07706");
  ASSERT_EQ(set.runs.size(), 7u);
  const auto& first = set.runs[0];
  EXPECT_EQ(first.id, "fcn-pre-a100-n4-lbs4");
  EXPECT_EQ(first.workload, "fourcastnet");
  EXPECT_EQ(first.phase, "pretrain");
  EXPECT_EQ(first.hardware, "a100");  // a100-40gb-node
  EXPECT_EQ(first.gpus, 4);
  EXPECT_EQ(first.lbs, 4);
  EXPECT_EQ(first.gbs, 16);
  EXPECT_EQ(first.epochs, 80);
  EXPECT_DOUBLE_EQ(first.measured.at("energy_total_kwh"), 120.70);
  EXPECT_DOUBLE_EQ(first.measured.at("gpu_hours"), 559.70);
  EXPECT_GT(first.line, 0);
  EXPECT_EQ(set.runs[1].hardware, "h100");  // h100-94gb-node
  EXPECT_NE(set.runs[1].note.find("RAM energy not measured"), std::string::npos);
  const auto& rn50 = set.runs[5];
  EXPECT_EQ(rn50.workload, "resnet50");
  EXPECT_EQ(rn50.phase, "");  // the workload's default
  EXPECT_DOUBLE_EQ(rn50.measured.at("cpu_share_of_total"), 0.49);
  ASSERT_EQ(set.facts.size(), 4u);
  EXPECT_EQ(set.facts[0].id, "rn50-scaled-dataset-lbs256-energy-per-sample");
  EXPECT_DOUBLE_EQ(set.facts[0].values.at("wh_per_sample"), 0.0235);
  EXPECT_TRUE(set.facts[1].values.empty());
}

TEST(MeasuredRuns, AcceptsOptionalKeysAndDerivesTheMissingBatchSize) {
  auto set = read_measured_runs(data("measured_good.yaml"));
  ASSERT_EQ(set.runs.size(), 2u);
  const auto& a = set.runs[0];
  EXPECT_EQ(a.hardware, "h100");
  EXPECT_EQ(a.lbs, 256);  // gbs 2048 / 8 GPUs
  EXPECT_EQ(a.samples_per_gpu, 5004);
  EXPECT_DOUBLE_EQ(a.sigma, 0.05);
  EXPECT_EQ(a.epochs, 0);  // not given: the phase's default
  EXPECT_EQ(a.line, 5);
  const auto& b = set.runs[1];
  EXPECT_EQ(b.phase, "finetune");
  EXPECT_EQ(b.gbs, 8);  // 4 GPUs x lbs 2
  EXPECT_EQ(b.epochs, 10);
  EXPECT_DOUBLE_EQ(b.sigma, 0.0);
  EXPECT_DOUBLE_EQ(b.measured.at("ram_share_of_total"), 0.04);
  EXPECT_EQ(b.measured.size(), 3u);
  ASSERT_EQ(set.facts.size(), 2u);
  EXPECT_DOUBLE_EQ(set.facts[0].values.at("ratio"), 2.0);
}

TEST(MeasuredRuns, MapsHardwareNames) {
  EXPECT_EQ(hardware_catalog_name("a100-40gb-node"), "a100");
  EXPECT_EQ(hardware_catalog_name("h100-94gb-node"), "h100");
  EXPECT_EQ(hardware_catalog_name("h100"), "h100");
  EXPECT_THROW(hardware_catalog_name("v100"), InputError);
}

TEST(MeasuredRuns, RejectsMalformedFilesAtTheirLine) {
  auto read = [](const std::string& f) { return [f] { read_measured_runs(f); }; };
  std::string f = data("bad/measured_gbs.yaml");
  expect_config_error(read(f), f, 15, "gbs 512 != gpus x lbs = 4 x 256 = 1024");
  f = data("bad/measured_key.yaml");
  expect_config_error(read(f), f, 10, "unknown measured key 'energy_totl_kwh' (did you mean 'energy_total_kwh'?)");
  f = data("bad/measured_run_key.yaml");
  expect_config_error(read(f), f, 8, "unknown key 'epoch' (did you mean 'epochs'?)");
  f = data("bad/measured_hardware.yaml");
  expect_config_error(read(f), f, 5, "unknown hardware 'a100-80gb-node' (did you mean 'a100-40gb-node'?)");
  f = data("bad/measured_gpus.yaml");
  expect_config_error(read(f), f, 6, "'gpus' must be positive");
  f = data("bad/measured_phase.yaml");
  expect_config_error(read(f), f, 5, "no phase 'pretrian' (did you mean 'pretrain'?)");
  f = data("bad/measured_syntax.yaml");
  expect_config_error(read(f), f, 6, "YAML syntax error");  // where the open { is noticed
  EXPECT_THROW(read_measured_runs(data("no-such-file.yaml")), InputError);
}

// ---------------------------------------------------------------------------------------------
// Zeus traces

TEST(Zeus, ReadsTheCopiedPowerTraces) {
  auto all = read_zeus_dir(reference("zeus-nsdi23"));
  EXPECT_EQ(all.size(), 453u + 270u + 410u + 476u);  // data rows of a40, p100, rtx6000, v100
  auto rn50 = filter_zeus(all, "imagenet", "resnet50");
  EXPECT_EQ(rn50.size(), 81u + 30u + 56u + 56u);
  auto v100 = filter_zeus(rn50, "", "", "v100");
  ASSERT_EQ(v100.size(), 56u);
  // The first ImageNet/ResNet50 row of summary_power_v100.csv, as written there.
  const ZeusPoint* p = nullptr;
  for (const auto& x : v100) {
    if (x.batch_size == 256 && x.optimizer == "adadelta" && x.power_limit_w == 100) p = &x;
  }
  ASSERT_NE(p, nullptr);
  EXPECT_DOUBLE_EQ(p->time_per_epoch_s, 6781.173333333332);
  EXPECT_DOUBLE_EQ(p->average_power_w, 98.38240555274153);
  // What the power-limit model relies on: a higher limit never makes an epoch slower here.
  double previous_s = 1e300;
  for (const auto& x : v100) {
    if (x.batch_size != 256 || x.optimizer != "adadelta") continue;
    EXPECT_LT(x.time_per_epoch_s, previous_s) << "line " << x.line;
    previous_s = x.time_per_epoch_s;
  }
}

TEST(Zeus, AcceptsOtherColumnOrderExtraColumnsCrlfAndBlankLines) {
  auto points = read_zeus_power_csv(data("zeus/summary_power_fake_crlf.csv"));
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].gpu, "fake_crlf");
  EXPECT_EQ(points[0].dataset, "imagenet");
  EXPECT_EQ(points[0].network, "resnet50");
  EXPECT_EQ(points[0].batch_size, 256);
  EXPECT_DOUBLE_EQ(points[0].power_limit_w, 250);
  EXPECT_DOUBLE_EQ(points[0].time_per_epoch_s, 100.5);
  EXPECT_DOUBLE_EQ(points[0].average_power_w, 240.25);
  EXPECT_EQ(points[0].line, 3);
  EXPECT_EQ(points[2].line, 6);
  EXPECT_EQ(read_zeus_power_csv(data("zeus/summary_power_fake_crlf.csv"), "a100")[0].gpu, "a100");
  EXPECT_EQ(filter_zeus(points, "imagenet", "resnet50").size(), 2u);
  EXPECT_EQ(read_zeus_dir(data("zeus")).size(), 3u);
  EXPECT_THROW(read_zeus_dir(data("bad/../no-such-dir")), InputError);
  EXPECT_THROW(read_zeus_power_csv(data("zeus_train_excerpt.csv")), InputError);  // no GPU in the name
}

TEST(Zeus, ReadsTheTrainTrace) {
  auto rows = read_zeus_train_csv(data("zeus_train_excerpt.csv"));
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[3].dataset, "imagenet");
  EXPECT_EQ(rows[3].network, "resnet50");
  EXPECT_EQ(rows[3].batch_size, 1024);
  EXPECT_DOUBLE_EQ(rows[3].learning_rate, 0.1);
  EXPECT_EQ(rows[3].run, 1);
  EXPECT_DOUBLE_EQ(rows[3].target_metric, 0.05);
  EXPECT_EQ(rows[5].target_epoch, 2);
}

TEST(Zeus, RejectsMalformedFilesAtTheirLine) {
  std::string f = data("bad/summary_power_badnum.csv");
  expect_config_error([&] { read_zeus_power_csv(f); }, f, 3, "'power_limit': 'two hundred' is not a number");
  f = data("bad/summary_power_badheader.csv");
  expect_config_error([&] { read_zeus_power_csv(f); }, f, 1, "missing column 'batch_size'");
  f = data("bad/summary_power_shortrow.csv");
  expect_config_error([&] { read_zeus_power_csv(f); }, f, 4, "row has 6 fields, the header (line 1) has 7");
  f = data("bad/zeus_train_epoch.csv");
  expect_config_error([&] { read_zeus_train_csv(f); }, f, 2, "'target_epoch': 0 must be a positive whole number");
}

// ---------------------------------------------------------------------------------------------
// nvidia-smi logs

TEST(NvidiaSmi, ReadsHeaderUnitsExtraFieldsMissingValuesAcrossMidnight) {
  auto log = read_nvidia_smi_csv(data("smi_header_units.csv"));
  EXPECT_TRUE(log.header);
  EXPECT_EQ(log.first_timestamp, "2024/12/31 23:59:59.000");
  ASSERT_EQ(log.samples.size(), 6u);
  EXPECT_EQ(log.gpus(), (std::vector<int>{0, 1}));
  EXPECT_EQ(log.missing_values, 2);  // a power.draw and a utilization.gpu
  EXPECT_EQ(log.columns[3], "power.draw");
  const auto& s = log.samples[2];  // 2025/01/01 00:00:00.500, across the year's end
  EXPECT_EQ(s.line, 4);
  EXPECT_EQ(s.gpu, 0);
  EXPECT_NEAR(s.time_s, 1.5, 1e-9);
  EXPECT_DOUBLE_EQ(s.power_w, 300);
  EXPECT_DOUBLE_EQ(s.utilization_pct, 70);
  EXPECT_DOUBLE_EQ(s.extra.at("power.limit"), 400);
  EXPECT_DOUBLE_EQ(s.extra.at("clocks.sm"), 1410);
  EXPECT_DOUBLE_EQ(s.extra.at("temperature.gpu"), 42);
  EXPECT_EQ(s.extra.count("name"), 0u);  // not a number
  EXPECT_TRUE(std::isnan(log.samples[3].power_w));
  EXPECT_EQ(log.samples[3].extra.count("temperature.gpu"), 0u);
  EXPECT_EQ(log.samples[4].line, 7);  // after the blank line

  auto sum = summarize(log);
  ASSERT_EQ(sum.size(), 2u);
  // GPU 0: 100 W at 0 s, 300 W at 1.5 s, 100 W at 2 s: (100+300)/2 x 1.5 + (300+100)/2 x 0.5 = 400 J.
  EXPECT_EQ(sum[0].samples, 3u);
  EXPECT_NEAR(sum[0].energy_j, 400, 1e-6);
  EXPECT_NEAR(sum[0].duration_s, 2.0, 1e-9);
  EXPECT_NEAR(sum[0].mean_power_w, 500.0 / 3, 1e-9);
  EXPECT_NEAR(sum[0].mean_utilization_pct, 60, 1e-9);  // (50 + 70) / 2, the third is [N/A]
  // GPU 1: the [N/A] power at 1.5 s is skipped: (200+210)/2 x 2 s = 410 J.
  EXPECT_EQ(sum[1].samples, 2u);
  EXPECT_NEAR(sum[1].energy_j, 410, 1e-6);
  EXPECT_NEAR(sum[1].mean_power_w, 205, 1e-9);
  EXPECT_NEAR(sum[1].mean_utilization_pct, 92, 1e-9);
}

TEST(NvidiaSmi, ReadsNoHeaderNoUnitsCrlfAndLeapDays) {
  auto log = read_nvidia_smi_csv(data("smi_noheader_crlf.csv"));
  EXPECT_FALSE(log.header);
  ASSERT_EQ(log.samples.size(), 4u);
  EXPECT_EQ(log.columns, (std::vector<std::string>{"timestamp", "index", "power.draw", "utilization.gpu", "field5"}));
  EXPECT_NEAR(log.samples[1].time_s, 2.0, 1e-9);              // 2024/02/28 23:59:58 -> 02/29 00:00:00
  EXPECT_NEAR(log.samples[3].time_s, 2.0 + 86400.0, 1e-6);   // -> 03/01: 2024 is a leap year
  EXPECT_DOUBLE_EQ(log.samples[1].power_w, 150.5);
  EXPECT_DOUBLE_EQ(log.samples[0].extra.at("field5"), 7);
  auto sum = summarize(log);
  ASSERT_EQ(sum.size(), 2u);
  // (50.5+150.5)/2 x 2 s + (150.5+50.5)/2 x 86400 s = 201 + 8 683 200 J.
  EXPECT_NEAR(sum[0].energy_j, 8683401.0, 1e-3);
  EXPECT_NEAR(sum[0].mean_utilization_pct, 20, 1e-9);
  EXPECT_EQ(sum[1].samples, 1u);  // one sample: no duration, no energy
  EXPECT_DOUBLE_EQ(sum[1].energy_j, 0);
  EXPECT_DOUBLE_EQ(sum[1].mean_power_w, 60);
}

TEST(NvidiaSmi, RejectsMalformedLogsAtTheirLine) {
  std::string f = data("bad/smi_timestamp.csv");
  expect_config_error([&] { read_nvidia_smi_csv(f); }, f, 4, "is not a timestamp");
  f = data("bad/smi_power.csv");
  expect_config_error([&] { read_nvidia_smi_csv(f); }, f, 2, "'245.31 kW' is not a reading in W");
  f = data("bad/smi_no_power.csv");
  expect_config_error([&] { read_nvidia_smi_csv(f); }, f, 2, "no 'power.draw' column");
}

// ---------------------------------------------------------------------------------------------
// perun JSON export

namespace {
void expect_perun_tree(const PerunExport& ex) {
  EXPECT_EQ(ex.app_id, "train");
  ASSERT_EQ(ex.runs.size(), 2u);
  ASSERT_EQ(ex.hosts.size(), 3u);
  const auto& run0 = ex.runs[0];
  EXPECT_EQ(run0.id, "0");
  EXPECT_EQ(run0.type, 3);
  EXPECT_DOUBLE_EQ(run0.runtime_s, 1000);
  EXPECT_DOUBLE_EQ(run0.energy_j, 1.93e6);  // 1930 x mag 1000
  EXPECT_DOUBLE_EQ(run0.power_w, 1930);
  // Device groups summed over the two hosts: cpu 200 + 150 W, gpu 800 + 720 W, ram 30 + 30 W.
  EXPECT_DOUBLE_EQ(run0.cpu_power_w, 350);
  EXPECT_DOUBLE_EQ(run0.gpu_power_w, 1520);
  EXPECT_DOUBLE_EQ(run0.dram_power_w, 60);
  EXPECT_DOUBLE_EQ(run0.group_energy_j.at("gpu"), 1.52e6);
  const auto& a = ex.hosts[0];
  EXPECT_EQ(a.host, "hkn0432.localdomain");
  EXPECT_EQ(a.run_id, "0");
  EXPECT_DOUBLE_EQ(a.energy_j, 1.03e6);
  EXPECT_DOUBLE_EQ(a.gpu_power_w, 800);        // the host's own metric
  EXPECT_DOUBLE_EQ(a.cpu_power_w, 200);        // from its cpu group
  EXPECT_DOUBLE_EQ(a.dram_power_w, 30);        // ram group: 30 kJ over the host's 1000 s
  EXPECT_DOUBLE_EQ(a.dram_energy_j, 30000);    // unit "kJ"
  EXPECT_DOUBLE_EQ(a.cpu_energy_j, 200000);    // 200 x mag 1000
  EXPECT_DOUBLE_EQ(a.metrics.at("gpu_mem"), 55.258e9);
  EXPECT_EQ(a.units.at("cpu_util"), "%");
  EXPECT_EQ(a.metrics.count("gpu_util"), 0u);  // a list per device: not summarised
  const auto& b = ex.hosts[1];
  EXPECT_DOUBLE_EQ(b.runtime_s, 1000);       // 1e6 x mag 1e-3
  EXPECT_DOUBLE_EQ(b.energy_j, 900000);      // 0.25 kWh
  EXPECT_DOUBLE_EQ(b.dram_power_w, 30);      // its own metric is NaN: from the ram group
  EXPECT_EQ(b.metrics.count("dram_power"), 0u);
  const auto& run1 = ex.runs[1];
  EXPECT_EQ(run1.id, "1");
  EXPECT_DOUBLE_EQ(run1.energy_j, 1e6);  // 1 MJ
  EXPECT_TRUE(std::isnan(run1.power_w));
  EXPECT_EQ(ex.hosts[2].run_id, "1");
  EXPECT_TRUE(std::isnan(ex.hosts[2].gpu_energy_j));
  ASSERT_EQ(ex.series.size(), 2u);
  const auto& cpu = ex.series[0];
  EXPECT_EQ(cpu.run_id, "0");
  EXPECT_EQ(cpu.host, "hkn0432.localdomain");
  EXPECT_EQ(cpu.group, "cpu");
  EXPECT_EQ(cpu.sensor, "cpu_0_package-0");
  EXPECT_EQ(cpu.value_unit, "J");
  EXPECT_EQ(cpu.values, (std::vector<double>{0, 200, 400}));  // microjoule counters x 1e-6
  EXPECT_DOUBLE_EQ(cpu.time[2] - cpu.time[0], 2.0);
  EXPECT_EQ(ex.series[1].values, (std::vector<double>{795.5, 804.5}));
}
}  // namespace

TEST(PerunJson, ReadsAnIndentedExportWithNodesAsAListHoldingOneObject) {
  auto ex = read_perun_json(data("perun_export.json"));
  expect_perun_tree(ex);
  EXPECT_EQ(ex.runs[0].line, 52);  // where the run's object starts
}

TEST(PerunJson, ReadsACompactOneLineExportWithNodesAsPlainObjects) {
  auto ex = read_perun_json(data("perun_export_compact.json"));
  expect_perun_tree(ex);
  EXPECT_EQ(ex.runs[0].line, 1);
}

TEST(PerunJson, RejectsMalformedExportsAtTheirLine) {
  std::string f = data("bad/perun_syntax.json");
  expect_config_error([&] { read_perun_json(f); }, f, 7, "JSON syntax error while parsing object - unexpected string literal");
  // Fuzz finding (perun_json_fuzz, yaml-cpp reader): an object as a key escaped as YAML::BadConversion.
  f = data("bad/perun_key.json");
  expect_config_error([&] { read_perun_json(f); }, f, 1, "JSON syntax error while parsing object key");
  f = data("bad/perun_type.json");
  expect_config_error([&] { read_perun_json(f); }, f, 9, "unknown node type 9");
  f = data("bad/perun_unit.json");
  expect_config_error([&] { read_perun_json(f); }, f, 5, "metric 'energy' is in 'W', expected a energy (J)");
  f = data("bad/perun_rawdata.json");
  expect_config_error([&] { read_perun_json(f); }, f, 6, "3 timesteps but 2 values");
  f = data("bad/perun_not_perun.json");
  expect_config_error([&] { read_perun_json(f); }, f, 1, "data node without 'id'");
}

TEST(PerunJson, AnErrorDeepInTheTreeNamesTheLineOfItsValue) {
  // Six levels down (app, run, host, device group, sensor, metric), after NaN and Infinity
  // (read as missing values) and numbers that end their line; the value is on its own line.
  std::string f = data("bad/perun_deep_value.json");
  expect_config_error([&] { read_perun_json(f); }, f, 35, "'power': 'high' is not a number");
}

namespace {
// A perun JSON file of `text` in the temporary directory (the same `name` is overwritten).
std::string perun_file(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("ddpsim-readers-test-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}
const std::string kRunNode = R"("0": {"id": "0", "type": 3, "metrics": {}, "nodes": []})";
}  // namespace

TEST(PerunJson, KeepsLinesAndValuesAsTheYamlReaderDid) {
  // CRLF line ends, "NaN" inside a string kept, a bare NaN a missing value, and the run's line.
  std::string f = perun_file("crlf.json", "{\"id\": \"NaN\", \"type\": 1,\r\n\"metrics\": {\"power\": {\"value\": NaN}},\r\n\"nodes\": [{\r\n" +
                                              kRunNode + "\r\n}]}\r\n");
  auto ex = read_perun_json(f);
  EXPECT_EQ(ex.app_id, "NaN");
  ASSERT_EQ(ex.runs.size(), 1u);
  EXPECT_EQ(ex.runs[0].line, 4);
  EXPECT_TRUE(std::isnan(ex.runs[0].power_w));
  std::filesystem::remove(f);
}

TEST(PerunJson, RejectsDuplicateKeysDeepNestingAndTruncatedFilesAtTheirLine) {
  std::string f = perun_file("bad.json", "{\"id\": \"train\",\n \"type\": 1,\n \"nodes\": [{" + kRunNode + "}],\n \"type\": 2}\n");
  expect_config_error([&] { read_perun_json(f); }, f, 4, "duplicate key 'type' (first at line 2)");
  f = perun_file("bad.json", "{\"id\": \"train\", \"type\": 1,\n\"x\": " + std::string(5000, '[') + "\n" + std::string(5000, ']') + "}\n");
  expect_config_error([&] { read_perun_json(f); }, f, 2, "nested more than 1000 levels deep");
  f = perun_file("bad.json", "{\"id\": \"train\", \"type\": 1,\n\"nodes\": [{" + kRunNode + "}\n\n");
  expect_config_error([&] { read_perun_json(f); }, f, 2, "JSON syntax error while parsing array - unexpected end of input");
  f = perun_file("bad.json", "");
  expect_config_error([&] { read_perun_json(f); }, f, 1, "JSON syntax error while parsing value - unexpected end of input");
  f = perun_file("bad.json", "{\"id\": \"train\",\n\"type\": 1e999}\n");
  expect_config_error([&] { read_perun_json(f); }, f, 2, "JSON syntax error: number overflow parsing '1e999'");
  std::filesystem::remove(f);
  try {  // a directory: the input file check of every reader (limit.input_file_bytes applies too)
    read_perun_json(std::filesystem::temp_directory_path().string());
    ADD_FAILURE() << "no InputError for a directory";
  } catch (const ConfigError& e) {
    ADD_FAILURE() << "a ConfigError for a directory: " << e.what();
  } catch (const InputError&) {
  }
}

// ---------------------------------------------------------------------------------------------
// perun text report

TEST(PerunReport, ParsesValuesWithPrefixes) {
  EXPECT_DOUBLE_EQ(parse_report_value("995.967 s"), 995.967);
  EXPECT_DOUBLE_EQ(parse_report_value("960.506 kJ"), 960506);
  EXPECT_DOUBLE_EQ(parse_report_value("1.921 MJ"), 1.921e6);
  EXPECT_DOUBLE_EQ(parse_report_value("231.819 W"), 231.819);
  EXPECT_DOUBLE_EQ(parse_report_value("1.404 kW"), 1404);
  EXPECT_DOUBLE_EQ(parse_report_value("55.258 GB"), 55.258e9);
  EXPECT_DOUBLE_EQ(parse_report_value("3.240 %"), 0.0324);
  EXPECT_DOUBLE_EQ(parse_report_value("3.128 kWh"), 3.128 * 3.6e6);
  EXPECT_DOUBLE_EQ(parse_report_value("750 mW"), 0.75);
  EXPECT_DOUBLE_EQ(parse_report_value("1.5 ks"), 1500);
  EXPECT_DOUBLE_EQ(parse_report_value("12"), 12);
  EXPECT_THROW(parse_report_value("12 Wats"), InputError);
  EXPECT_THROW(parse_report_value("W"), InputError);
}

TEST(PerunReport, ReadsTheMarkdownTablesOfEveryRun) {
  auto rep = read_perun_report(data("perun_report.md"));
  EXPECT_EQ(rep.app_name, "train");
  ASSERT_EQ(rep.rows.size(), 6u);  // 3 + 3 host rows; the table of monitored functions is skipped
  const auto& r = rep.rows[0];
  EXPECT_EQ(r.run_id, "2023-08-17T13:29:29.969779");
  EXPECT_EQ(r.round, 0);
  EXPECT_EQ(r.host, "hkn0432.localdomain");
  EXPECT_EQ(r.line, 12);
  EXPECT_EQ(r.values.size(), 8u);
  EXPECT_DOUBLE_EQ(r.values.at("RUNTIME"), 995.967);
  EXPECT_DOUBLE_EQ(r.values.at("ENERGY"), 960506);
  EXPECT_DOUBLE_EQ(r.values.at("GPU_MEM"), 55.258e9);
  EXPECT_DOUBLE_EQ(r.values.at("CPU_UTIL"), 0.0324);
  const auto& all = rep.rows[2];
  EXPECT_EQ(all.host, "All");
  EXPECT_DOUBLE_EQ(all.values.at("ENERGY"), 1.921e6);
  EXPECT_DOUBLE_EQ(all.values.at("GPU_POWER"), 1404);
  EXPECT_DOUBLE_EQ(all.values.at("GPU_MEM"), 112.192e9);  // "112.192 GB|" without a blank
  const auto& second = rep.rows[4];
  EXPECT_EQ(second.run_id, "2023-08-17T13:45:10.000000");
  EXPECT_EQ(second.round, 1);
  EXPECT_DOUBLE_EQ(second.values.at("RUNTIME"), 1500);
  EXPECT_DOUBLE_EQ(second.values.at("ENERGY"), 1800);  // 500 mWh
  EXPECT_DOUBLE_EQ(second.values.at("GPU_POWER"), 0.7505);
  EXPECT_EQ(rep.rows[5].values.count("GPU_POWER"), 0u);  // empty cell
}

TEST(PerunReport, ReadsTheOlderGridTableWithCrlf) {
  auto rep = read_perun_report(data("perun_report_grid_crlf.txt"));
  ASSERT_EQ(rep.rows.size(), 2u);
  EXPECT_EQ(rep.rows[0].host, "hkn0432.localdomain");
  EXPECT_EQ(rep.rows[0].line, 10);
  EXPECT_DOUBLE_EQ(rep.rows[0].values.at("ENERGY"), 960506);
  EXPECT_EQ(rep.rows[1].host, "All");
  EXPECT_DOUBLE_EQ(rep.rows[1].values.at("GPU_POWER"), 1404);
  EXPECT_EQ(rep.rows[1].run_id, "2023-08-17T13:29:29.969779");
}

TEST(PerunReport, RejectsMalformedReportsAtTheirLine) {
  std::string f = data("bad/perun_report_value.md");
  expect_config_error([&] { read_perun_report(f); }, f, 8, "column 'ENERGY': unknown unit 'Mjoule'");
  f = data("bad/perun_report_cells.md");
  expect_config_error([&] { read_perun_report(f); }, f, 5, "row has 3 cells, the header (line 3) has 4");
  f = data("bad/perun_report_empty.txt");
  expect_config_error([&] { read_perun_report(f); }, f, 5, "no per-host table");
}

// ---------------------------------------------------------------------------------------------
// Per-step timing CSV

TEST(StepCsv, ReadsAnyColumnOrderAndSummarizes) {
  auto rows = read_step_csv(data("steps_crlf.csv"));
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].rank, 0);
  EXPECT_EQ(rows[0].step, 0);
  EXPECT_DOUBLE_EQ(rows[0].data_wait_s, 0.14);
  EXPECT_DOUBLE_EQ(rows[0].allreduce_wait_s, 0.05);
  EXPECT_NEAR(rows[0].step_s(), 0.5, 1e-12);  // 0.14 + 0.1 + 0.2 + 0.05 + 0.01
  EXPECT_EQ(rows[2].line, 5);

  auto s = summarize_steps(rows);
  ASSERT_EQ(s.ranks.size(), 2u);
  EXPECT_EQ(s.ranks.at(0).steps, 3u);
  EXPECT_NEAR(s.ranks.at(0).step_s, 1.3 / 3, 1e-12);  // 0.5, 0.4, 0.4
  EXPECT_NEAR(s.ranks.at(1).step_s, 0.4, 1e-12);
  EXPECT_NEAR(s.ranks.at(1).allreduce_wait_s, 0.08 / 3, 1e-12);
  EXPECT_EQ(s.overall.steps, 6u);
  EXPECT_NEAR(s.overall.step_s, 2.5 / 6, 1e-12);
  EXPECT_NEAR(s.overall.forward_s, 0.1, 1e-12);
  EXPECT_NEAR(s.data_wait_share, 0.49 / 2.5, 1e-12);       // (0.30 + 0.19) / 2.5 s
  EXPECT_NEAR(s.allreduce_wait_share, 0.15 / 2.5, 1e-12);  // (0.07 + 0.08) / 2.5 s

  auto w = summarize_steps(rows, 1);  // without step 0 of each rank
  EXPECT_EQ(w.overall.steps, 4u);
  EXPECT_NEAR(w.overall.step_s, 0.4, 1e-12);
  EXPECT_NEAR(w.data_wait_share, 0.28 / 1.6, 1e-12);
  EXPECT_NEAR(w.allreduce_wait_share, 0.08 / 1.6, 1e-12);
}

TEST(StepCsv, RejectsMalformedFilesAtTheirLine) {
  std::string f = data("bad/steps_negative.csv");
  expect_config_error([&] { read_step_csv(f); }, f, 3, "allreduce_wait_s must not be negative");
  f = data("bad/steps_missing.csv");
  expect_config_error([&] { read_step_csv(f); }, f, 1, "missing column 'allreduce_wait_s'");
  f = data("bad/steps_duplicate.csv");
  expect_config_error([&] { read_step_csv(f); }, f, 4, "rank 0 step 0 appears twice (also line 2)");
}
