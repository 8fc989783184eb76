#pragma once
#include <string>

namespace ddpsim {
/// Engine throughput on a hold-model microbenchmark (events per second).
double bench_hold_model(long long events, int queue_size, double& elapsed_s);
/// Runs `ddpsim bench`; returns the report text in `format` ("json" or "table").
std::string run_bench(const std::string& format, bool quick);
}  // namespace ddpsim
