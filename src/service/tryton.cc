#include "service/tryton.h"

#include <algorithm>
#include <map>

#include "bom/decimal.h"
#include "util/log.h"

namespace bomvault::service {

using util::Code;
using util::Status;

namespace {

Status Rejected() {
  return Status(Code::kUnprocessable, "source_rejected",
                "Tryton refused the request (check the products, units and your Tryton access "
                "rights)");
}

Status BadAnswer() {
  return Status(Code::kUnprocessable, "source_bad_answer", "Tryton's answer could not be read");
}

// The ids of a list member; elements that are not ids left out.
std::vector<int64_t> IdsOf(const codec::TrytonValue& v) {
  std::vector<int64_t> out;
  if (v.list) {
    for (const auto& e : *v.list) {
      if (e) out.push_back(*e);
    }
  }
  return out;
}

// The first element of a list answer when it is an id.
std::optional<int64_t> FirstId(const std::optional<std::vector<std::optional<int64_t>>>& ids) {
  if (!ids || ids->empty()) return std::nullopt;
  return ids->front();
}

}  // namespace

bool ValidTrytonId(std::string_view id) {
  if (id.empty() || id.size() > 18 || id.front() == '0') return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

util::Result<codec::TrytonResult> TrytonClient::Call(std::string body) {
  OutboundRequest r;
  r.method = "POST";
  r.path = "/" + database_ + "/";
  r.authorization = &authorization_;
  r.cancelled = cancelled_;
  r.body = std::move(body);
  auto resp = Fetch(target_, r);
  if (!resp.ok()) return resp.status();
  if (resp->status == 401 || resp->status == 403) {
    return Status(Code::kUnprocessable, "source_login_refused",
                  "Tryton refused your login; connect to this source again with your own "
                  "Tryton user name and password");
  }
  if (resp->status == 429) {
    return Status(Code::kFailedDependency, "source_busy",
                  "Tryton asks to slow down; try again later");
  }
  if (resp->status == 404) {
    return Status(Code::kUnprocessable, "source_not_found",
                  "the Tryton database named by this source was not found");
  }
  if (resp->status != 200) {
    util::log::Warn("tryton.http_status").Num("status", resp->status);
    return Rejected();
  }
  auto answer = codec::DecodeTrytonAnswer(resp->body);
  if (auto* error = std::get_if<codec::TrytonAnswerError>(&answer)) {
    if (*error == codec::TrytonAnswerError::kBadAnswer) return BadAnswer();
    util::log::Warn("tryton.rpc_error");
    return Rejected();
  }
  return std::get<codec::TrytonResult>(std::move(answer));
}

Status TrytonClient::Verify() {
  auto r = Call(codec::TrytonPreferencesCall(NextCallId()));
  if (!r.ok()) return r.status();
  if (!r->is_object) return BadAnswer();
  return Status::Ok();
}

util::Result<std::vector<codec::TrytonValue>> TrytonClient::Read(
    std::string_view model, const std::vector<int64_t>& ids,
    const std::vector<std::string>& fields) {
  if (ids.empty()) return std::vector<codec::TrytonValue>{};
  auto r = Call(codec::TrytonReadCall(NextCallId(), model, ids, fields));
  if (!r.ok()) return r.status();
  if (!r->items) return BadAnswer();
  return std::move(*r->items);
}

util::Result<std::optional<std::vector<std::optional<int64_t>>>> TrytonClient::Search(
    std::string_view model, std::string_view field,
    const std::variant<int64_t, std::string>& value) {
  auto r = Call(codec::TrytonSearchCall(NextCallId(), model, field, value));
  if (!r.ok()) return r.status();
  std::optional<std::vector<std::optional<int64_t>>> ids;
  if (r->items) {
    ids.emplace();
    for (const auto& e : *r->items) ids->push_back(e.integer);
  }
  return ids;
}

util::Result<RemoteBom> TrytonClient::PullBom(std::string_view remote_id,
                                              const std::function<void(double)>& progress) {
  if (!ValidTrytonId(remote_id)) {
    return Status::Invalid("invalid_remote_id", "a Tryton BOM id is a whole number");
  }
  const int64_t id = std::stoll(std::string(remote_id));
  // search first: read() of a missing id is an error in Tryton, search() is an empty answer.
  auto found = Search("production.bom", "id", id);
  if (!found.ok()) return found.status();
  if (!found.value() || found.value()->empty()) {
    return Status(Code::kUnprocessable, "remote_not_found",
                  "Tryton has no production BOM with this id that your login may read");
  }
  auto boms = Read("production.bom", {id}, {"name", "inputs", "outputs"});
  if (!boms.ok()) return boms.status();
  if (boms->size() != 1) return BadAnswer();
  const codec::TrytonValue& b = (*boms)[0];
  if (!b.is_object) return BadAnswer();
  progress(0.3);
  auto outputs = Read("production.bom.output", IdsOf(b["outputs"]), {"product", "quantity", "uom"});
  if (!outputs.ok()) return outputs.status();
  auto inputs = Read("production.bom.input", IdsOf(b["inputs"]), {"product", "quantity", "uom"});
  if (!inputs.ok()) return inputs.status();
  progress(0.5);
  std::vector<int64_t> product_ids, uom_ids;
  for (const auto* lines : {&outputs.value(), &inputs.value()}) {
    for (const auto& l : *lines) {
      if (!l.is_object) return BadAnswer();
      auto p = l["product"].integer;
      auto u = l["uom"].integer;
      if (!p || !u) return BadAnswer();
      product_ids.push_back(*p);
      uom_ids.push_back(*u);
    }
  }
  std::sort(product_ids.begin(), product_ids.end());
  product_ids.erase(std::unique(product_ids.begin(), product_ids.end()), product_ids.end());
  std::sort(uom_ids.begin(), uom_ids.end());
  uom_ids.erase(std::unique(uom_ids.begin(), uom_ids.end()), uom_ids.end());
  auto products = Read("product.product", product_ids, {"code", "name"});
  if (!products.ok()) return products.status();
  auto uoms = Read("product.uom", uom_ids, {"symbol"});
  if (!uoms.ok()) return uoms.status();
  progress(0.7);
  std::map<int64_t, std::pair<std::string, std::string>> product;  // id -> code, name
  for (const auto& p : *products) {
    if (auto i = p["id"].integer) {
      product[*i] = {p["code"].text.value_or(""), p["name"].text.value_or("")};
    }
  }
  std::map<int64_t, std::string> uom;
  for (const auto& u : *uoms) {
    if (auto i = u["id"].integer) uom[*i] = u["symbol"].text.value_or("");
  }
  RemoteBom out;
  out.remote_id = std::string(remote_id);
  out.name = b["name"].text.value_or("");
  if (out.name.empty()) out.name = "Tryton BOM " + out.remote_id;
  auto line_item = [&](const codec::TrytonValue& l, std::string ref,
                       std::string parent) -> util::Result<bom::Item> {
    const int64_t pid = *l["product"].integer;
    bom::Item it;
    it.ref = std::move(ref);
    it.parent = std::move(parent);
    auto p = product.find(pid);
    if (p == product.end()) return BadAnswer();
    // A product without a code keeps Tryton's id, so it stays the same item across refreshes.
    it.part_number =
        p->second.first.empty() ? "tryton-product-" + std::to_string(pid) : p->second.first;
    it.description = p->second.second;
    const std::optional<std::string>& q = l["quantity"].number;
    if (!q) return BadAnswer();
    auto qty = bom::CanonicalQuantityFromNumber(*q);
    if (!qty.ok()) return BadAnswer();
    it.quantity = std::move(qty.value());
    it.unit = uom[*l["uom"].integer];
    if (it.unit == "u") it.unit = "";  // Tryton's "Unit" is bomvault's unit-less count
    return it;
  };
  std::string root;
  int n = 0;
  for (const auto& l : *outputs) {
    auto it = line_item(l, "O" + std::to_string(++n), "");
    if (!it.ok()) return it.status();
    if (root.empty()) {
      root = it->ref;
    } else {
      it->properties.push_back({"tryton_output", "true"});
    }
    out.items.push_back(std::move(it.value()));
  }
  n = 0;
  for (const auto& l : *inputs) {
    auto it = line_item(l, "I" + std::to_string(++n), root);
    if (!it.ok()) return it.status();
    out.items.push_back(std::move(it.value()));
  }
  progress(0.8);
  return out;
}

util::Result<int64_t> TrytonClient::Uom(const std::string& unit) {
  const std::string symbol = unit.empty() ? "u" : unit;
  for (const auto& [s, id] : uoms_) {
    if (s == symbol) return id;
  }
  auto r = Search("product.uom", "symbol", symbol);
  if (!r.ok()) return r.status();
  auto id = FirstId(r.value());
  if (!id) {
    return Status(Code::kUnprocessable, "unknown_unit",
                  "a unit of this BOM has no unit of measure with that symbol in Tryton");
  }
  uoms_.push_back({symbol, *id});
  return uoms_.back().second;
}

util::Result<int64_t> TrytonClient::Product(const bom::Item& item) {
  for (const auto& [code, id] : products_) {
    if (code == item.part_number) return id;
  }
  auto found = Search("product.product", "code", item.part_number);
  if (!found.ok()) return found.status();
  if (!found.value()) return BadAnswer();
  if (!found.value()->empty()) {
    auto id = FirstId(found.value());
    if (!id) return BadAnswer();
    products_.push_back({item.part_number, *id});
    return *id;
  }
  auto uom = Uom(item.unit);
  if (!uom.ok()) return uom.status();
  auto created = Call(codec::TrytonCreateTemplateCall(
      NextCallId(), item.description.empty() ? item.part_number : item.description,
      item.part_number, *uom));
  if (!created.ok()) return created.status();
  if (!created->items || created->items->size() != 1 || !created->items->front().integer) {
    return BadAnswer();
  }
  auto t = Read("product.template", {*created->items->front().integer}, {"products"});
  if (!t.ok()) return t.status();
  if (t->size() != 1) return BadAnswer();
  auto product_id = FirstId((*t)[0]["products"].list);
  if (!product_id) return BadAnswer();
  const int64_t id = *product_id;
  products_.push_back({item.part_number, id});
  return id;
}

util::Result<int64_t> TrytonClient::WriteBom(const std::string& name, const bom::Item& root,
                                             const std::vector<const bom::Item*>& children,
                                             std::optional<int64_t> existing) {
  auto line = [this](const bom::Item& it) -> util::Result<codec::TrytonBomLine> {
    auto p = Product(it);
    if (!p.ok()) return p.status();
    auto u = Uom(it.unit);
    if (!u.ok()) return u.status();
    auto q = codec::TrytonQuantity(it.quantity);
    if (!q) return Status::Invalid("invalid_quantity", "a quantity is not a number");
    return codec::TrytonBomLine{*p, *q, *u};
  };
  auto out_line = line(root);
  if (!out_line.ok()) return out_line.status();
  std::vector<codec::TrytonBomLine> inputs;
  for (const bom::Item* c : children) {
    auto l = line(*c);
    if (!l.ok()) return l.status();
    inputs.push_back(l.value());
  }
  const std::vector<codec::TrytonBomLine> outputs = {out_line.value()};
  if (existing) {
    auto cur = Read("production.bom", {*existing}, {"inputs", "outputs"});
    if (!cur.ok()) return cur.status();
    if (cur->size() != 1) return BadAnswer();
    const codec::TrytonValue& b = (*cur)[0];
    // The lines to replace: Tryton answers both as lists of ids.
    if (!b["inputs"].list || !b["outputs"].list) return BadAnswer();
    auto w = Call(codec::TrytonWriteBomCall(NextCallId(), *existing, name, IdsOf(b["inputs"]),
                                            IdsOf(b["outputs"]), inputs, outputs));
    if (!w.ok()) return w.status();
    return *existing;
  }
  auto c = Call(codec::TrytonCreateBomCall(NextCallId(), name, inputs, outputs));
  if (!c.ok()) return c.status();
  if (!c->items || c->items->size() != 1 || !c->items->front().integer) return BadAnswer();
  return *c->items->front().integer;
}

util::Result<std::string> TrytonClient::SendBom(std::string_view name,
                                                const std::vector<bom::Item>& items,
                                                std::optional<std::string> existing,
                                                const std::function<void(double)>& progress) {
  std::vector<const bom::Item*> roots;
  std::map<std::string, std::vector<const bom::Item*>> children;
  for (const auto& it : items) {
    if (it.parent.empty()) {
      roots.push_back(&it);
    } else {
      children[it.parent].push_back(&it);
    }
  }
  if (roots.size() != 1) {
    return Status::Unprocessable("one_top_item_required",
                                 "a BOM sent to Tryton needs exactly one top-level item (the "
                                 "product it makes)");
  }
  std::optional<int64_t> existing_id;
  if (existing && ValidTrytonId(*existing)) {
    // Updated in place while it still exists (and this login may see it), else made anew.
    const int64_t id = std::stoll(*existing);
    auto found = Search("production.bom", "id", id);
    if (!found.ok()) return found.status();
    if (found.value() && !found.value()->empty()) existing_id = id;
  }
  // Sub-assemblies first (deepest last in this list), each its own production.bom linked to its
  // product; then the top one.
  std::vector<const bom::Item*> assemblies;
  for (size_t i = 0; i < items.size(); ++i) {
    const bom::Item& it = items[i];
    if (!it.parent.empty() && children.count(it.ref)) assemblies.push_back(&it);
  }
  const double steps = static_cast<double>(assemblies.size() + 1);
  double done = 0;
  for (const bom::Item* a : assemblies) {
    auto sub = WriteBom(a->description.empty() ? a->part_number : a->description, *a,
                        children[a->ref], std::nullopt);
    if (!sub.ok()) return sub.status();
    auto product = Product(*a);
    if (!product.ok()) return product.status();
    auto link = Call(codec::TrytonLinkBomCall(NextCallId(), *product, *sub));
    if (!link.ok()) return link.status();
    progress(0.1 + 0.8 * (++done / steps));
  }
  auto top = WriteBom(std::string(name), *roots[0], children[roots[0]->ref], existing_id);
  if (!top.ok()) return top.status();
  progress(0.95);
  return std::to_string(*top);
}

}  // namespace bomvault::service
