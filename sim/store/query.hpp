#pragma once
// Read-only questions to a results database: user SQL and the canned questions of
// `ddpsim query`, with table, CSV and JSON output.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/store/sqlite_db.hpp"

namespace ddpsim {

struct QueryCell {
  enum class Type { Null, Integer, Real, Text } type = Type::Null;
  std::int64_t i = 0;
  double d = 0;
  std::string s;
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<QueryCell>> rows;
};

/// Runs one read-only SQL statement with positional text parameters (?1, ?2, ...).
/// Bad SQL, a second statement, or a statement that would write is an InputError carrying
/// SQLite's message; failures of the database itself are IoError.
QueryResult run_query(Database& db, std::string_view sql, const std::vector<std::string>& params = {});

enum class QueryFormat { Table, Csv, Json, CodeCarbon };
/// "table" | "csv" | "json" | "codecarbon" (CSV of CodeCarbon's emissions.csv columns, written
/// by codecarbon_query); InputError otherwise.
QueryFormat parse_query_format(std::string_view name);
std::string format_query_result(const QueryResult& result, QueryFormat format);

/// Filters of the canned questions (empty = any). `sweep` keeps the runs that answer points of
/// the sweeps with that name (all invocations and shards).
struct QueryFilter {
  std::string workload, phase, hardware, sweep;
};

/// The canned question "best by `metric` (energy | time | gpu_hours) among configurations whose
/// mean runtime is within `deadline_h`": SQL and its parameters. Seeds are averaged. Only runs
/// that do the same work are ranked together: groups of (workload, phase, training samples,
/// epochs or target), each ranked on its own, named in column `work`, `limit` rows per group.
std::pair<std::string, std::vector<std::string>> best_query(std::string_view metric, std::optional<double> deadline_h,
                                                            const QueryFilter& filter, long long limit);
/// The time vs energy Pareto frontier among the filtered runs (as the `pareto` view, but the
/// filters choose the runs compared: --hardware a100 gives the frontier of the A100 runs).
std::pair<std::string, std::vector<std::string>> pareto_query(const QueryFilter& filter);
/// Columns of CodeCarbon's emissions.csv, in its order.
const std::vector<std::string>& codecarbon_columns();
/// One row per filtered run with CodeCarbon's emissions.csv columns (what ddpsim does not know
/// is NULL, written as an empty field).
std::pair<std::string, std::vector<std::string>> codecarbon_query(const QueryFilter& filter);
/// Rows of the `scaling` view (speed-up and parallel efficiency per series), filtered.
std::pair<std::string, std::vector<std::string>> scaling_query(const QueryFilter& filter);

}  // namespace ddpsim
