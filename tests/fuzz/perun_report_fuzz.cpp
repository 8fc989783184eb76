// Fuzz target: the perun text report reader (read_perun_report, markdown or grid tables).
#include <cstdint>

#include "calibration/readers.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = ddpsim::fuzz::write_input(data, size, "perun_report.txt");
  ddpsim::fuzz::expect_only_library_errors([&] { (void)ddpsim::read_perun_report(path); });
  return 0;
}
