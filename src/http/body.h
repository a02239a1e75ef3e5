// Request bodies, each declared once. A BodySpec<T> lists a body type's members: for each its
// name, the member of T it fills, whether it is required, and what it accepts. From that one list
// ParseBody fills a T from the request's JSON object and BodySchema writes the JSON Schema that
// /api/v1/openapi.json publishes under the spec's name, so what is documented is what is parsed.
// Api::Route(spec, body, handler) (http/api.h) reads and parses the body before the handler runs
// and hands the handler the T; route files take no JSON body any other way (tests/layers.py).
//
// The refusals, all 400 with the Error schema: "invalid_json" (not a JSON object), "missing_field"
// (a required member absent or null), "invalid_field" or the field's own code (wrong type, out of
// range, not one of the allowed values), "unknown_field" (a member a closed body does not have).
// A member that is null is absent: a client that sends every field, null where it has none, is
// served as one that leaves them out. A body whose shape is richer than members of fixed types
// (a source's settings, a credential) names a whole-body parser and its schema instead.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "util/status.h"

namespace bomvault::http {

enum class Need { kOptional, kRequired };

// One member of a body: its JSON Schema, and how a present, non-null value is read into T.
template <class T>
struct BodyField {
  std::string name;
  Need need = Need::kOptional;
  nlohmann::json schema;
  std::function<util::Status(const nlohmann::json& value, T& out)> read;
};

template <class T>
struct BodySpec {
  const char* name;  // its key in components/schemas
  size_t max_bytes;  // a larger body is 413
  std::vector<BodyField<T>> fields = {};
  // A member not in `fields` is refused (unknown_field) and the schema says
  // additionalProperties: false. Open bodies ignore what they do not know.
  bool closed = false;
  // The T the members are read into (T{} when unset): defaults that are not T's own.
  std::function<T()> initial = nullptr;
  // Instead of `fields`: the body parsed whole, and its schema.
  std::function<util::Result<T>(const nlohmann::json& body)> whole_parser = nullptr;
  std::function<nlohmann::json()> whole_schema = nullptr;
};

// A route that reads nothing from its body ("Empty": no body at all is {} too).
struct NoFields {};

namespace body_detail {

util::Status Refuse(const std::string& code, const std::string& name, const char* what);
nlohmann::json Nullable(nlohmann::json schema, Need need);
nlohmann::json StringSchema(size_t min_len, size_t max_len);
// The number of UTF-8 code points in `s` (JSON Schema's minLength and maxLength count those).
size_t CodePoints(const std::string& s);

template <class M>
struct IsOptional : std::false_type {};
template <class M>
struct IsOptional<std::optional<M>> : std::true_type {};

}  // namespace body_detail

// A string member (std::string or std::optional<std::string>), at least min_len and, when
// max_len is not 0, at most max_len characters; a string of another length is refused with
// `length_code`, anything but a string with "invalid_field".
template <class T, class M>
BodyField<T> Text(const char* name, M T::*member, Need need, size_t min_len = 0, size_t max_len = 0,
                  const char* length_code = "invalid_field") {
  return {name, need, body_detail::Nullable(body_detail::StringSchema(min_len, max_len), need),
          [=](const nlohmann::json& v, T& out) -> util::Status {
            if (!v.is_string()) return body_detail::Refuse("invalid_field", name, "a string");
            const auto& s = v.get_ref<const std::string&>();
            const size_t n = body_detail::CodePoints(s);
            if (n < min_len || (max_len != 0 && n > max_len)) {
              return body_detail::Refuse(
                  length_code, name,
                  ("between " + std::to_string(min_len) + " and " +
                   (max_len != 0 ? std::to_string(max_len) : std::string("any number of")) +
                   " characters")
                      .c_str());
            }
            out.*member = s;
            return util::Status::Ok();
          }};
}

// A string that is one of `values`; any other is refused with `code` ("invalid_role").
template <class T, class M>
BodyField<T> Choice(const char* name, M T::*member, Need need,
                    std::initializer_list<const char*> values, const char* code = "invalid_field") {
  std::vector<std::string> allowed(values.begin(), values.end());
  nlohmann::json schema = {{"type", "string"}, {"enum", allowed}};
  std::string list;
  for (const auto& v : allowed) list += (list.empty() ? "" : ", ") + v;
  return {name, need, body_detail::Nullable(std::move(schema), need),
          [=](const nlohmann::json& v, T& out) -> util::Status {
            if (v.is_string()) {
              for (const auto& a : allowed) {
                if (v.get_ref<const std::string&>() == a) {
                  out.*member = a;
                  return util::Status::Ok();
                }
              }
            }
            return body_detail::Refuse(code, name, ("one of " + list).c_str());
          }};
}

// A boolean member (bool or std::optional<bool>).
template <class T, class M>
BodyField<T> Flag(const char* name, M T::*member, Need need) {
  return {name, need, body_detail::Nullable({{"type", "boolean"}}, need),
          [=](const nlohmann::json& v, T& out) -> util::Status {
            if (!v.is_boolean()) return body_detail::Refuse("invalid_field", name, "true or false");
            out.*member = v.get<bool>();
            return util::Status::Ok();
          }};
}

// A whole number in [lo, hi] (any integral member, or std::optional of one); else `code`.
template <class T, class M>
BodyField<T> Whole(const char* name, M T::*member, Need need, int64_t lo, int64_t hi,
                   const char* code = "invalid_field") {
  return {
      name, need,
      body_detail::Nullable({{"type", "integer"}, {"minimum", lo}, {"maximum", hi}}, need),
      [=](const nlohmann::json& v, T& out) -> util::Status {
        // A JSON number without a sign parses as unsigned: compared as such, never wrapped.
        bool in_range = false;
        if (v.is_number_unsigned()) {
          const uint64_t u = v.get<uint64_t>();
          in_range = hi >= 0 && u <= uint64_t(hi) && (lo <= 0 || u >= uint64_t(lo));
        } else if (v.is_number_integer()) {
          const int64_t n = v.get<int64_t>();
          in_range = n >= lo && n <= hi;
        }
        if (in_range) {
          if constexpr (body_detail::IsOptional<M>::value) {
            out.*member = static_cast<typename M::value_type>(v.get<int64_t>());
          } else {
            out.*member = static_cast<M>(v.get<int64_t>());
          }
          return util::Status::Ok();
        }
        return body_detail::Refuse(
            code, name,
            ("a whole number from " + std::to_string(lo) + " to " + std::to_string(hi)).c_str());
      }};
}

// An array of at most max_items strings (std::vector<std::string>, or std::optional of one).
template <class T, class M>
BodyField<T> TextList(const char* name, M T::*member, Need need, size_t max_items) {
  return {name, need,
          body_detail::Nullable(
              {{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", max_items}}, need),
          [=](const nlohmann::json& v, T& out) -> util::Status {
            const char* what = "an array of strings";
            if (!v.is_array() || v.size() > max_items) {
              return body_detail::Refuse("invalid_field", name, what);
            }
            std::vector<std::string> list;
            for (const auto& e : v) {
              if (!e.is_string()) return body_detail::Refuse("invalid_field", name, what);
              list.push_back(e.get<std::string>());
            }
            out.*member = std::move(list);
            return util::Status::Ok();
          }};
}

// An object of at most max_items string values (std::map<std::string, std::string>).
template <class T, class M>
BodyField<T> TextMap(const char* name, M T::*member, Need need, size_t max_items) {
  return {name, need,
          body_detail::Nullable({{"type", "object"},
                                 {"additionalProperties", {{"type", "string"}}},
                                 {"maxProperties", max_items}},
                                need),
          [=](const nlohmann::json& v, T& out) -> util::Status {
            const char* what = "an object of strings";
            if (!v.is_object() || v.size() > max_items) {
              return body_detail::Refuse("invalid_field", name, what);
            }
            std::map<std::string, std::string> map;
            for (const auto& [k, e] : v.items()) {
              if (!e.is_string()) return body_detail::Refuse("invalid_field", name, what);
              map.emplace(k, e.template get<std::string>());
            }
            out.*member = std::move(map);
            return util::Status::Ok();
          }};
}

// A member with a shape of its own: `schema` documents it, `parse` reads it (a Result of M).
template <class T, class M, class Parse>
BodyField<T> Nested(const char* name, M T::*member, Need need, nlohmann::json schema, Parse parse) {
  return {name, need, std::move(schema), [=](const nlohmann::json& v, T& out) -> util::Status {
            auto parsed = parse(v);
            if (!parsed.ok()) return parsed.status();
            out.*member = std::move(*parsed);
            return util::Status::Ok();
          }};
}

template <class T>
util::Result<T> ParseBody(const BodySpec<T>& spec, const nlohmann::json& body);
template <class T>
nlohmann::json BodySchema(const BodySpec<T>& spec);

// A member that is itself a body of `spec`'s type, documented inline.
template <class T, class M>
BodyField<T> Object(const char* name, M T::*member, Need need, const BodySpec<M>& spec) {
  return {name, need, BodySchema(spec), [=](const nlohmann::json& v, T& out) -> util::Status {
            if (!v.is_object()) return body_detail::Refuse("invalid_field", name, "an object");
            auto parsed = ParseBody(spec, v);
            if (!parsed.ok()) return parsed.status();
            out.*member = std::move(*parsed);
            return util::Status::Ok();
          }};
}

template <class T>
util::Result<T> ParseBody(const BodySpec<T>& spec, const nlohmann::json& body) {
  if (!body.is_object()) {
    return util::Status::Invalid("invalid_json", "the request body must be a JSON object");
  }
  if (spec.whole_parser) return spec.whole_parser(body);
  if (spec.closed) {
    for (const auto& [key, value] : body.items()) {
      bool known = false;
      for (const auto& f : spec.fields) known = known || f.name == key;
      if (!known) return body_detail::Refuse("unknown_field", key, nullptr);
    }
  }
  T out = spec.initial ? spec.initial() : T{};
  for (const auto& f : spec.fields) {
    auto it = body.find(f.name);
    if (it == body.end() || it->is_null()) {
      if (f.need == Need::kRequired) return body_detail::Refuse("missing_field", f.name, nullptr);
      continue;
    }
    util::Status st = f.read(*it, out);
    if (!st.ok()) return st;
  }
  return out;
}

template <class T>
nlohmann::json BodySchema(const BodySpec<T>& spec) {
  if (spec.whole_schema) return spec.whole_schema();
  nlohmann::json properties = nlohmann::json::object();
  nlohmann::json required = nlohmann::json::array();
  for (const auto& f : spec.fields) {
    properties[f.name] = f.schema;
    if (f.need == Need::kRequired) required.push_back(f.name);
  }
  nlohmann::json schema = {{"type", "object"}, {"properties", properties}};
  if (!required.empty()) schema["required"] = required;
  if (spec.closed) schema["additionalProperties"] = false;
  return schema;
}

}  // namespace bomvault::http
