#include "http/router.h"

namespace bomvault::http {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

size_t RouteTable::Add(std::string_view method, std::string_view path) {
  entries_.push_back(Entry{std::string(method), SplitPath(path)});
  return entries_.size() - 1;
}

RouteTable::Match RouteTable::Find(std::string_view method_in, std::string_view path) const {
  Match m;
  std::vector<std::string> segments = SplitPath(path);
  // HEAD is answered wherever GET is, by the GET handler (httplib sends the head only).
  const std::string_view method = method_in == "HEAD" ? std::string_view("GET") : method_in;
  for (size_t r = 0; r < entries_.size(); ++r) {
    const Entry& e = entries_[r];
    if (e.segments.size() != segments.size()) continue;
    std::vector<std::string> params;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& want = e.segments[i];
      if (!want.empty() && want.front() == '{') {
        if (segments[i].empty())
          match = false;
        else
          params.push_back(segments[i]);
      } else {
        match = want == segments[i];
      }
    }
    if (!match) continue;
    if (method != e.method) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += e.method;
      if (e.method == "GET") m.allow += ", HEAD";
      continue;
    }
    m.route = r;
    m.params = std::move(params);
    return m;
  }
  return m;
}

}  // namespace bomvault::http
