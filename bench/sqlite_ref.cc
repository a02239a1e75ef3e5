// Raw SQLite reference for bench/storage.sh: the floor a BOM store could approach on this machine.
//
//   sqlite_ref CSV DBFILE      (built by storage.sh: g++ -O2 sqlite_ref.cc -lsqlite3)
//
// Reads the CSV into memory (untimed), then times
//   insert: split the lines, derive ref/parent from the level column exactly as an indented BOM
//           means it (ref = data row number, parent = nearest preceding row one level up), and
//           INSERT one row per item with a prepared statement, all in one transaction + COMMIT;
//   scan:   SELECT every row in order and copy every column into std::strings.
// Plain (unencrypted) Debian libsqlite3, file on the same filesystem as the server's store,
// journal_mode=WAL and synchronous=NORMAL like bomvault's connections.
// Prints one line: "rows=N insert_s=X scan_s=Y insert_cpu_s=.. scan_cpu_s=.. bytes=Z" (wall
// seconds, then this process's user+system CPU seconds for the same two phases).
#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite_ref: %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void Exec(sqlite3* db, const char* sql) { Check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql); }

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double CpuSeconds() {  // user + system time of this process
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: sqlite_ref CSV DBFILE\n");
    return 2;
  }
  std::string csv;
  {
    std::ifstream in(argv[1], std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    csv = ss.str();
  }
  std::remove(argv[2]);
  sqlite3* db = nullptr;
  Check(sqlite3_open(argv[2], &db), db, "open");
  Exec(db, "PRAGMA journal_mode = WAL");
  Exec(db, "PRAGMA synchronous = NORMAL");
  Exec(db,
       "CREATE TABLE items (bom_id TEXT NOT NULL, seq INTEGER NOT NULL, ref TEXT NOT NULL, "
       "parent TEXT, level INTEGER NOT NULL, part_number TEXT NOT NULL, description TEXT, "
       "quantity TEXT NOT NULL, unit TEXT, manufacturer TEXT, material TEXT, "
       "PRIMARY KEY (bom_id, seq))");

  // --- insert ---
  auto t0 = std::chrono::steady_clock::now();
  double c0 = CpuSeconds();
  Exec(db, "BEGIN IMMEDIATE");
  sqlite3_stmt* ins = nullptr;
  Check(sqlite3_prepare_v2(db,
                           "INSERT INTO items VALUES ('bom_bench', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &ins, nullptr),
        db, "prepare insert");
  std::string_view text(csv);
  size_t pos = text.find('\n') + 1;  // skip the header
  std::vector<std::string> level_refs;  // level_refs[k] = ref of the latest item at level base+k
  long base_level = -1;
  long rows = 0;
  std::string_view cells[7];
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= line.size() && n < 7; ++i) {
      if (i == line.size() || line[i] == ',') {
        cells[n++] = line.substr(start, i - start);
        start = i + 1;
      }
    }
    if (n != 7) {
      std::fprintf(stderr, "sqlite_ref: line %ld has %zu cells\n", rows + 2, n);
      return 1;
    }
    long level = std::strtol(std::string(cells[0]).c_str(), nullptr, 10);
    if (base_level < 0) base_level = level;
    size_t depth = static_cast<size_t>(level - base_level);
    if (depth > level_refs.size()) {
      std::fprintf(stderr, "sqlite_ref: line %ld skips a level\n", rows + 2);
      return 1;
    }
    ++rows;
    std::string ref = std::to_string(rows);
    level_refs.resize(depth);
    sqlite3_bind_int64(ins, 1, rows);
    sqlite3_bind_text(ins, 2, ref.data(), static_cast<int>(ref.size()), SQLITE_TRANSIENT);
    if (depth == 0) {
      sqlite3_bind_null(ins, 3);
    } else {
      sqlite3_bind_text(ins, 3, level_refs[depth - 1].data(),
                        static_cast<int>(level_refs[depth - 1].size()), SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(ins, 4, level);
    for (int c = 1; c < 7; ++c) {
      sqlite3_bind_text(ins, 4 + c, cells[c].data(), static_cast<int>(cells[c].size()),
                        SQLITE_STATIC);
    }
    Check(sqlite3_step(ins), db, "insert");
    sqlite3_reset(ins);
    level_refs.push_back(std::move(ref));
  }
  sqlite3_finalize(ins);
  Exec(db, "COMMIT");
  double insert_s = Seconds(t0);
  double insert_cpu = CpuSeconds() - c0;

  // --- scan ---
  t0 = std::chrono::steady_clock::now();
  c0 = CpuSeconds();
  sqlite3_stmt* q = nullptr;
  Check(sqlite3_prepare_v2(db, "SELECT * FROM items WHERE bom_id = 'bom_bench' ORDER BY seq", -1,
                           &q, nullptr),
        db, "prepare scan");
  long scanned = 0;
  size_t bytes = 0;
  std::vector<std::string> row(11);
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    for (int c = 0; c < 11; ++c) {
      const unsigned char* v = sqlite3_column_text(q, c);
      int len = sqlite3_column_bytes(q, c);
      row[c].assign(v ? reinterpret_cast<const char*>(v) : "", static_cast<size_t>(len));
      bytes += row[c].size();
    }
    ++scanned;
  }
  Check(rc, db, "scan");
  sqlite3_finalize(q);
  double scan_s = Seconds(t0);
  double scan_cpu = CpuSeconds() - c0;
  sqlite3_close(db);
  if (scanned != rows) {
    std::fprintf(stderr, "sqlite_ref: inserted %ld rows, scanned %ld\n", rows, scanned);
    return 1;
  }
  std::printf("rows=%ld insert_s=%.4f scan_s=%.4f insert_cpu_s=%.4f scan_cpu_s=%.4f bytes=%zu\n",
              rows, insert_s, scan_s, insert_cpu, scan_cpu, bytes);
  return 0;
}
