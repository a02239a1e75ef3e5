#include "bom/json_body.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <new>
#include <utility>

#include "bom/decimal.h"
#include "bom/tree.h"

namespace bomvault::bom {
namespace {

using nlohmann::json;
using util::Status;

// The shortest item that can be valid, {"ref":1,"part_number":1,"quantity":1}, is 38 bytes.
constexpr size_t kMinItemBytes = 38;

Status NotJson() { return Status::Invalid("invalid_json", "the request body is not valid JSON"); }

// One scalar JSON value as the SAX callbacks deliver it. `text` is the string's contents, an
// integer's decimal text or a float's exact lexeme; strings may be moved out of it.
struct Scalar {
  enum Kind : uint8_t { kNull, kBool, kInteger, kUnsigned, kFloat, kString } kind;
  std::string* text = nullptr;
  bool boolean = false;
  int64_t integer = 0;
  uint64_t unsigned_integer = 0;
  double number = 0;

  // The value as nlohmann would dump it: what the DOM path stored for a numeric property.
  std::string JsonText() const {
    switch (kind) {
      case kBool:
        return boolean ? "true" : "false";
      case kFloat:
        return json(number).dump();
      default:
        return *text;  // integers: std::to_string is exactly dump()
    }
  }
};

// Where the value after a key of the top-level object goes.
enum class RootSlot : uint8_t { kIgnore, kName, kMetadata, kSource, kItems };

// The item fields, in the order the DOM path checked them (text fields, quantity, properties).
enum ItemField : uint8_t {
  kRef,
  kParent,
  kFindNumber,
  kPartNumber,
  kDescription,
  kUnit,
  kRefdes,
  kTextFields,  // count of the above
  kQuantity = kTextFields,
  kProperties,
  kManufacturers,
  kDnp,
  kIgnoredField,
};

struct TextFieldSpec {
  std::string_view name;
  std::string Item::*member;
  bool required;
};
constexpr std::array<TextFieldSpec, kTextFields> kTextFieldSpecs = {{
    {"ref", &Item::ref, true},
    {"parent", &Item::parent, false},
    {"find_number", &Item::find_number, false},
    {"part_number", &Item::part_number, true},
    {"description", &Item::description, false},
    {"unit", &Item::unit, false},
    {"refdes", &Item::refdes, false},
}};

ItemField FieldFor(std::string_view key) {
  for (size_t i = 0; i < kTextFields; ++i) {
    if (key == kTextFieldSpecs[i].name) return static_cast<ItemField>(i);
  }
  if (key == "quantity") return kQuantity;
  if (key == "properties") return kProperties;
  if (key == "manufacturers") return kManufacturers;
  if (key == "dnp") return kDnp;
  return kIgnoredField;
}

// What the last occurrence of a key held. Checks wait for the end of the enclosing object
// because with duplicate keys only the last occurrence counts, as in a DOM.
enum class Seen : uint8_t { kAbsent, kNull, kValue, kWrongType };

// One property as written, before the DOM's rules (last duplicate wins, key order) are applied.
struct RawProperty {
  std::string key;  // as written, not yet normalised
  std::string value;
  enum Kind : uint8_t { kText, kNull, kWrongType } kind;
};

// An item while its object is being read.
struct ItemDraft {
  Item item;
  std::array<Seen, kTextFields> text{};
  Seen quantity = Seen::kAbsent;
  bool quantity_is_string = false;
  std::string quantity_text;  // the string, or the number's lexeme
  Seen properties = Seen::kAbsent;
  std::vector<RawProperty> raw_properties;
  bool makers_wrong = false;  // "manufacturers" not an array of {name, mpn} text objects
  bool dnp_wrong = false;     // "dnp" neither a boolean nor null

  void Reset() {
    makers_wrong = false;
    dnp_wrong = false;
    item = Item();
    text.fill(Seen::kAbsent);
    quantity = Seen::kAbsent;
    quantity_text.clear();
    properties = Seen::kAbsent;
    raw_properties.clear();
  }
};

// The SAX handler. Every container pushes a Frame; skipped values (unknown keys, values of the
// wrong type, items after the first bad one) push kSkip frames, so nothing is built for them.
class BodyHandler {
 public:
  // Items get capacity for the most the body could hold, up to max_items: a vector grown by
  // doubling moves each item once more on average and briefly holds 1.5 times its final size.
  // Capacity never written is never made resident (glibc serves blocks this large with mmap),
  // so over-estimating costs address space, not memory.
  BodyHandler(const Limits& limits, size_t body_size)
      : limits_(limits), item_capacity_(std::min(limits.max_items, body_size / kMinItemBytes)) {}

