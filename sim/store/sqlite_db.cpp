#include "sim/store/sqlite_db.hpp"

#include <chrono>
#include <fmt/format.h>
#include <filesystem>

#include <sqlite3.h>

#include <algorithm>

namespace ddpsim {

namespace {

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw_sqlite(rc & 0xff, what, what + ": " + msg);
}

}  // namespace

bool is_corrupt_code(int code) { return code == SQLITE_CORRUPT || code == SQLITE_NOTADB; }

void throw_sqlite(int code, const std::string& path, const std::string& msg) {
  if (is_corrupt_code(code)) {
    std::string text = msg.rfind(path + ": ", 0) == 0 ? msg.substr(path.size() + 2) : msg;
    throw DatabaseCorrupt(path + ": damaged database (" + text + "); 'ddpsim check --db' reports what is damaged");
  }
  throw SqliteError(code, msg);
}

namespace {
// file: URI of a path (percent-encoding what a URI reserves).
std::string file_uri(const std::string& path) {
  std::string out = "file:";
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7f) {
      fmt::format_to(std::back_inserter(out), "%{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}
}  // namespace

Database::Database(const std::string& path, Mode mode, int busy_timeout_ms) : path_(path), mode_(mode) {
  int flags = mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;  // each connection is used under its owner's lock
  std::string target = path;
  if (mode == Mode::ReadOnly && path != ":memory:") {
    // Reading a cleanly closed database (no write-ahead log beside it, so no writer is active):
    // open it immutable, which creates no -wal/-shm files and takes no locks. With a log
    // present a writer may be at work: open it read-only the normal way.
    std::error_code ec;
    if (!std::filesystem::exists(path + "-wal", ec)) {
      target = file_uri(path) + "?immutable=1";
      flags |= SQLITE_OPEN_URI;
    }
  }
  int rc = sqlite3_open_v2(target.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw_sqlite(rc & 0xff, path, path + ": cannot open database: " + msg);
  }
  sqlite3_extended_result_codes(db_, 0);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

Database::~Database() { sqlite3_close_v2(db_); }

namespace {
double steady_now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

int Database::progress(void* self) {
  auto* d = static_cast<Database*>(self);
  return d->deadline_s_ > 0 && steady_now_s() > d->deadline_s_ ? 1 : 0;
}

void Database::set_time_limit(double seconds) {
  deadline_s_ = steady_now_s() + seconds;
  sqlite3_progress_handler(db_, 10000, &Database::progress, this);
}

void Database::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    std::string what = sql.substr(0, std::min<std::size_t>(sql.find_first_of("(\n"), 40));
    throw_sqlite(rc & 0xff, path_, path_ + ": " + msg + " (in '" + what + "')");
  }
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, path_);
  return Statement(*this, stmt);
}

std::optional<std::int64_t> Database::scalar_int(std::string_view sql) {
  Statement st = prepare(sql);
  if (!st.step() || st.column_null(0)) return std::nullopt;
  return st.column_int(0);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }
std::string Database::errmsg() const { return sqlite3_errmsg(db_); }

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }

Statement& Statement::bind(int index, std::int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, index, v);
  if (rc != SQLITE_OK) fail(db_->handle(), rc, db_->path());
  return *this;
}

Statement& Statement::bind(int index, double v) {
  int rc = sqlite3_bind_double(stmt_, index, v);
  if (rc != SQLITE_OK) fail(db_->handle(), rc, db_->path());
  return *this;
}

Statement& Statement::bind(int index, std::string_view v) {
  int rc = sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(db_->handle(), rc, db_->path());
  return *this;
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) fail(db_->handle(), rc, db_->path());
  return *this;
}

int Statement::parameter_index(const char* name) const { return sqlite3_bind_parameter_index(stmt_, name); }

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_->handle(), rc, db_->path());
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }
std::string Statement::column_name(int i) const { return sqlite3_column_name(stmt_, i); }
int Statement::column_type(int i) const { return sqlite3_column_type(stmt_, i); }
std::int64_t Statement::column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
double Statement::column_double(int i) const { return sqlite3_column_double(stmt_, i); }
bool Statement::column_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
bool Statement::read_only() const { return sqlite3_stmt_readonly(stmt_) != 0; }

std::string Statement::column_text(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_, i);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (done_) return;
  // Never throws: a failed rollback leaves SQLite to roll back when the connection closes.
  sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace ddpsim
