#include "sim/store/query.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <cstdlib>

#include "sim/core/errors.hpp"
#include "sim/core/json.hpp"
#include "sim/core/table.hpp"

namespace ddpsim {

namespace {

// Result codes that mean "the SQL is wrong", as opposed to "the database failed".
bool is_user_error(int code) {
  return code == SQLITE_ERROR || code == SQLITE_READONLY || code == SQLITE_CONSTRAINT || code == SQLITE_MISMATCH ||
         code == SQLITE_RANGE || code == SQLITE_AUTH || code == SQLITE_TOOBIG || code == SQLITE_CANTOPEN;
}

bool only_space_or_semicolons(std::string_view s) {
  // Trailing comments are fine too: SQLite returns them as the tail.
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';') {
      ++i;
    } else if (s.substr(i, 2) == "--") {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (s.substr(i, 2) == "/*") {
      auto end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else {
      return false;
    }
  }
  return true;
}

// `v` with `significant_digits` as printf's %.<n>g writes it.
std::string format_real(double v, int significant_digits) { return fmt::format("{:.{}g}", v, significant_digits); }

std::string cell_text(const QueryCell& c, int real_digits) {
  switch (c.type) {
    case QueryCell::Type::Null: return "";
    case QueryCell::Type::Integer: return std::to_string(c.i);
    case QueryCell::Type::Real: return format_real(c.d, real_digits);
    case QueryCell::Type::Text: return c.s;
  }
  return "";
}

bool looks_numeric(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && !std::isspace(static_cast<unsigned char>(s.front()));
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// " AND ..." for the filters; `sweep_key` is the column matched against the sweep's points
// ("id" for runs, "series" for the scaling view).
std::string filters_sql(const QueryFilter& f, std::vector<std::string>& params, const char* sweep_key) {
  std::string sql;
  auto add = [&](const char* col, const std::string& v) {
    if (v.empty()) return;
    params.push_back(v);
    sql += std::string(" AND ") + col + " = ?" + std::to_string(params.size());
  };
  add("workload", f.workload);
  add("phase", f.phase);
  add("hardware", f.hardware);
  if (!f.sweep.empty()) {
    params.push_back(f.sweep);
    sql += std::string(" AND ") + sweep_key + " IN (SELECT " + (std::string(sweep_key) == "id" ? "run_id" : sweep_key) +
           " FROM sweep_points WHERE sweep_id IN (SELECT id FROM sweeps WHERE name = ?" + std::to_string(params.size()) + "))";
  }
  return sql;
}

}  // namespace

QueryResult run_query(Database& db, std::string_view sql, const std::vector<std::string>& params) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  if (rc != SQLITE_OK) {
    std::string msg = db.errmsg();
    sqlite3_finalize(raw);
    if (is_user_error(rc & 0xff)) throw InputError("SQL error: " + msg);
    throw_sqlite(rc & 0xff, db.path(), db.path() + ": " + msg);
  }
  if (!raw) throw InputError("SQL error: no statement given");
  Statement st(db, raw);
  if (tail && !only_space_or_semicolons(std::string_view(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail)))) {
    throw InputError("SQL error: give one statement per query (found more after the first ';')");
  }
  if (!st.read_only()) throw InputError("SQL error: query opens the database read-only; this statement would modify it");
  for (std::size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i + 1), params[i]);
  QueryResult res;
  for (int i = 0; i < st.column_count(); ++i) res.columns.push_back(st.column_name(i));
  try {
    while (st.step()) {
      std::vector<QueryCell> row(static_cast<std::size_t>(st.column_count()));
      for (int i = 0; i < st.column_count(); ++i) {
        QueryCell& c = row[static_cast<std::size_t>(i)];
        switch (st.column_type(i)) {
          case SQLITE_INTEGER: c.type = QueryCell::Type::Integer; c.i = st.column_int(i); break;
          case SQLITE_FLOAT: c.type = QueryCell::Type::Real; c.d = st.column_double(i); break;
          case SQLITE_NULL: c.type = QueryCell::Type::Null; break;
          default: c.type = QueryCell::Type::Text; c.s = st.column_text(i); break;
        }
      }
      res.rows.push_back(std::move(row));
    }
  } catch (const SqliteError& e) {
    if (is_user_error(e.code())) throw InputError(std::string("SQL error: ") + db.errmsg());
    throw;
  }
  return res;
}

QueryFormat parse_query_format(std::string_view name) {
  if (name == "table") return QueryFormat::Table;
  if (name == "csv") return QueryFormat::Csv;
  if (name == "json") return QueryFormat::Json;
  if (name == "codecarbon") return QueryFormat::CodeCarbon;
  throw InputError("--format must be table, csv, json or codecarbon (got '" + std::string(name) + "')" +
                   did_you_mean(std::string(name), std::vector<std::string>{"table", "csv", "json", "codecarbon"}));
}

