// Diagnostic log: JSON lines in DIR/logs/bomvault-YYYY-MM-DD.jsonl and the same lines on stderr.
//
// The promise is that a log holds internal ids only: never a name, an e-mail address, a company
// name, a secret, BOM content or an IP address. The API makes leaking structurally hard: event
// names, field keys and textual values must be string LITERALS (the Literal type has a consteval
// constructor, so a runtime string does not compile); the only runtime values accepted are
// integers and typed ids (util::Id<>). A peer address may be logged only as AddrHash(), a keyed
// BLAKE2b hash whose key is random per process, so lines of one run correlate but reveal nothing.
// The hash comes from crypto/ (a layer above util), installed at start-up by SetAddressHasher().
//
// Files are per UTC day; PurgeOlderThan() deletes whole days past the retention window, and a
// line is never older than its file's day. Thread-safe: one mutex serialises writes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/ids.h"

namespace bomvault::util::log {

struct Literal {
  consteval Literal(const char* s) : s(s) {}  // NOLINT: implicit by design; literals only
  const char* s;
};

enum class Level { kDebug, kInfo, kWarn, kError };

// Opens DIR/logs (mode 0700). Before Init, lines go to stderr only.
void Init(const std::string& data_dir);
// Stops writing files (lines still go to stderr); used by tests and shutdown.
void Shutdown();
// The keyed hash AddrHash() writes: crypto::AddressPseudonym, installed once by the program before
// it serves anything. Until then AddrHash() writes "unhashed" in place of the address, never it.
using AddressHasher = std::string (*)(std::string_view address);
void SetAddressHasher(AddressHasher hasher);
// Turns stderr echo on or off (on by default).
void SetStderr(bool on);
// Deletes log files whose day ended more than `days` days before now; returns files deleted.
int PurgeOlderThan(int days);

class Line {
 public:
  Line(Level level, Literal event);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& Num(Literal key, int64_t value);
  Line& Text(Literal key, Literal value);
  template <class Tag>
  Line& Ref(Literal key, const Id<Tag>& id) {
    return RawId(key, id.str());
  }
  Line& AddrHash(Literal key, std::string_view address);

 private:
  Line& RawId(Literal key, const std::string& id);
  std::string buf_;
};

inline Line Info(Literal event) { return Line(Level::kInfo, event); }
inline Line Warn(Literal event) { return Line(Level::kWarn, event); }
inline Line Error(Literal event) { return Line(Level::kError, event); }

}  // namespace bomvault::util::log
