#include "codec/tryton.h"

#include <nlohmann/json.hpp>

namespace bomvault::codec {

using nlohmann::json;

namespace {

std::optional<int64_t> IdOf(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

// Depth-limited: Tryton's answers nest records in a result array, ids in a record's member.
TrytonValue ValueOf(const json& v, int depth) {
  TrytonValue out;
  out.integer = IdOf(v);
  if (v.is_string()) out.text = v.get<std::string>();
  if (v.is_number()) out.number = v.dump();
  if (v.is_array()) {
    out.list.emplace();
    for (const auto& e : v) out.list->push_back(IdOf(e));
  }
  if (v.is_object() && depth > 0) {
    out.is_object = true;
    for (const auto& item : v.items()) out.members[item.key()] = ValueOf(item.value(), depth - 1);
  }
  return out;
}

std::string CallBody(int64_t call_id, std::string_view method, json params) {
  return json{{"id", call_id}, {"method", method}, {"params", std::move(params)}}.dump();
}

json Lines(const std::vector<TrytonBomLine>& lines) {
  json out = json::array();
  for (const auto& l : lines) {
    out.push_back({{"product", l.product}, {"quantity", l.quantity}, {"uom", l.uom}});
  }
  return out;
}

}  // namespace

const TrytonValue& TrytonValue::operator[](const std::string& name) const {
  static const TrytonValue kEmpty;
  auto it = members.find(name);
  return it == members.end() ? kEmpty : it->second;
}

std::variant<TrytonResult, TrytonAnswerError> DecodeTrytonAnswer(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_object()) return TrytonAnswerError::kBadAnswer;
  if (j.contains("error") && !j["error"].is_null()) return TrytonAnswerError::kRpcError;
  if (!j.contains("result")) return TrytonAnswerError::kBadAnswer;
  const json& r = j["result"];
  TrytonResult out;
  out.is_object = r.is_object();
  if (r.is_array()) {
    out.items.emplace();
    for (const auto& e : r) out.items->push_back(ValueOf(e, 1));
  }
  return out;
}

std::string TrytonPreferencesCall(int64_t call_id) {
  return CallBody(call_id, "model.res.user.get_preferences", {true, json::object()});
}

std::string TrytonSearchCall(int64_t call_id, std::string_view model, std::string_view field,
                             const std::variant<int64_t, std::string>& value) {
  json v = std::holds_alternative<int64_t>(value) ? json(std::get<int64_t>(value))
                                                  : json(std::get<std::string>(value));
  return CallBody(
      call_id, "model." + std::string(model) + ".search",
      {json::array({json::array({field, "=", std::move(v)})}), 0, 1, nullptr, json::object()});
}

std::string TrytonReadCall(int64_t call_id, std::string_view model, const std::vector<int64_t>& ids,
                           const std::vector<std::string>& fields) {
  return CallBody(call_id, "model." + std::string(model) + ".read", {ids, fields, json::object()});
}

std::string TrytonCreateTemplateCall(int64_t call_id, std::string_view name, std::string_view code,
                                     int64_t default_uom) {
  json tmpl = {{"name", name},
               {"code", code},
               {"type", "goods"},
               {"default_uom", default_uom},
               {"products", json::array({json::array({"create", json::array({json::object()})})})}};
  return CallBody(call_id, "model.product.template.create",
                  {json::array({std::move(tmpl)}), json::object()});
}

std::string TrytonCreateBomCall(int64_t call_id, std::string_view name,
                                const std::vector<TrytonBomLine>& inputs,
                                const std::vector<TrytonBomLine>& outputs) {
  json values = {{"name", name},
                 {"inputs", json::array({json::array({"create", Lines(inputs)})})},
                 {"outputs", json::array({json::array({"create", Lines(outputs)})})}};
  return CallBody(call_id, "model.production.bom.create",
                  {json::array({std::move(values)}), json::object()});
}

std::string TrytonWriteBomCall(int64_t call_id, int64_t bom, std::string_view name,
                               const std::vector<int64_t>& old_inputs,
                               const std::vector<int64_t>& old_outputs,
                               const std::vector<TrytonBomLine>& inputs,
                               const std::vector<TrytonBomLine>& outputs) {
  json values = {{"name", name},
                 {"inputs", json::array({json::array({"delete", old_inputs}),
                                         json::array({"create", Lines(inputs)})})},
                 {"outputs", json::array({json::array({"delete", old_outputs}),
                                          json::array({"create", Lines(outputs)})})}};
  return CallBody(call_id, "model.production.bom.write",
                  {json::array({bom}), std::move(values), json::object()});
}

std::string TrytonLinkBomCall(int64_t call_id, int64_t product, int64_t bom) {
  return CallBody(call_id, "model.product.product-production.bom.create",
                  {json::array({{{"product", product}, {"bom", bom}}}), json::object()});
}

std::optional<double> TrytonQuantity(std::string_view quantity) {
  auto q = json::parse(quantity, nullptr, false);
  if (!q.is_number()) return std::nullopt;
  return q.get<double>();
}

}  // namespace bomvault::codec
