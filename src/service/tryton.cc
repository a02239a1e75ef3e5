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

std::optional<int64_t> IdOf(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

std::string Text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : ""; }

}  // namespace

bool ValidTrytonId(std::string_view id) {
  if (id.empty() || id.size() > 18 || id.front() == '0') return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

util::Result<nlohmann::json> TrytonClient::Call(std::string_view method, nlohmann::json params) {
  OutboundRequest r;
  r.method = "POST";
  r.path = "/" + database_ + "/";
  r.authorization = &authorization_;
  r.cancelled = cancelled_;
  r.body =
      nlohmann::json{{"id", next_id_++}, {"method", method}, {"params", std::move(params)}}.dump();
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
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (!j.is_object()) return BadAnswer();
  if (j.contains("error") && !j["error"].is_null()) {
    util::log::Warn("tryton.rpc_error");
    return Rejected();
  }
  if (!j.contains("result")) return BadAnswer();
  return std::move(j["result"]);
}

Status TrytonClient::Verify() {
  auto r = Call("model.res.user.get_preferences", {true, nlohmann::json::object()});
  if (!r.ok()) return r.status();
  if (!r->is_object()) return BadAnswer();
  return Status::Ok();
}

util::Result<nlohmann::json> TrytonClient::Read(std::string_view model,
                                                const std::vector<int64_t>& ids,
                                                const std::vector<std::string>& fields) {
  if (ids.empty()) return nlohmann::json::array();
  auto r = Call("model." + std::string(model) + ".read", {ids, fields, nlohmann::json::object()});
  if (!r.ok()) return r.status();
  if (!r->is_array()) return BadAnswer();
  return r;
}

util::Result<RemoteBom> TrytonClient::PullBom(std::string_view remote_id,
                                              const std::function<void(double)>& progress) {
  if (!ValidTrytonId(remote_id)) {
    return Status::Invalid("invalid_remote_id", "a Tryton BOM id is a whole number");
  }
  const int64_t id = std::stoll(std::string(remote_id));
  // search first: read() of a missing id is an error in Tryton, search() is an empty answer.
  auto found = Call("model.production.bom.search",
                    {nlohmann::json::array({nlohmann::json::array({"id", "=", id})}), 0, 1, nullptr,
                     nlohmann::json::object()});
  if (!found.ok()) return found.status();
  if (!found->is_array() || found->empty()) {
    return Status(Code::kUnprocessable, "remote_not_found",
                  "Tryton has no production BOM with this id that your login may read");
  }
  auto boms = Read("production.bom", {id}, {"name", "inputs", "outputs"});
  if (!boms.ok()) return boms.status();
  if (boms->size() != 1) return BadAnswer();
  const nlohmann::json& b = (*boms)[0];
  progress(0.3);
  auto ids_of = [](const nlohmann::json& v) {
    std::vector<int64_t> out;
    if (v.is_array()) {
      for (const auto& e : v) {
        if (auto i = IdOf(e)) out.push_back(*i);
      }
    }
    return out;
  };
  auto outputs = Read("production.bom.output", ids_of(b.value("outputs", nlohmann::json())),
                      {"product", "quantity", "uom"});
  if (!outputs.ok()) return outputs.status();
  auto inputs = Read("production.bom.input", ids_of(b.value("inputs", nlohmann::json())),
                     {"product", "quantity", "uom"});
  if (!inputs.ok()) return inputs.status();
  progress(0.5);
  std::vector<int64_t> product_ids, uom_ids;
  for (const auto* lines : {&outputs.value(), &inputs.value()}) {
    for (const auto& l : *lines) {
      if (!l.is_object()) return BadAnswer();
      auto p = IdOf(l.value("product", nlohmann::json()));
      auto u = IdOf(l.value("uom", nlohmann::json()));
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
    if (auto i = IdOf(p.value("id", nlohmann::json()))) {
      product[*i] = {Text(p.value("code", nlohmann::json())),
                     Text(p.value("name", nlohmann::json()))};
    }
  }
  std::map<int64_t, std::string> uom;
  for (const auto& u : *uoms) {
    if (auto i = IdOf(u.value("id", nlohmann::json()))) {
      uom[*i] = Text(u.value("symbol", nlohmann::json()));
    }
  }
  RemoteBom out;
  out.remote_id = std::string(remote_id);
  out.name = Text(b.value("name", nlohmann::json()));
  if (out.name.empty()) out.name = "Tryton BOM " + out.remote_id;
  auto line_item = [&](const nlohmann::json& l, std::string ref,
                       std::string parent) -> util::Result<bom::Item> {
    const int64_t pid = *IdOf(l["product"]);
    bom::Item it;
    it.ref = std::move(ref);
    it.parent = std::move(parent);
    auto p = product.find(pid);
    if (p == product.end()) return BadAnswer();
    // A product without a code keeps Tryton's id, so it stays the same item across refreshes.
    it.part_number =
        p->second.first.empty() ? "tryton-product-" + std::to_string(pid) : p->second.first;
    it.description = p->second.second;
    const nlohmann::json& q = l.value("quantity", nlohmann::json());
    if (!q.is_number()) return BadAnswer();
    auto qty = bom::CanonicalQuantityFromNumber(q.dump());
    if (!qty.ok()) return BadAnswer();
    it.quantity = std::move(qty.value());
    it.unit = uom[*IdOf(l["uom"])];
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
  auto r = Call("model.product.uom.search",
                {nlohmann::json::array({nlohmann::json::array({"symbol", "=", symbol})}), 0, 1,
                 nullptr, nlohmann::json::object()});
  if (!r.ok()) return r.status();
  if (!r->is_array() || r->empty() || !IdOf((*r)[0])) {
    return Status(Code::kUnprocessable, "unknown_unit",
                  "a unit of this BOM has no unit of measure with that symbol in Tryton");
  }
  uoms_.push_back({symbol, *IdOf((*r)[0])});
  return uoms_.back().second;
}

util::Result<int64_t> TrytonClient::Product(const bom::Item& item) {
  for (const auto& [code, id] : products_) {
    if (code == item.part_number) return id;
  }
  auto found =
      Call("model.product.product.search",
           {nlohmann::json::array({nlohmann::json::array({"code", "=", item.part_number})}), 0, 1,
            nullptr, nlohmann::json::object()});
  if (!found.ok()) return found.status();
  if (!found->is_array()) return BadAnswer();
  if (!found->empty()) {
    auto id = IdOf((*found)[0]);
    if (!id) return BadAnswer();
    products_.push_back({item.part_number, *id});
    return *id;
  }
  auto uom = Uom(item.unit);
  if (!uom.ok()) return uom.status();
  nlohmann::json tmpl = {
      {"name", item.description.empty() ? item.part_number : item.description},
      {"code", item.part_number},
      {"type", "goods"},
      {"default_uom", *uom},
      {"products", nlohmann::json::array({nlohmann::json::array(
                       {"create", nlohmann::json::array({nlohmann::json::object()})})})}};
  auto created = Call("model.product.template.create",
                      {nlohmann::json::array({tmpl}), nlohmann::json::object()});
  if (!created.ok()) return created.status();
  if (!created->is_array() || created->size() != 1 || !IdOf((*created)[0])) return BadAnswer();
  auto t = Read("product.template", {*IdOf((*created)[0])}, {"products"});
  if (!t.ok()) return t.status();
  if (t->size() != 1 || !(*t)[0].value("products", nlohmann::json()).is_array() ||
      (*t)[0]["products"].empty() || !IdOf((*t)[0]["products"][0])) {
    return BadAnswer();
  }
  const int64_t id = *IdOf((*t)[0]["products"][0]);
  products_.push_back({item.part_number, id});
  return id;
}

util::Result<int64_t> TrytonClient::WriteBom(const std::string& name, const bom::Item& root,
                                             const std::vector<const bom::Item*>& children,
                                             std::optional<int64_t> existing) {
  auto line = [this](const bom::Item& it) -> util::Result<nlohmann::json> {
    auto p = Product(it);
    if (!p.ok()) return p.status();
    auto u = Uom(it.unit);
    if (!u.ok()) return u.status();
    auto q = nlohmann::json::parse(it.quantity, nullptr, false);
    if (!q.is_number()) return Status::Invalid("invalid_quantity", "a quantity is not a number");
    return nlohmann::json{{"product", *p}, {"quantity", q.get<double>()}, {"uom", *u}};
  };
  auto out_line = line(root);
  if (!out_line.ok()) return out_line.status();
  nlohmann::json inputs = nlohmann::json::array();
  for (const bom::Item* c : children) {
    auto l = line(*c);
    if (!l.ok()) return l.status();
    inputs.push_back(std::move(l.value()));
  }
  nlohmann::json outputs = nlohmann::json::array({out_line.value()});
  if (existing) {
    auto cur = Read("production.bom", {*existing}, {"inputs", "outputs"});
    if (!cur.ok()) return cur.status();
    if (cur->size() != 1) return BadAnswer();
    nlohmann::json values = {
        {"name", name},
        {"inputs", nlohmann::json::array({nlohmann::json::array({"delete", (*cur)[0]["inputs"]}),
                                          nlohmann::json::array({"create", inputs})})},
        {"outputs", nlohmann::json::array({nlohmann::json::array({"delete", (*cur)[0]["outputs"]}),
                                           nlohmann::json::array({"create", outputs})})}};
    auto w = Call("model.production.bom.write",
                  {nlohmann::json::array({*existing}), values, nlohmann::json::object()});
    if (!w.ok()) return w.status();
    return *existing;
  }
  nlohmann::json values = {
      {"name", name},
      {"inputs", nlohmann::json::array({nlohmann::json::array({"create", inputs})})},
      {"outputs", nlohmann::json::array({nlohmann::json::array({"create", outputs})})}};
  auto c = Call("model.production.bom.create",
                {nlohmann::json::array({values}), nlohmann::json::object()});
  if (!c.ok()) return c.status();
  if (!c->is_array() || c->size() != 1 || !IdOf((*c)[0])) return BadAnswer();
  return *IdOf((*c)[0]);
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
    auto found = Call("model.production.bom.search",
                      {nlohmann::json::array({nlohmann::json::array({"id", "=", id})}), 0, 1,
                       nullptr, nlohmann::json::object()});
    if (!found.ok()) return found.status();
    if (found->is_array() && !found->empty()) existing_id = id;
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
    auto link = Call("model.product.product-production.bom.create",
                     {nlohmann::json::array({{{"product", *product}, {"bom", *sub}}}),
                      nlohmann::json::object()});
    if (!link.ok()) return link.status();
    progress(0.1 + 0.8 * (++done / steps));
  }
  auto top = WriteBom(std::string(name), *roots[0], children[roots[0]->ref], existing_id);
  if (!top.ok()) return top.status();
  progress(0.95);
  return std::to_string(*top);
}

}  // namespace bomvault::service
