// Fuzz target: the nvidia-smi CSV reader (read_nvidia_smi_csv) and its per-GPU summary.
#include <cstdint>

#include "calibration/readers.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = ddpsim::fuzz::write_input(data, size, "smi.csv");
  ddpsim::fuzz::expect_only_library_errors([&] {
    auto log = ddpsim::read_nvidia_smi_csv(path);
    (void)log.gpus();
    (void)ddpsim::summarize(log);
  });
  return 0;
}
