// Fuzz target: the Zeus readers, a power trace (read_zeus_power_csv, GPU from the file name) and
// a training trace (read_zeus_train_csv), both on each input.
#include <cstdint>

#include "calibration/readers.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = ddpsim::fuzz::write_input(data, size, "summary_power_fuzz.csv");
  ddpsim::fuzz::expect_only_library_errors([&] {
    auto points = ddpsim::read_zeus_power_csv(path);
    (void)ddpsim::filter_zeus(points, "imagenet", "resnet50");
  });
  ddpsim::fuzz::expect_only_library_errors([&] { (void)ddpsim::read_zeus_train_csv(path); });
  return 0;
}
