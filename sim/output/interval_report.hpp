#pragma once
// How prediction intervals appear in run outputs: the JSON `interval` object and the table's
// `value [low, high]` cells.
#include <string>

#include "sim/core/json.hpp"
#include "sim/uncertainty/interval.hpp"

namespace ddpsim {

/// interval {level, method, simulations, parameters, fits, runtime_h: [low, high], gpu_hours,
/// energy_kwh_total, energy_kwh_gpu, energy_kwh_cpu, energy_kwh_ram, mean_power_w_gpu,
/// sd {quantity: {parameters, discrepancy, discrepancy_from}}, notes}
void write_interval(JsonWriter& j, const IntervalResult& iv);
/// " [low, high]" for a table row of metric `path`, "" where the interval has no such quantity.
std::string interval_cell(const IntervalResult* iv, const std::string& path);

}  // namespace ddpsim
