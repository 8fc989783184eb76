// Fuzz target: the calibration-file parser (load_calibration).
#include <cstdint>

#include "fuzz_common.hpp"
#include "sim/provenance/calibration_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = ddpsim::fuzz::write_input(data, size, "calibration.yaml");
  ddpsim::fuzz::expect_only_library_errors([&] { (void)ddpsim::load_calibration(path); });
  return 0;
}
