#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>
#include <vector>
#include <unistd.h>

#include "hwmodels/hardware.hpp"
#include "sim/provenance/calibration_file.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/yaml_params.hpp"
#include "sim/run/training_run.hpp"
#include "workloads/workload.hpp"

using namespace ddpsim;

namespace {
std::string write_temp(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("ddpsim_params_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST(Params, EveryNameIsDeclaredOnceAcrossTables) {
  auto names = overridable_parameters();
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size());
  for (const ParamTable* t : {&hardware_param_table(), &workload_param_table(), &node_calibration_table(),
                              &workload_calibration_table(), &phase_param_table()}) {
    for (const auto& s : t->specs()) {
      EXPECT_FALSE(s.help.empty()) << s.name;
      EXPECT_FALSE(s.source.empty()) << s.name;
      EXPECT_LE(s.min_si, s.default_si) << s.name;
      EXPECT_GE(s.max_si, s.default_si) << s.name;
    }
  }
}

TEST(Params, LoadsNestedAndDottedKeysWithUnits) {
  auto path = write_temp("hw.yaml",
                         "name: test\n"
                         "params:\n"
                         "  gpu:\n"
                         "    tdp: {value: 300 W, source: datasheet}\n"
                         "  gpu.idle_power: 40 W\n"
                         "  gpu.power_limit: 300 W\n"
                         "  nic.bandwidth: 100 Gbit/s\n");
  HardwareSpec hw = load_hardware_file(path);
  EXPECT_DOUBLE_EQ(hw.p(kGpuTdp), 300.0);
  EXPECT_DOUBLE_EQ(hw.p(kGpuIdlePower), 40.0);
  EXPECT_DOUBLE_EQ(hw.p(kNicBw), 12.5e9);
  EXPECT_EQ(hw.params.citation(kGpuTdp), "datasheet");
}

TEST(Params, UnknownKeyNamesFileLineAndSuggestion) {
  auto path = write_temp("bad.yaml",
                         "name: test\n"
                         "params:\n"
                         "  gpu:\n"
                         "    tpd: 300 W\n");
  try {
    load_hardware_file(path);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.line(), 4);
    EXPECT_NE(msg.find(path + ":4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("did you mean 'gpu.tdp'"), std::string::npos) << msg;
  }
}

TEST(Params, WrongUnitAndOutOfRangeAreConfigErrors) {
  auto p1 = write_temp("unit.yaml", "name: t\nparams:\n  gpu.tdp: 300 GB\n");
  EXPECT_THROW(load_hardware_file(p1), ConfigError);
  auto p2 = write_temp("range.yaml", "name: t\nparams:\n  gpu.tdp: -5 W\n");
  EXPECT_THROW(load_hardware_file(p2), ConfigError);
  auto p3 = write_temp("syntax.yaml", "name: t\nparams: [unclosed\n");
  try {
    load_hardware_file(p3);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_GT(e.line(), 0);
  }
  EXPECT_THROW(load_hardware_file("/nonexistent/hw.yaml"), InputError);
}

TEST(Params, UnknownTopLevelKeyInCalibration) {
  auto path = write_temp("cal.yaml", "format: ddpsim-calibration/1\nhardwares: {}\n");
  try {
    load_calibration(path);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'hardware'"), std::string::npos) << e.what();
  }
}

// Fuzz finding (perun_json_fuzz; the same path in every YAML file ddpsim reads): a list or
// mapping as a key was a yaml-cpp BadConversion where a reader took the key as a name.
TEST(Params, ListOrMappingKeysAreConfigErrors) {
  for (const auto& [text, line, kind] : std::vector<std::tuple<std::string, int, std::string>>{
           {"format: ddpsim-calibration/1\nhardware:\n  {a100: 1}: {}\n", 3, "mapping"},
           {"format: ddpsim-calibration/1\nworkloads:\n  resnet50:\n    [a100]: {}\n", 4, "list"},
           {"{{}: 1}\n", 1, "mapping"}}) {
    auto path = write_temp("cal_key.yaml", text);
    try {
      load_calibration(path);
      ADD_FAILURE() << text;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.line(), line) << e.what();
      EXPECT_NE(std::string(e.what()).find("a key must be a single value, not a " + kind), std::string::npos) << e.what();
    }
  }
}

TEST(Params, ShippedCatalogsAndCalibrationLoad) {
  EXPECT_EQ(list_hardware(), (std::vector<std::string>{"a100", "dgx-a100", "dgx-h100", "dgx1-v100", "h100", "zeus-a40", "zeus-p100", "zeus-rtx6000", "zeus-v100"}));
  EXPECT_EQ(list_workloads(), (std::vector<std::string>{"fourcastnet", "resnet50", "zeus-bert-sentiment140", "zeus-bert-squad", "zeus-deepspeech2", "zeus-ncf", "zeus-shufflenetv2"}));
  for (const auto& h : list_hardware()) EXPECT_NO_THROW(load_hardware(h));
  for (const auto& w : list_workloads()) EXPECT_NO_THROW(load_workload(w));
  Calibration cal = load_calibration(default_calibration_path());
  EXPECT_EQ(cal.node_sets.size(), 6u);      // a100, h100 and the four Zeus GPUs
  EXPECT_EQ(cal.workload_sets.size(), 8u);  // 2 workloads x 2 nodes + ResNet50 on the Zeus GPUs
  // Every hardware parameter of the HoreKa catalogs is given explicitly, with a source; the
  // Zeus entries give every GPU parameter.
  for (const auto& h : list_hardware()) {
    HardwareSpec hw = load_hardware(h);
    bool zeus = h.rfind("zeus-", 0) == 0;
    for (std::size_t i = 0; i < hw.params.table().size(); ++i) {
      std::string name(hw.params.table().spec(i).name);
      bool gpu = name.rfind("gpu.", 0) == 0 && name.find("nvlink") == std::string::npos;
      if (!zeus || gpu) {
        EXPECT_TRUE(hw.params.is_set(i)) << h << " " << name;
      }
    }
  }
}

TEST(Params, SetTextOverridesWithUnitsAndChecksNames) {
  ParamSet set(hardware_param_table());
  set.set_text("gpu.power_limit", "250 W", "--set");
  EXPECT_DOUBLE_EQ(set[kGpuPowerLimit], 250.0);
  EXPECT_THROW(set.set_text("gpu.power_limt", "250 W", "--set"), InputError);
  EXPECT_THROW(set.set_text("gpu.power_limit", "250", "--set"), InputError);
}