  // ---- nlohmann SAX interface ----
  bool null() { return OnScalar(Scalar{Scalar::kNull}); }
  bool boolean(bool value) {
    Scalar s{Scalar::kBool};
    s.boolean = value;
    return OnScalar(s);
  }
  bool number_integer(json::number_integer_t value) {
    number_text_ = std::to_string(value);
    Scalar s{Scalar::kInteger, &number_text_};
    s.integer = value;
    return OnScalar(s);
  }
  bool number_unsigned(json::number_unsigned_t value) {
    number_text_ = std::to_string(value);
    Scalar s{Scalar::kUnsigned, &number_text_};
    s.unsigned_integer = value;
    return OnScalar(s);
  }
  bool number_float(json::number_float_t value, const std::string& lexeme) {
    number_text_ = lexeme;
    Scalar s{Scalar::kFloat, &number_text_};
    s.number = value;
    return OnScalar(s);
  }
  bool string(std::string& value) { return OnScalar(Scalar{Scalar::kString, &value}); }
  bool binary(json::binary_t&) { return true; }  // never produced by the JSON text parser
  bool start_object(size_t) { return OnStart(/*object=*/true); }
  bool start_array(size_t) { return OnStart(/*object=*/false); }
  bool end_object() { return OnEnd(); }
  bool end_array() { return OnEnd(); }
  bool key(std::string& key);
  bool parse_error(size_t, const std::string&, const json::exception&) {
    syntax_error_ = true;
    return false;
  }

  // The outcome once sax_parse has returned `parsed`.
  util::Result<BomBody> Finish(bool parsed);

 private:
  enum class Frame : uint8_t {
    kRoot,
    kItems,
    kItem,
    kProperties,
    kMakers,  // an item's "manufacturers" array
    kMaker,   // one {name, mpn} object in it
    kMetadata,
    kSkip
  };

  bool OnScalar(const Scalar& value);
  bool OnStart(bool object);
  bool OnEnd();
  bool Abort(Status status) {
    abort_ = std::move(status);
    return false;
  }
  // Counts an element of the items array; false (aborting) beyond limits.max_items.
  bool CountItem();
  void ItemError(Status status) {
    if (item_error_.ok()) item_error_ = std::move(status);
  }
  std::string Where() const { return "items[" + std::to_string(item_count_ - 1) + "]"; }
  void RootScalar(const Scalar& value);
  void ItemScalar(const Scalar& value);
  void PropertyScalar(const Scalar& value);
  // Adds a value to the open metadata container; `bytes` is at most its dump() length.
  bool MetadataAdd(json value, size_t bytes);
  void FinishItem();
  Status FinishProperties();

  const Limits& limits_;
  const size_t item_capacity_;
  std::vector<Frame> frames_;
  bool not_object_ = false;  // the top-level value is not an object
  bool syntax_error_ = false;
  Status abort_;  // a bound that stopped parsing
  std::string number_text_;

