#pragma once
// A small RAII layer over the SQLite3 C API: Database (one connection), Statement (a prepared
// statement, finalized on destruction) and Transaction (BEGIN IMMEDIATE; rolls back in its
// destructor unless commit() was called, after the idea of SQLiteCpp's Transaction.h).
// Failures throw IoError carrying SQLite's message (DatabaseCorrupt, an InputError, where SQLite
// reports a damaged file, at whatever point it finds it); callers that take SQL from the user turn
// prepare errors into InputError themselves (see Database::prepare_user).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/errors.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ddpsim {

class Statement;

/// A failed SQLite call: IoError (exit 1) with SQLite's primary result code.
class SqliteError : public IoError {
 public:
  SqliteError(int code, const std::string& msg) : IoError(msg), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

/// Throws the error of a failed SQLite call with primary result code `code`: DatabaseCorrupt
/// (exit 2) for SQLITE_CORRUPT and SQLITE_NOTADB, naming `path`; SqliteError otherwise.
[[noreturn]] void throw_sqlite(int code, const std::string& path, const std::string& msg);

/// True for the result codes of a damaged database file (SQLITE_CORRUPT, SQLITE_NOTADB).
bool is_corrupt_code(int code);

class Database {
 public:
  enum class Mode { ReadOnly, ReadWriteCreate };
  /// Opens `path` (":memory:" for an in-memory database). ReadOnly never creates the file.
  /// Sets a busy timeout of `busy_timeout_ms` so concurrent writers wait instead of failing.
  Database(const std::string& path, Mode mode, int busy_timeout_ms = 60000);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Runs one or more statements without results.
  void exec(const std::string& sql);
  Statement prepare(std::string_view sql);
  /// Single integer result of `sql` (e.g. "PRAGMA user_version"); nullopt if no row.
  std::optional<std::int64_t> scalar_int(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  const std::string& path() const { return path_; }
  bool read_only() const { return mode_ == Mode::ReadOnly; }
  sqlite3* handle() const { return db_; }
  /// SQLite's message for the last failure on this connection.
  std::string errmsg() const;
  /// Interrupts any statement still running `seconds` from now (SQLITE_INTERRUPT).
  void set_time_limit(double seconds);

 private:
  static int progress(void* self);
  sqlite3* db_ = nullptr;
  double deadline_s_ = 0;  // steady-clock seconds; 0 = none
  std::string path_;
  Mode mode_;
};

class Statement {
 public:
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text is copied.
  Statement& bind(int index, std::int64_t v);
  Statement& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
  Statement& bind(int index, double v);
  Statement& bind(int index, std::string_view v);
  Statement& bind(int index, const char* v) { return bind(index, std::string_view(v)); }
  Statement& bind(int index, const std::string& v) { return bind(index, std::string_view(v)); }
  Statement& bind_null(int index);
  /// Index of the named parameter ":name" (0 if absent).
  int parameter_index(const char* name) const;

  /// Advances; true while a row is available. Throws IoError on failure.
  bool step();
  /// Steps to completion (statements without rows).
  void run();
  void reset();

  int column_count() const;
  std::string column_name(int i) const;
  /// SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL of the current row.
  int column_type(int i) const;
  std::int64_t column_int(int i) const;
  double column_double(int i) const;
  std::string column_text(int i) const;
  bool column_null(int i) const;
  /// The statement reads only (sqlite3_stmt_readonly).
  bool read_only() const;

 private:
  Database* db_;
  sqlite3_stmt* stmt_;
};

/// BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy timeout) ... COMMIT.
/// Destroying it without commit() rolls back, so an exception never leaves half a result.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

/// Quotes an SQL identifier ("name" with embedded quotes doubled).
std::string quote_identifier(std::string_view name);

}  // namespace ddpsim
