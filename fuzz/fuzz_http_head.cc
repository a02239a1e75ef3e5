// Fuzz target: the engine's strict reading of request heads and the router, without sockets (the
// whole server over a socket is fuzz_http). The first input byte picks the part:
//  even: the bytes as a connection receives them. Engine::ScanHead looks for the end of the head
//    in chunks whose sizes come from the second byte (as a dripping client sends them), then
//    Engine::CheckHead reads the head and, when it refuses, Engine::RefusalResponse answers.
//  odd: "METHOD PATH" on the first line, then up to 47 routes "METHOD PATTERN" one a line, for
//    RouteTable::Find.
// Invariants beyond "no crash, no sanitizer report":
//  * the incremental scan finds the same end of head as one memmem over all the bytes;
//  * a refusal is 400, 411 or 413, and its answer is an HTTP/1.1 status line with a correct
//    Content-Length and a JSON body {"error":{"code","message"}} carrying the refusal's code;
//  * an accepted head has no NUL, no bare CR or LF, at most one Host and one Content-Length,
//    no Transfer-Encoding, a body length equal to its Content-Length (0 without one) and at
//    most the limit, no body for GET/HEAD/OPTIONS/TRACE/CONNECT (all found by a second, naive
//    reading here), and Expect: 100-continue only with a body;
//  * the router agrees with a reference built on std::regex: the first route whose pattern
//    matches the path (empty segments dropped, "{…}" one non-empty segment) and whose method
//    is the request's (HEAD as GET) wins with the same parameters, else the same Allow list.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "http/engine.h"
#include "http/router.h"

using bomvault::http::Engine;
using bomvault::http::RouteTable;

namespace {

constexpr size_t kMaxBody = 1 << 20;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void CheckRefusal(const Engine::Refusal& r) {
  FUZZ_CHECK(r.status == 400 || r.status == 411 || r.status == 413);
  std::string out = Engine::RefusalResponse(r, {{"X-Content-Type-Options", "nosniff"}});
  FUZZ_CHECK(out.rfind("HTTP/1.1 " + std::to_string(r.status) + " ", 0) == 0);
  size_t end = out.find("\r\n\r\n");
  FUZZ_CHECK(end != std::string::npos);
  std::string body = out.substr(end + 4);
  FUZZ_CHECK(out.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n") < end);
  auto j = nlohmann::json::parse(body, nullptr, false);
  FUZZ_CHECK(!j.is_discarded());
  FUZZ_CHECK(j["error"]["code"] == r.code);
  FUZZ_CHECK(j["error"]["message"].is_string() && !j["error"]["message"].empty());
}

void CheckAccepted(std::string_view head, const Engine::HeadFraming& f) {
  FUZZ_CHECK(head.find('\0') == std::string_view::npos);
  // Naive second reading: lines split on CRLF, names before the first colon.
  size_t hosts = 0, lengths = 0, encodings = 0;
  std::string length;
  bool expect = false;
  size_t first = head.find("\r\n");
  FUZZ_CHECK(first != std::string_view::npos);
  std::string method(head.substr(0, std::min(first, head.find(' '))));
  for (size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r') FUZZ_CHECK(i + 1 < head.size() && head[i + 1] == '\n');
    if (head[i] == '\n') FUZZ_CHECK(i > 0 && head[i - 1] == '\r');
  }
  size_t pos = first + 2;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) break;
    size_t colon = line.find(':');
    FUZZ_CHECK(colon != std::string_view::npos && colon > 0);
    std::string name = Lower(line.substr(0, colon));
    std::string value(line.substr(colon + 1));
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t") + 1);
    if (name == "host") ++hosts;
    if (name == "content-length") ++lengths, length = value;
    if (name == "transfer-encoding") ++encodings;
    if (name == "expect") expect = Lower(value) == "100-continue";
  }
  FUZZ_CHECK(hosts <= 1 && lengths <= 1 && encodings == 0);
  uint64_t want = 0;
  for (char c : length) want = want * 10 + static_cast<uint64_t>(c - '0');
  FUZZ_CHECK(f.body_bytes == want && f.body_bytes <= kMaxBody);
  if (method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
      method == "CONNECT") {
    FUZZ_CHECK(f.body_bytes == 0);
  }
  FUZZ_CHECK(f.expect_continue == (expect && f.body_bytes > 0));
}

