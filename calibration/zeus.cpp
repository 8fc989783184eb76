// Readers of the Zeus (NSDI'23) traces: summary_power_<gpu>.csv and summary_train.csv.
#include <algorithm>
#include <filesystem>

#include "calibration/readers.hpp"
#include "calibration/text_input.hpp"
#include "sim/core/errors.hpp"

namespace ddpsim {

namespace {
constexpr std::string_view kPowerPrefix = "summary_power_";

// The configuration columns both traces share.
struct ConfigColumns {
  int dataset, network, batch, optimizer;
  explicit ConfigColumns(const text::Columns& c)
      : dataset(c.require("dataset")), network(c.require("network")), batch(c.require("batch_size")),
        optimizer(c.require("optimizer")) {}
  template <typename Point>
  void fill(Point& p, const std::vector<std::string>& f, const std::string& file, const text::Line& line) const {
    auto at = [&](int pos) -> const std::string& { return f[static_cast<std::size_t>(pos)]; };
    p.dataset = at(dataset);
    p.network = at(network);
    p.optimizer = at(optimizer);
    p.batch_size = text::to_positive_int(at(batch), file, line.number, "batch_size");
    p.line = line.number;
  }
};

double positive_number(const std::string& text, const std::string& file, int line, const std::string& column) {
  double v = text::to_double(text, file, line, column);
  if (!(v > 0)) throw ConfigError(file, line, "'" + column + "' must be positive, not " + text);
  return v;
}
}  // namespace

std::vector<ZeusPoint> read_zeus_power_csv(const std::string& path, const std::string& gpu) {
  std::string gpu_name = gpu;
  if (gpu_name.empty()) {
    std::string stem = std::filesystem::path(path).stem().string();
    if (!stem.starts_with(kPowerPrefix) || stem.size() == kPowerPrefix.size()) {
      throw InputError(path + ": cannot tell the GPU from the file name (expected summary_power_<gpu>.csv); give it explicitly");
    }
    gpu_name = stem.substr(kPowerPrefix.size());
  }
  auto table = text::read_table(path);
  const auto& c = table.columns;
  const ConfigColumns config(c);
  const int limit = c.require("power_limit"), time = c.require("time_per_epoch"), power = c.require("average_power");
  std::vector<ZeusPoint> out;
  out.reserve(table.rows.size());
  for (const auto& line : table.rows) {
    auto f = c.row(line);
    auto at = [&](int pos) -> const std::string& { return f[static_cast<std::size_t>(pos)]; };
    ZeusPoint p;
    p.gpu = gpu_name;
    config.fill(p, f, path, line);
    p.power_limit_w = positive_number(at(limit), path, line.number, "power_limit");
    p.time_per_epoch_s = positive_number(at(time), path, line.number, "time_per_epoch");
    p.average_power_w = positive_number(at(power), path, line.number, "average_power");
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<ZeusPoint> read_zeus_dir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw InputError(dir + ": no such directory");
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.starts_with(kPowerPrefix) && e.path().extension() == ".csv") files.push_back(e.path().string());
  }
  if (files.empty()) throw InputError(dir + ": holds no summary_power_<gpu>.csv file");
  std::sort(files.begin(), files.end());
  std::vector<ZeusPoint> out;
  for (const auto& f : files) {
    auto points = read_zeus_power_csv(f);
    out.insert(out.end(), std::make_move_iterator(points.begin()), std::make_move_iterator(points.end()));
  }
  return out;
}

std::vector<ZeusPoint> filter_zeus(const std::vector<ZeusPoint>& points, std::string_view dataset, std::string_view network,
                                   std::string_view gpu) {
  std::vector<ZeusPoint> out;
  for (const auto& p : points) {
    if ((dataset.empty() || p.dataset == dataset) && (network.empty() || p.network == network) && (gpu.empty() || p.gpu == gpu)) {
      out.push_back(p);
    }
  }
  return out;
}

std::vector<ZeusTrainPoint> read_zeus_train_csv(const std::string& path) {
  auto table = text::read_table(path);
  const auto& c = table.columns;
  const ConfigColumns config(c);
  const int lr = c.require("learning_rate"), run = c.require("run"), metric = c.require("target_metric"),
            epoch = c.require("target_epoch");
  std::vector<ZeusTrainPoint> out;
  out.reserve(table.rows.size());
  for (const auto& line : table.rows) {
    auto f = c.row(line);
    auto at = [&](int pos) -> const std::string& { return f[static_cast<std::size_t>(pos)]; };
    ZeusTrainPoint p;
    config.fill(p, f, path, line);
    p.learning_rate = positive_number(at(lr), path, line.number, "learning_rate");
    p.run = static_cast<int>(text::to_integer(at(run), path, line.number, "run"));
    p.target_metric = text::to_double(at(metric), path, line.number, "target_metric");
    const std::string& e = at(epoch);
    p.target_epoch = (e == "nan" || e == "NaN") ? 0 : text::to_positive_int(e, path, line.number, "target_epoch");
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace ddpsim