  RootSlot root_slot_ = RootSlot::kIgnore;
  Seen name_ = Seen::kAbsent;
  std::string name_text_;
  Seen source_ = Seen::kAbsent;
  std::string source_text_;
  Seen metadata_ = Seen::kAbsent;
  json metadata_value_;
  std::vector<json*> metadata_stack_;  // open containers, innermost last
  std::string metadata_key_;
  // A lower bound of metadata_value_.dump().size() (separators and escapes are not counted), so
  // an oversized object is refused while it streams in, before it is built whole.
  size_t metadata_bytes_ = 0;
  Seen items_ = Seen::kAbsent;
  std::vector<Item> items_value_;
  size_t item_count_ = 0;  // elements seen in the current items array
  Status item_error_;      // the first bad item of the current items array
  ItemField item_field_ = kIgnoredField;
  ItemDraft draft_;
  std::string property_key_;
  std::string maker_key_;
};

bool BodyHandler::key(std::string& key) {
  switch (frames_.back()) {
    case Frame::kRoot:
      root_slot_ = key == "name"       ? RootSlot::kName
                   : key == "metadata" ? RootSlot::kMetadata
                   : key == "source"   ? RootSlot::kSource
                   : key == "items"    ? RootSlot::kItems
                                       : RootSlot::kIgnore;
      return true;
    case Frame::kItem:
      item_field_ = FieldFor(key);
      return true;
    case Frame::kProperties:
      property_key_ = key;
      return true;
    case Frame::kMaker:
      maker_key_ = key;
      return true;
    case Frame::kMetadata:
      metadata_bytes_ += key.size() + 3;  // "key":
      metadata_key_ = key;
      return true;
    default:
      return true;
  }
}

bool BodyHandler::CountItem() {
  if (++item_count_ > limits_.max_items) {
    return Abort(Status::Invalid("bom_too_many_items", "the BOM has more than " +
                                                           std::to_string(limits_.max_items) +
                                                           " items, which is the limit"));
  }
  return true;
}

bool BodyHandler::OnScalar(const Scalar& value) {
  if (frames_.empty()) {
    not_object_ = true;
    return true;
  }
  switch (frames_.back()) {
    case Frame::kRoot:
      RootScalar(value);
      return true;
    case Frame::kItems:
      if (!CountItem()) return false;
      ItemError(Status::Invalid("invalid_item", Where() + " must be an object"));
      return true;
    case Frame::kItem:
      ItemScalar(value);
      return true;
    case Frame::kProperties:
      // Each entry costs ~70 bytes of memory for as little as 6 of body ("a":1,), duplicates
      // included: stop at twice what any valid item may have.
      if (draft_.raw_properties.size() >= 2 * limits_.max_properties) {
        return Abort(Status::Invalid(
            "invalid_item",
            Where() + " has more than " + std::to_string(limits_.max_properties) + " properties"));
      }
      PropertyScalar(value);
      return true;
    case Frame::kMetadata:
      switch (value.kind) {
        case Scalar::kNull:
          return MetadataAdd(json(nullptr), 4);
        case Scalar::kBool:
          return MetadataAdd(json(value.boolean), 4);
        case Scalar::kInteger:
          return MetadataAdd(json(value.integer), 1);
        case Scalar::kUnsigned:
          return MetadataAdd(json(value.unsigned_integer), 1);
        case Scalar::kFloat:
          return MetadataAdd(json(value.number), 1);
        case Scalar::kString: {
          const size_t bytes = value.text->size() + 2;
          return MetadataAdd(json(std::move(*value.text)), bytes);
        }
      }
      return true;
    case Frame::kMakers:
      draft_.makers_wrong = true;
      return true;
    case Frame::kMaker:
      if (value.kind == Scalar::kString) {
        Manufacturer& m = draft_.item.manufacturers.back();
        if (maker_key_ == "name") m.name.assign(*value.text);
        if (maker_key_ == "mpn") m.mpn.assign(*value.text);
      } else if (value.kind != Scalar::kNull) {
        draft_.makers_wrong = true;
      }
      return true;
    case Frame::kSkip:
      return true;
  }
  return true;
}

void BodyHandler::RootScalar(const Scalar& value) {
  const bool is_null = value.kind == Scalar::kNull;
  const bool is_string = value.kind == Scalar::kString;
  switch (root_slot_) {
    case RootSlot::kName:
      name_ = is_null ? Seen::kNull : is_string ? Seen::kValue : Seen::kWrongType;
      if (is_string) name_text_ = std::move(*value.text);
      break;
    case RootSlot::kSource:
      source_ = is_null ? Seen::kNull : is_string ? Seen::kValue : Seen::kWrongType;
      if (is_string) source_text_ = std::move(*value.text);
      break;
    case RootSlot::kMetadata:
      // null stands for an empty object, as it did in the DOM path (a change to {}).
      metadata_ = is_null ? Seen::kNull : Seen::kWrongType;
      metadata_value_ = json();
      break;
    case RootSlot::kItems:
      items_ = Seen::kWrongType;
      items_value_ = std::vector<Item>();
      item_error_ = Status::Ok();
      break;
    case RootSlot::kIgnore:
      break;
  }
}

void BodyHandler::ItemScalar(const Scalar& value) {
  if (item_field_ < kTextFields) {
    std::string& out = draft_.item.*kTextFieldSpecs[item_field_].member;
    Seen& seen = draft_.text[item_field_];
    switch (value.kind) {
      case Scalar::kNull:
        seen = Seen::kNull;
        out.clear();
        break;
      case Scalar::kString:
      case Scalar::kInteger:
      case Scalar::kUnsigned:
        seen = Seen::kValue;
        out.assign(*value.text);
        break;
      default:
        seen = Seen::kWrongType;
        out.clear();
        break;
    }
  } else if (item_field_ == kQuantity) {
    if (value.kind == Scalar::kNull || value.kind == Scalar::kBool) {
      draft_.quantity = Seen::kWrongType;
    } else {
      draft_.quantity = Seen::kValue;
      draft_.quantity_is_string = value.kind == Scalar::kString;
      draft_.quantity_text.assign(*value.text);
    }
  } else if (item_field_ == kProperties) {
    draft_.properties = value.kind == Scalar::kNull ? Seen::kNull : Seen::kWrongType;
    draft_.raw_properties.clear();
  } else if (item_field_ == kManufacturers) {
    draft_.item.manufacturers.clear();
    draft_.makers_wrong = value.kind != Scalar::kNull;
  } else if (item_field_ == kDnp) {
    draft_.dnp_wrong = value.kind != Scalar::kNull && value.kind != Scalar::kBool;
    draft_.item.dnp = value.kind == Scalar::kBool && value.boolean;
  }
}

void BodyHandler::PropertyScalar(const Scalar& value) {
  RawProperty p{std::move(property_key_), {}, RawProperty::kText};
  if (value.kind == Scalar::kNull) {
    p.kind = RawProperty::kNull;
  } else if (value.kind == Scalar::kString) {
    p.value.assign(*value.text);
  } else {
    p.value = value.JsonText();
  }
  draft_.raw_properties.push_back(std::move(p));
}

bool BodyHandler::MetadataAdd(json value, size_t bytes) {
  metadata_bytes_ += bytes;
  if (metadata_bytes_ > kMaxMetadataBytes) {
    return Abort(Status::Invalid(
        "invalid_metadata",
        "\"metadata\" is larger than " + std::to_string(kMaxMetadataBytes / 1024) + " KiB"));
  }
  json& parent = *metadata_stack_.back();
  if (parent.is_object()) {
    parent[metadata_key_] = std::move(value);  // a duplicate key overwrites, as in a DOM
  } else {
    parent.push_back(std::move(value));
  }
  return true;
}

bool BodyHandler::OnStart(bool object) {
  if (frames_.size() >= kMaxBodyDepth) {
    return Abort(Status::Invalid(
        "invalid_json",
        "the request body is nested more than " + std::to_string(kMaxBodyDepth) + " levels deep"));
  }
  if (frames_.empty()) {
    if (!object) not_object_ = true;
    frames_.push_back(object ? Frame::kRoot : Frame::kSkip);
    return true;
  }
  Frame next = Frame::kSkip;
  switch (frames_.back()) {
    case Frame::kRoot:
      switch (root_slot_) {
        case RootSlot::kName:
          name_ = Seen::kWrongType;
          break;
        case RootSlot::kSource:
          source_ = Seen::kWrongType;
          break;
        case RootSlot::kMetadata:
          metadata_value_ = json();
          if (object) {
            metadata_ = Seen::kValue;
            metadata_value_ = json::object();
            metadata_stack_.assign(1, &metadata_value_);
            metadata_bytes_ = 2;
            next = Frame::kMetadata;
          } else {
            metadata_ = Seen::kWrongType;
          }
          break;
        case RootSlot::kItems:
          // A later "items" replaces an earlier one entirely, errors included.
          items_value_ = std::vector<Item>();
          item_count_ = 0;
          item_error_ = Status::Ok();
          if (object) {
            items_ = Seen::kWrongType;
          } else {
            items_ = Seen::kValue;
            items_value_.reserve(item_capacity_);
            next = Frame::kItems;
          }
          break;
        case RootSlot::kIgnore:
          break;
      }
      break;
    case Frame::kItems:
      if (!CountItem()) return false;
      if (!object) {
        ItemError(Status::Invalid("invalid_item", Where() + " must be an object"));
      } else if (item_error_.ok()) {  // after a bad item the rest are only checked as JSON
        draft_.Reset();
        next = Frame::kItem;
      }
      break;
    case Frame::kItem:
      if (item_field_ < kTextFields) {
        draft_.text[item_field_] = Seen::kWrongType;
        (draft_.item.*kTextFieldSpecs[item_field_].member).clear();
      } else if (item_field_ == kQuantity) {
        draft_.quantity = Seen::kWrongType;
      } else if (item_field_ == kProperties) {
        draft_.raw_properties.clear();
        draft_.properties = object ? Seen::kValue : Seen::kWrongType;
        if (object) next = Frame::kProperties;
      } else if (item_field_ == kManufacturers) {
        draft_.item.manufacturers.clear();
        draft_.makers_wrong = object;
        if (!object) next = Frame::kMakers;
      } else if (item_field_ == kDnp) {
        draft_.dnp_wrong = true;
      }
      break;
    case Frame::kMakers:
      if (!object) {
        draft_.makers_wrong = true;
        break;
      }
      // Bounded while streaming, like properties: twice what a valid item may have.
      if (draft_.item.manufacturers.size() >= 2 * limits_.max_manufacturers) {
        return Abort(Status::Invalid("invalid_item", Where() + " has more than " +
                                                         std::to_string(limits_.max_manufacturers) +
                                                         " manufacturers"));
      }
      draft_.item.manufacturers.emplace_back();
      maker_key_.clear();
      next = Frame::kMaker;
      break;
    case Frame::kMaker:
      draft_.makers_wrong = true;
      break;
    case Frame::kProperties:
      draft_.raw_properties.push_back(
          RawProperty{std::move(property_key_), {}, RawProperty::kWrongType});
      break;
    case Frame::kMetadata: {
      if (metadata_stack_.size() >= kMaxMetadataDepth) {
        return Abort(Status::Invalid("invalid_metadata", "\"metadata\" is nested more than " +
                                                             std::to_string(kMaxMetadataDepth) +
                                                             " levels deep"));
      }
      if (!MetadataAdd(object ? json::object() : json::array(), 2)) return false;
      json& parent = *metadata_stack_.back();
      metadata_stack_.push_back(parent.is_object() ? &parent[metadata_key_] : &parent.back());
      next = Frame::kMetadata;
      break;
    }
    case Frame::kSkip:
      break;
  }
  frames_.push_back(next);
  return true;
}

bool BodyHandler::OnEnd() {
  const Frame frame = frames_.back();
  frames_.pop_back();
  switch (frame) {
    case Frame::kItem:
      FinishItem();
      break;
    case Frame::kMetadata:
      metadata_stack_.pop_back();
      break;
    default:
      break;
  }
  return true;
}

// Applies the DOM's rules to the raw properties: a duplicate key keeps its last value, and
// properties come out in the std::map order of their keys as written.
Status BodyHandler::FinishProperties() {
  std::vector<RawProperty>& raw = draft_.raw_properties;
  const auto by_key = [](const RawProperty& a, const RawProperty& b) { return a.key < b.key; };
  if (!std::is_sorted(raw.begin(), raw.end(), by_key)) {
    std::stable_sort(raw.begin(), raw.end(), by_key);
  }
  std::vector<std::pair<std::string, std::string>>& out = draft_.item.properties;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (i + 1 < raw.size() && raw[i + 1].key == raw[i].key) continue;  // a later one wins
    RawProperty& p = raw[i];
    if (p.kind == RawProperty::kWrongType) {
      return Status::Invalid("invalid_item",
                             Where() + ".properties values must be text or numbers");
    }
    // Keys take the same normal form as CSV column names ("Supplier Name" → supplier_name), so
    // a BOM exports to CSV and back without renaming anything.
    if (p.kind == RawProperty::kText && !p.value.empty()) {
      out.emplace_back(NormalizeColumnName(p.key), std::move(p.value));
    }
  }
  return Status::Ok();
}

void BodyHandler::FinishItem() {
  for (size_t i = 0; i < kTextFields; ++i) {
    const TextFieldSpec& spec = kTextFieldSpecs[i];
    if (draft_.text[i] == Seen::kWrongType) {
      return ItemError(Status::Invalid(
          "invalid_item", Where() + "." + std::string(spec.name) + " must be a string"));
    }
    if (spec.required && draft_.text[i] != Seen::kValue) {
      return ItemError(
          Status::Invalid("invalid_item", Where() + "." + std::string(spec.name) + " is required"));
    }
  }
  if (draft_.quantity != Seen::kValue) {
    return ItemError(Status::Invalid("invalid_item", Where() + ".quantity must be a number"));
  }
  // A number's exact lexeme, exponent and all, so no binary rounding happens; a negative one
  // goes to CanonicalQuantity, whose message says "negative" rather than "not a plain number".
  const std::string& q = draft_.quantity_text;
  util::Result<std::string> canonical = draft_.quantity_is_string || q.starts_with('-')
                                            ? CanonicalQuantity(q)
                                            : CanonicalQuantityFromNumber(q);
  if (!canonical.ok()) {
    return ItemError(Status::Invalid("bom_bad_quantity",
                                     Where() + ".quantity: " + canonical.status().message()));
  }
  draft_.item.quantity = std::move(canonical.value());
  if (draft_.properties == Seen::kWrongType) {
    return ItemError(Status::Invalid("invalid_item", Where() + ".properties must be an object"));
  }
  if (draft_.makers_wrong) {
    return ItemError(Status::Invalid(
        "invalid_item",
        Where() + ".manufacturers must be an array of {\"name\": string, \"mpn\": string}"));
  }
  if (draft_.dnp_wrong) {
    return ItemError(Status::Invalid("invalid_item", Where() + ".dnp must be true or false"));
  }
  if (draft_.properties == Seen::kValue) {
    Status st = FinishProperties();
    if (!st.ok()) return ItemError(std::move(st));
  }
  items_value_.push_back(std::move(draft_.item));
}

util::Result<BomBody> BodyHandler::Finish(bool parsed) {
  if (!abort_.ok()) return abort_;
  if (!parsed || syntax_error_) return NotJson();
  if (not_object_) {
    return Status::Invalid("invalid_json", "the request body must be a JSON object");
  }
  BomBody out;
  if (name_ == Seen::kWrongType) {
    return Status::Invalid("invalid_field", "\"name\" must be a string");
  }
  if (name_ == Seen::kValue) out.name = std::move(name_text_);
  if (metadata_ == Seen::kWrongType) {
    return Status::Invalid("invalid_metadata", "\"metadata\" must be an object");
  }
  if (source_ == Seen::kWrongType) {
    return Status::Invalid("invalid_field", "\"source\" must be a string");
  }
  if (metadata_ != Seen::kAbsent || source_ == Seen::kValue) {
    json meta = metadata_ == Seen::kValue ? std::move(metadata_value_) : json::object();
    if (source_ == Seen::kValue) meta["source"] = std::move(source_text_);
    if (meta.dump().size() > kMaxMetadataBytes) {
      return Status::Invalid(
          "invalid_metadata",
          "\"metadata\" is larger than " + std::to_string(kMaxMetadataBytes / 1024) + " KiB");
    }
    out.metadata = std::move(meta);
    out.metadata_given = metadata_ != Seen::kAbsent;
  }
  if (items_ == Seen::kWrongType) {
    return Status::Invalid("missing_field", "\"items\" must be an array");
  }
  if (!item_error_.ok()) return item_error_;
  if (items_ == Seen::kValue) out.items = std::move(items_value_);
  return out;
}

}  // namespace

util::Result<BomBody> ParseBomBody(std::string_view body, const Limits& limits) {
  if (body.empty()) return BomBody();
  try {
    BodyHandler handler(limits, body.size());
    const bool parsed = json::sax_parse(body.data(), body.data() + body.size(), &handler);
    return handler.Finish(parsed);
  } catch (const std::bad_alloc&) {
    return Status::Internal();
  } catch (const std::exception&) {
    // nlohmann reports syntax errors through parse_error, not by throwing; anything else it
    // might throw is still a body we cannot read.
    return NotJson();
  }
}

}  // namespace bomvault::bom