void Head(std::string_view bytes, unsigned chunk_seed) {
  const void* at = memmem(bytes.data(), bytes.size(), "\r\n\r\n", 4);
  size_t want = at ? static_cast<size_t>(static_cast<const char*>(at) - bytes.data()) + 4 : 0;
  size_t scanned = 0, head_bytes = 0, have = 0;
  bool found = false;
  unsigned step = chunk_seed % 7 + 1;
  while (!found && have < bytes.size()) {
    have = std::min(bytes.size(), have + step);
    step = (step * 5 + chunk_seed) % 13 + 1;
    found = Engine::ScanHead(bytes.substr(0, have), &scanned, &head_bytes);
    FUZZ_CHECK(scanned == have);
  }
  FUZZ_CHECK(found == (at != nullptr));
  if (!found) return;
  FUZZ_CHECK(head_bytes == want);
  std::string_view head = bytes.substr(0, head_bytes);
  Engine::HeadFraming f;
  Engine::Refusal r = Engine::CheckHead(head, kMaxBody, &f);
  if (r.status != 0) {
    CheckRefusal(r);
  } else {
    CheckAccepted(head, f);
  }
}

std::string Normalise(const std::string& path) {
  std::string s = std::regex_replace(path, std::regex("/+"), "/");
  if (!s.empty() && s.front() == '/') s.erase(0, 1);
  if (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// The reference: a pattern as a regex over the normalised path.
std::regex PatternRegex(const std::string& pattern) {
  std::string norm = Normalise(pattern), re;
  size_t pos = 0;
  while (pos <= norm.size() && !norm.empty()) {
    size_t end = norm.find('/', pos);
    if (end == std::string::npos) end = norm.size();
    std::string seg = norm.substr(pos, end - pos);
    if (!re.empty()) re += "/";
    if (seg.front() == '{') {
      re += "([^/]+)";
    } else {
      for (char c : seg) {
        if (std::strchr("\\^$.|?*+()[]{}", c) != nullptr) re += '\\';
        re += c;
      }
    }
    pos = end + 1;
  }
  return std::regex(re, std::regex::ECMAScript);
}

void Router(std::string_view in) {
  if (in.find('\0') != std::string_view::npos) return;
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= in.size() && lines.size() < 48) {
    size_t nl = in.find('\n', pos);
    if (nl == std::string_view::npos) nl = in.size();
    lines.emplace_back(in.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.size() < 2) return;
  auto split = [](const std::string& line, std::string* method, std::string* path) {
    size_t sp = line.find(' ');
    if (sp == std::string::npos || line.size() > 200) return false;
    *method = line.substr(0, sp);
    *path = line.substr(sp + 1);
    return !method->empty();
  };
  std::string method, path;
  if (!split(lines[0], &method, &path)) return;
  RouteTable table;
  std::vector<std::pair<std::string, std::string>> routes;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string m, p;
    if (!split(lines[i], &m, &p)) return;
    table.Add(m, p);
    routes.emplace_back(m, p);
  }
  RouteTable::Match got = table.Find(method, path);

  const std::string want_method = method == "HEAD" ? "GET" : method;
  const std::string norm = Normalise(path);
  std::string allow;
  for (size_t i = 0; i < routes.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(norm, m, PatternRegex(routes[i].second))) continue;
    if (routes[i].first != want_method) {
      if (!allow.empty()) allow += ", ";
      allow += routes[i].first;
      if (routes[i].first == "GET") allow += ", HEAD";
      continue;
    }
    FUZZ_CHECK(got.route && *got.route == i);
    FUZZ_CHECK(got.params.size() + 1 == m.size());
    for (size_t k = 0; k < got.params.size(); ++k) FUZZ_CHECK(got.params[k] == m[k + 1].str());
    return;
  }
  FUZZ_CHECK(!got.route);
  FUZZ_CHECK(got.allow == allow);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 128 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (data[0] % 2 == 0) {
    Head(in, data[1]);
  } else {
    Router(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  }
  return 0;
}
