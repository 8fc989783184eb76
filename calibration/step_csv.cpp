// Reader of the per-step timing CSV written by experiments/capture/ddpsim_capture.py.
#include <algorithm>
#include <map>

#include "calibration/readers.hpp"
#include "calibration/text_input.hpp"
#include "sim/core/errors.hpp"

namespace ddpsim {

namespace {

struct TimeColumn {
  const char* name;
  double StepRecord::*field;
};
constexpr TimeColumn kTimeColumns[] = {
    {"data_wait_s", &StepRecord::data_wait_s},           {"forward_s", &StepRecord::forward_s},
    {"backward_s", &StepRecord::backward_s},             {"allreduce_wait_s", &StepRecord::allreduce_wait_s},
    {"optimizer_s", &StepRecord::optimizer_s},
};

void add(StepMeans& m, const StepRecord& r) {
  ++m.steps;
  m.data_wait_s += r.data_wait_s;
  m.forward_s += r.forward_s;
  m.backward_s += r.backward_s;
  m.allreduce_wait_s += r.allreduce_wait_s;
  m.optimizer_s += r.optimizer_s;
  m.step_s += r.step_s();
}

// Sums -> means.
void finish(StepMeans& m) {
  if (m.steps == 0) return;
  const double n = static_cast<double>(m.steps);
  for (double* f : {&m.data_wait_s, &m.forward_s, &m.backward_s, &m.allreduce_wait_s, &m.optimizer_s, &m.step_s}) *f /= n;
}

}  // namespace

std::vector<StepRecord> read_step_csv(const std::string& path) {
  auto table = text::read_table(path);
  const auto& c = table.columns;
  const int rank = c.require("rank"), step = c.require("step");
  int time_pos[std::size(kTimeColumns)];
  for (std::size_t i = 0; i < std::size(kTimeColumns); ++i) time_pos[i] = c.require(kTimeColumns[i].name);
  std::vector<StepRecord> out;
  out.reserve(table.rows.size());
  std::map<std::pair<int, long long>, int> seen;  // (rank, step) -> line
  for (const auto& line : table.rows) {
    auto f = c.row(line);
    StepRecord r;
    r.line = line.number;
    long long rk = text::to_integer(f[static_cast<std::size_t>(rank)], path, line.number, "rank");
    if (rk < 0 || rk > 1 << 24) throw ConfigError(path, line.number, "rank " + std::to_string(rk) + " is out of range");
    r.rank = static_cast<int>(rk);
    r.step = text::to_integer(f[static_cast<std::size_t>(step)], path, line.number, "step");
    if (r.step < 0) throw ConfigError(path, line.number, "step must not be negative");
    for (std::size_t i = 0; i < std::size(kTimeColumns); ++i) {
      double v = text::to_double(f[static_cast<std::size_t>(time_pos[i])], path, line.number, kTimeColumns[i].name);
      if (v < 0) throw ConfigError(path, line.number, std::string(kTimeColumns[i].name) + " must not be negative");
      r.*kTimeColumns[i].field = v;
    }
    auto [it, fresh] = seen.emplace(std::make_pair(r.rank, r.step), line.number);
    if (!fresh) {
      throw ConfigError(path, line.number,
                        "rank " + std::to_string(r.rank) + " step " + std::to_string(r.step) + " appears twice (also line " +
                            std::to_string(it->second) + ")");
    }
    out.push_back(r);
  }
  return out;
}

StepSummary summarize_steps(const std::vector<StepRecord>& rows, long long warmup_steps) {
  std::map<int, std::vector<const StepRecord*>> by_rank;
  for (const auto& r : rows) by_rank[r.rank].push_back(&r);
  StepSummary s;
  double data_wait_s = 0, allreduce_s = 0, step_s = 0;
  for (auto& [rank, list] : by_rank) {
    std::stable_sort(list.begin(), list.end(), [](const StepRecord* a, const StepRecord* b) { return a->step < b->step; });
    StepMeans& m = s.ranks[rank];
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (static_cast<long long>(i) < warmup_steps) continue;
      add(m, *list[i]);
      add(s.overall, *list[i]);
      data_wait_s += list[i]->data_wait_s;
      allreduce_s += list[i]->allreduce_wait_s;
      step_s += list[i]->step_s();
    }
    finish(m);
  }
  finish(s.overall);
  if (step_s > 0) {
    s.data_wait_share = data_wait_s / step_s;
    s.allreduce_wait_share = allreduce_s / step_s;
  }
  return s;
}

}  // namespace ddpsim
