#include "sim/output/interval_report.hpp"

#include <fmt/format.h>

namespace ddpsim {

namespace {
std::string json_key(const std::string& name) {
  std::string k = name;
  for (char& c : k) {
    if (c == '.') c = '_';
  }
  return k;
}
}  // namespace

void write_interval(JsonWriter& j, const IntervalResult& iv) {
  j.begin_object("interval");
  j.value("level", 100 * iv.level).value("method", iv.method);
  j.value("simulations", iv.simulations).value("parameters", iv.parameters);
  j.begin_array("fits");
  for (const auto& f : iv.fits) j.value("", f);
  j.end_array();
  for (const auto& q : iv.quantities) {
    j.begin_array(json_key(q.name)).value("", q.low).value("", q.high).end_array();
  }
  j.begin_object("sd");
  for (const auto& q : iv.quantities) {
    j.begin_object(json_key(q.name)).value("parameters", q.sd_parameters).value("discrepancy", q.sd_discrepancy);
    j.value("discrepancy_from", q.discrepancy_from).end_object();
  }
  j.end_object();
  j.begin_array("notes");
  for (const auto& n : iv.notes) j.value("", n);
  j.end_array();
  j.end_object();
}

std::string interval_cell(const IntervalResult* iv, const std::string& path) {
  if (!iv) return "";
  const QuantityInterval* q = iv->find(path);
  if (!q) return "";
  return fmt::format(" [{:.6g}, {:.6g}]", q->low, q->high);
}

}  // namespace ddpsim
