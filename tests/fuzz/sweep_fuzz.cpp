// Fuzz target: the sweep parser (parse_sweep, the in-memory entry of load_sweep_file).
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "sim/sweep/sweep.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  ddpsim::fuzz::expect_only_library_errors([&] {
    auto spec = ddpsim::parse_sweep(text, "fuzz.yaml", ddpsim::fuzz::temp_dir());
    for (const auto& p : spec.points) (void)ddpsim::point_label(p);
  });
  return 0;
}
