#include "util/log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include "util/clock.h"

namespace bomvault::util::log {
namespace {

struct Sink {
  std::mutex mu;
  std::string dir;  // DIR/logs, empty before Init
  std::string day;  // day of the open file
  FILE* file = nullptr;
  bool to_stderr = true;
};

std::atomic<AddressHasher> address_hasher{nullptr};

Sink& TheSink() {
  static Sink* sink = new Sink();  // never destroyed: lines may be written during exit
  return *sink;
}

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

// Keys, literal values and ids never need escaping (literals are ours; ids are [a-z0-9_]),
// but a literal written carelessly must still not break the JSON line.
void AppendQuoted(std::string& out, const char* s) {
  out += '"';
  for (; *s != 0; ++s) {
    char c = *s;
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  out += '"';
}

}  // namespace

void Init(const std::string& data_dir) {
  Sink& s = TheSink();
  std::lock_guard lock(s.mu);
  s.dir = data_dir + "/logs";
  mkdir(s.dir.c_str(), 0700);
}

void Shutdown() {
  Sink& s = TheSink();
  std::lock_guard lock(s.mu);
  if (s.file != nullptr) fclose(s.file);
  s.file = nullptr;
  s.dir.clear();
  s.day.clear();
}

void SetAddressHasher(AddressHasher hasher) {
  address_hasher.store(hasher, std::memory_order_release);
}

void SetStderr(bool on) {
  Sink& s = TheSink();
  std::lock_guard lock(s.mu);
  s.to_stderr = on;
}

int PurgeOlderThan(int days) {
  Sink& s = TheSink();
  std::lock_guard lock(s.mu);
  if (s.dir.empty()) return 0;
  // A file named for day D holds lines from D only; delete it once D ended `days` days ago.
  std::string cutoff = FormatUtcDate(NowUnix() - int64_t{days} * kSecondsPerDay);
  int deleted = 0;
  DIR* d = opendir(s.dir.c_str());
  if (d == nullptr) return 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    // bomvault-YYYY-MM-DD.jsonl
    if (name.size() != 25 || name.rfind("bomvault-", 0) != 0 || name.substr(19) != ".jsonl") {
      continue;
    }
    if (name.substr(9, 10) < cutoff) {
      if (name.substr(9, 10) == s.day && s.file != nullptr) {
        fclose(s.file);
        s.file = nullptr;
        s.day.clear();
      }
      if (unlink((s.dir + "/" + name).c_str()) == 0) ++deleted;
    }
  }
  closedir(d);
  return deleted;
}

Line::Line(Level level, Literal event) {
  buf_.reserve(192);
  buf_ += "{\"at\":\"";
  buf_ += FormatUtc(NowUnix());
  buf_ += "\",\"level\":\"";
  buf_ += LevelName(level);
  buf_ += "\",\"event\":";
  AppendQuoted(buf_, event.s);
}

Line& Line::Num(Literal key, int64_t value) {
  buf_ += ',';
  AppendQuoted(buf_, key.s);
  buf_ += ':';
  buf_ += std::to_string(value);
  return *this;
}

Line& Line::Text(Literal key, Literal value) {
  buf_ += ',';
  AppendQuoted(buf_, key.s);
  buf_ += ':';
  AppendQuoted(buf_, value.s);
  return *this;
}

Line& Line::RawId(Literal key, const std::string& id) {
  buf_ += ',';
  AppendQuoted(buf_, key.s);
  buf_ += ':';
  AppendQuoted(buf_, id.c_str());
  return *this;
}

Line& Line::AddrHash(Literal key, std::string_view address) {
  AddressHasher hasher = address_hasher.load(std::memory_order_acquire);
  const std::string hex = hasher != nullptr ? hasher(address) : std::string("unhashed");
  buf_ += ',';
  AppendQuoted(buf_, key.s);
  buf_ += ":\"";
  buf_ += hex;
  buf_ += '"';
  return *this;
}

Line::~Line() {
  buf_ += "}\n";
  Sink& s = TheSink();
  std::lock_guard lock(s.mu);
  if (s.to_stderr) fwrite(buf_.data(), 1, buf_.size(), stderr);
  if (s.dir.empty()) return;
  std::string today = FormatUtcDate(NowUnix());
  if (s.file == nullptr || s.day != today) {
    if (s.file != nullptr) fclose(s.file);
    std::string path = s.dir + "/bomvault-" + today + ".jsonl";
    int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    s.file = fd >= 0 ? fdopen(fd, "a") : nullptr;
    s.day = s.file != nullptr ? today : "";
  }
  if (s.file != nullptr) {
    fwrite(buf_.data(), 1, buf_.size(), s.file);
    fflush(s.file);
  }
}

}  // namespace bomvault::util::log
