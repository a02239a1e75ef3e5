// The JSON-RPC bomvault speaks with Tryton (service/tryton.h): each request's body made from
// plain values, and an answer read into a plain result. A result is what Tryton's methods answer:
// an object (preferences), or an array of record ids (search, create) or of records (read), each
// record's members read as the whole number, text, number or list of ids they hold.
// Reading never throws: an answer that is not a JSON-RPC object is kBadAnswer, one carrying an
// "error" is kRpcError, and members of other types read as absent.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bomvault::codec {

// A record's member, or an element of a result array.
struct TrytonValue {
  std::optional<int64_t> integer;  // a whole number (Tryton's record ids)
  std::optional<std::string> text;
  std::optional<std::string> number;  // any number, as its JSON text (quantities)
  // An array: each element's whole number (nullopt for an element of another type).
  std::optional<std::vector<std::optional<int64_t>>> list;
  bool is_object = false;
  std::map<std::string, TrytonValue> members;  // an object's members
  // The member of an object, or an empty value.
  const TrytonValue& operator[](const std::string& name) const;
};

struct TrytonResult {
  bool is_object = false;
  std::optional<std::vector<TrytonValue>> items;  // when the result is an array
};

enum class TrytonAnswerError {
  kBadAnswer,  // not a JSON object, or no "result"
  kRpcError,   // a non-null "error"
};

std::variant<TrytonResult, TrytonAnswerError> DecodeTrytonAnswer(std::string_view body);

// Requests: {"id", "method", "params"}.
// model.res.user.get_preferences(true, {}).
std::string TrytonPreferencesCall(int64_t call_id);
// model.<model>.search([[field, "=", value]], 0, 1, null, {}).
std::string TrytonSearchCall(int64_t call_id, std::string_view model, std::string_view field,
                             const std::variant<int64_t, std::string>& value);
// model.<model>.read(ids, fields, {}).
std::string TrytonReadCall(int64_t call_id, std::string_view model, const std::vector<int64_t>& ids,
                           const std::vector<std::string>& fields);
// model.product.template.create([{name, code, type: "goods", default_uom, products: one}], {}).
std::string TrytonCreateTemplateCall(int64_t call_id, std::string_view name, std::string_view code,
                                     int64_t default_uom);

// A production.bom's input or output line.
struct TrytonBomLine {
  int64_t product = 0;
  double quantity = 0;
  int64_t uom = 0;
};
// model.production.bom.create([{name, inputs: [["create", ...]], outputs: ...}], {}).
std::string TrytonCreateBomCall(int64_t call_id, std::string_view name,
                                const std::vector<TrytonBomLine>& inputs,
                                const std::vector<TrytonBomLine>& outputs);
// model.production.bom.write([bom], {name, inputs: [["delete", old], ["create", ...]], ...}, {}).
std::string TrytonWriteBomCall(int64_t call_id, int64_t bom, std::string_view name,
                               const std::vector<int64_t>& old_inputs,
                               const std::vector<int64_t>& old_outputs,
                               const std::vector<TrytonBomLine>& inputs,
                               const std::vector<TrytonBomLine>& outputs);
// model.product.product-production.bom.create([{product, bom}], {}).
std::string TrytonLinkBomCall(int64_t call_id, int64_t product, int64_t bom);

// A bomvault quantity (canonical decimal text) as the number Tryton takes; nullopt when the text
// is not a JSON number.
std::optional<double> TrytonQuantity(std::string_view quantity);

}  // namespace bomvault::codec
