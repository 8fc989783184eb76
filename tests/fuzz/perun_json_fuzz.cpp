// Fuzz target: the perun JSON export reader (read_perun_json).
#include <cstdint>

#include "calibration/readers.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = ddpsim::fuzz::write_input(data, size, "perun.json");
  ddpsim::fuzz::expect_only_library_errors([&] { (void)ddpsim::read_perun_json(path); });
  return 0;
}
