#include "hwmodels/hardware.hpp"

#include "sim/core/catalog.hpp"
#include "sim/core/errors.hpp"
#include "sim/core/yaml_params.hpp"

namespace ddpsim {

namespace {
constexpr ParamSpec kSpecs[] = {
#define DDPSIM_SPEC(id, name, dim, def, lo, hi, help, src, ...) {name, Dim::dim, def, lo, hi, help, src __VA_OPT__(, ) __VA_ARGS__},
    DDPSIM_HARDWARE_PARAMS(DDPSIM_SPEC)
#undef DDPSIM_SPEC
};
}  // namespace

const ParamTable& hardware_param_table() {
  static const ParamTable table("hardware", kSpecs);
  return table;
}

std::string data_dir();

double peak_flops(const HardwareSpec& hw, int precision) {
  switch (precision) {
    case 0: return hw.p(kGpuFp32Tflops) * 1e12;
    case 1: return hw.p(kGpuTflops) * 1e12;
    default: return hw.p(kGpuBf16Tflops) * 1e12;
  }
}

std::string hardware_catalog_dir() { return data_dir() + "/hwmodels/catalog"; }

std::vector<std::string> list_hardware() { return list_yaml_stems(hardware_catalog_dir()); }

namespace {
HardwareSpec parse_load_hardware_file(const std::string& path);
}  // namespace

HardwareSpec load_hardware_file(const std::string& path) {
  // Cached by file identity: calibration simulates thousands of runs from the same files.
  return load_cached<HardwareSpec>(path, parse_load_hardware_file);
}

namespace {
HardwareSpec parse_load_hardware_file(const std::string& path) {
  try {
    YAML::Node root = load_yaml_file(path);
    check_keys(root, path, {"name", "description", "gpu_model", "cpu_model", "params"});
    HardwareSpec hw;
    hw.file = path;
    hw.name = yaml_string(root, "name", path);
    hw.description = yaml_string(root, "description", path, false);
    hw.gpu_model = yaml_string(root, "gpu_model", path, false);
    hw.cpu_model = yaml_string(root, "cpu_model", path, false);
    if (root["params"]) load_params(root["params"], path, hw.params);
    if (hw.p(kGpuPowerLimit) > hw.p(kGpuTdp)) {
      throw ConfigError(path, yaml_line(root["params"]), "gpu.power_limit (" + hw.params.format(kGpuPowerLimit) +
                                                           ") is above gpu.tdp (" + hw.params.format(kGpuTdp) + ")");
    }
    if (hw.p(kGpuIdlePower) >= hw.p(kGpuPowerLimit)) {
      throw ConfigError(path, yaml_line(root["params"]), "gpu.idle_power must be below gpu.power_limit");
    }
    return hw;
  } catch (const YAML::Exception& e) {
    throw ConfigError(path, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }
}
}  // namespace

HardwareSpec load_hardware(const std::string& name) {
  return load_hardware_file(resolve_catalog_entry("hardware", name, hardware_catalog_dir()));
}

}  // namespace ddpsim