std::string format_query_result(const QueryResult& r, QueryFormat format) {
  std::string out;
  if (format == QueryFormat::Json) {
    JsonWriter j;
    j.begin_array();
    for (const auto& row : r.rows) {
      j.begin_object();
      for (std::size_t i = 0; i < row.size(); ++i) {
        const auto& c = row[i];
        const std::string& k = r.columns[i];
        switch (c.type) {
          case QueryCell::Type::Null: j.null(k); break;
          case QueryCell::Type::Integer: j.value(k, static_cast<long long>(c.i)); break;
          case QueryCell::Type::Real: j.value(k, c.d); break;
          case QueryCell::Type::Text: j.value(k, std::string_view(c.s)); break;
        }
      }
      j.end_object();
    }
    j.end_array();
    std::string text = j.str();
    if (text.empty() || text.back() != '\n') text += '\n';
    return text;
  }
  if (format == QueryFormat::Csv || format == QueryFormat::CodeCarbon) {
    auto sep = [&](std::size_t i) { out += i ? "," : ""; };
    for (std::size_t i = 0; i < r.columns.size(); ++i) {
      sep(i);
      out += csv_field(r.columns[i]);
    }
    out += "\n";
    for (const auto& row : r.rows) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        sep(i);
        out += csv_field(cell_text(row[i], 10));
      }
      out += "\n";
    }
    return out;
  }
  // Table: numbers right-aligned, text left-aligned.
  std::vector<std::size_t> width(r.columns.size());
  std::vector<std::vector<std::string>> cells;
  for (std::size_t i = 0; i < r.columns.size(); ++i) width[i] = r.columns[i].size();
  for (const auto& row : r.rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line.push_back(cell_text(row[i], 6));
      width[i] = std::max(width[i], line.back().size());
    }
    cells.push_back(std::move(line));
  }
  // Right-align columns of numbers, also numbers formatted as text (printf('%.2f', x)).
  auto align = [&](std::size_t i) {
    for (const auto& row : r.rows) {
      if (row[i].type == QueryCell::Type::Text && !looks_numeric(row[i].s)) return Align::kLeft;
    }
    return Align::kRight;
  };
  std::string rule;
  for (std::size_t i = 0; i < r.columns.size(); ++i) {
    if (i) {
      out += "  ";
      rule += "  ";
    }
    out += pad(r.columns[i], width[i], align(i));
    rule += std::string(width[i], '-');
  }
  out += "\n" + rule + "\n";
  for (std::size_t k = 0; k < cells.size(); ++k) {
    std::string line;
    for (std::size_t i = 0; i < cells[k].size(); ++i) {
      if (i) line += "  ";
      line += pad(cells[k][i], width[i], align(i));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += "(" + std::to_string(r.rows.size()) + (r.rows.size() == 1 ? " row)\n" : " rows)\n");
  return out;
}

std::pair<std::string, std::vector<std::string>> best_query(std::string_view metric, std::optional<double> deadline_h,
                                                            const QueryFilter& filter, long long limit) {
  std::string col;
  if (metric == "energy") {
    col = "energy_kwh_total";
  } else if (metric == "time") {
    col = "runtime_h";
  } else if (metric == "gpu_hours") {
    col = "gpu_hours";
  } else {
    throw InputError("--best must be energy, time or gpu_hours (got '" + std::string(metric) + "')" +
                     did_you_mean(std::string(metric), std::vector<std::string>{"energy", "time", "gpu_hours"}));
  }
  std::vector<std::string> params;
  std::string where = "WHERE 1" + filters_sql(filter, params, "id");
  std::string having;
  if (deadline_h) {
    params.push_back(format_real(*deadline_h, 17));
    having = " HAVING AVG(runtime_h) <= CAST(?" + std::to_string(params.size()) + " AS REAL)";
  }
  // Rank only runs that do the same work: the same workload and phase on the same training set
  // (train_samples: a scaled data set is different work) for the same number of epochs, or, for
  // --target runs, to the same target. Each group is ranked on its own (rank 1 = best) and named
  // in the first column; groups with more training samples come first.
  std::string sql =
      "WITH g AS (SELECT workload || '/' || phase || ' samples=' || MAX(train_samples) || CASE WHEN target_metric IS NULL "
      "THEN ' epochs=' || epochs ELSE ' target ' || target_metric || '=' || printf('%.6g', target_value) END AS work, "
      "MAX(train_samples) AS train_samples, workload, phase, hardware, gpus, lbs, gbs, epochs, samples_per_gpu, overrides, "
      "COUNT(*) AS seeds, AVG(runtime_h) AS runtime_h, AVG(gpu_hours) AS gpu_hours, AVG(energy_kwh_total) AS energy_kwh_total, "
      "AVG(kwh_per_gpu_hour) AS kwh_per_gpu_hour, AVG(time_fraction_data_stall) AS data_stall, calibration_id, version "
      "FROM runs " + where +
      " GROUP BY workload, phase, hardware, gpus, lbs, gbs, epochs, samples_per_gpu, overrides, target_metric, target_value, "
      "calibration_id, version" + having +
      "), r AS (SELECT *, ROW_NUMBER() OVER (PARTITION BY work ORDER BY " + col + ", runtime_h, gpus) AS rank FROM g) "
      "SELECT work, rank, workload, phase, hardware, gpus, lbs, gbs, epochs, samples_per_gpu, overrides, seeds, runtime_h, gpu_hours, "
      "energy_kwh_total, kwh_per_gpu_hour, data_stall, calibration_id, version FROM r WHERE rank <= " + std::to_string(limit) +
      " ORDER BY workload, phase, train_samples DESC, work, rank";
  return {sql, params};
}

std::pair<std::string, std::vector<std::string>> pareto_query(const QueryFilter& filter) {
  std::vector<std::string> params;
  std::string sql =
      "WITH c AS (SELECT * FROM runs WHERE 1" + filters_sql(filter, params, "id") + ") "
      "SELECT r.workload, r.phase, r.hardware, r.mode, r.gpus, r.lbs, r.gbs, r.epochs, r.samples_per_gpu, r.seed, r.overrides, "
      "r.runtime_h, r.gpu_hours, r.energy_kwh_total, r.kwh_per_gpu_hour FROM c r WHERE NOT EXISTS ("
      "SELECT 1 FROM c o WHERE o.workload = r.workload AND o.phase = r.phase AND o.epochs = r.epochs "
      "AND o.samples_per_gpu = r.samples_per_gpu AND o.calibration_id = r.calibration_id AND o.version = r.version "
      "AND o.runtime_h <= r.runtime_h AND o.energy_kwh_total <= r.energy_kwh_total "
      "AND (o.runtime_h < r.runtime_h OR o.energy_kwh_total < r.energy_kwh_total)) "
      "ORDER BY r.workload, r.phase, r.epochs, r.samples_per_gpu, r.runtime_h, r.energy_kwh_total";
  return {sql, params};
}

const std::vector<std::string>& codecarbon_columns() {
  static const std::vector<std::string> c = {
      "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions", "emissions_rate", "cpu_power", "gpu_power",
      "ram_power", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed", "country_name", "country_iso_code", "region",
      "cloud_provider", "cloud_region", "os", "python_version", "codecarbon_version", "cpu_count", "cpu_model", "gpu_count",
      "gpu_model", "longitude", "latitude", "ram_total_size", "tracking_mode", "on_cloud", "pue"};
  return c;
}

std::pair<std::string, std::vector<std::string>> codecarbon_query(const QueryFilter& filter) {
  std::vector<std::string> params;
  // Mean power of a component over the run: its energy (kWh) / duration, in W.
  auto power = [](const char* col) {
    return std::string("CASE WHEN runtime_h > 0 THEN ") + col + " * 1000.0 / runtime_h END";
  };
  std::string sql =
      "SELECT strftime('%Y-%m-%dT%H:%M:%S', created_at) AS timestamp, "
      "'ddpsim ' || workload || ' ' || phase AS project_name, "
      "config_hash || '-' || calibration_id || '-' || version AS run_id, "
      "NULL AS experiment_id, "
      "runtime_h * 3600.0 AS duration, emissions_kg_co2e AS emissions, "
      "CASE WHEN runtime_h > 0 THEN emissions_kg_co2e / (runtime_h * 3600.0) END AS emissions_rate, " +
      power("energy_kwh_cpu") + " AS cpu_power, " + power("energy_kwh_gpu") + " AS gpu_power, " + power("energy_kwh_ram") +
      " AS ram_power, energy_kwh_cpu AS cpu_energy, energy_kwh_gpu AS gpu_energy, energy_kwh_ram AS ram_energy, "
      "energy_kwh_total AS energy_consumed, NULL AS country_name, NULL AS country_iso_code, NULL AS region, "
      "NULL AS cloud_provider, NULL AS cloud_region, NULL AS os, NULL AS python_version, NULL AS codecarbon_version, "
      "NULL AS cpu_count, NULL AS cpu_model, gpus AS gpu_count, hardware AS gpu_model, NULL AS longitude, NULL AS latitude, "
      "NULL AS ram_total_size, NULL AS tracking_mode, NULL AS on_cloud, "
      "COALESCE(json_extract(result_json, '$.site.pue'), 1.0) AS pue "
      "FROM runs WHERE 1" + filters_sql(filter, params, "id") + " ORDER BY id";
  return {sql, params};
}

std::pair<std::string, std::vector<std::string>> scaling_query(const QueryFilter& filter) {
  std::vector<std::string> params;
  std::string sql =
      "SELECT series, gpus, seeds, runtime_h, energy_kwh_total, data_stall, base_gpus, speedup, ideal_speedup, "
      "parallel_efficiency, energy_ratio FROM scaling WHERE 1" + filters_sql(filter, params, "series") +
      " ORDER BY series, calibration_id, version, gpus";
  return {sql, params};
}

}  // namespace ddpsim
