// RouteTable: how bomvault maps a request's method and path to one registered route, in one pass
// over split segments (httplib's own router tries a std::regex per route, which measured as the
// largest single cost of a small GET). Pure: no sockets, no httplib, so it is fuzzed on its own
// (fuzz/fuzz_http_head.cc).
//
// Invariants:
//  * Paths are split on '/', empty segments dropped: "/api//v1/" reads as "/api/v1".
//  * A pattern segment "{name}" matches one non-empty segment, which becomes a parameter (in
//    order); every other segment matches itself exactly, byte for byte.
//  * The first registered route whose segments match and whose method equals the request's wins;
//    HEAD is matched as GET. If routes match the path but none the method, `allow` lists their
//    methods (a GET adds ", HEAD") for a 405; if none match the path, it is a 404.
// Thread-safety: Add() before use; Find() is const and may run on any number of threads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bomvault::http {

std::vector<std::string> SplitPath(std::string_view path);

class RouteTable {
 public:
  // Registers a route; its index is the registration order.
  size_t Add(std::string_view method, std::string_view path);

  struct Match {
    std::optional<size_t> route;      // the route's index, if one matched path and method
    std::vector<std::string> params;  // its "{…}" segments' values, in order
    std::string allow;                // no route: the methods the path takes ("" = 404)
  };
  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Entry {
    std::string method;
    std::vector<std::string> segments;  // "{…}" marks a parameter
  };
  std::vector<Entry> entries_;
};

}  // namespace bomvault::http
