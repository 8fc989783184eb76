// Fuzz target: the per-step timing CSV reader of experiments/capture/ (read_step_csv) and its
// summary, with and without warm-up steps left out.
#include <cstdint>

#include "calibration/readers.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = ddpsim::fuzz::write_input(data, size, "steps.csv");
  ddpsim::fuzz::expect_only_library_errors([&] {
    auto rows = ddpsim::read_step_csv(path);
    (void)ddpsim::summarize_steps(rows);
    (void)ddpsim::summarize_steps(rows, 2);
  });
  return 0;
}
