// Routes for BOMs: create, import, read, views, export, change, share, transfer, delete.
#include <cctype>

#include "bom/csv.h"
#include "bom/import.h"
#include "bom/json_body.h"
#include "bom/views.h"
#include "bom/xlsx.h"
#include "codec/column_mappings.h"
#include "http/api.h"
#include "http/json_out.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Result;
using util::Status;

namespace {

// Written by hand: the stored metadata text is passed through without a parse (see BomSummary).
// The export is named after the BOM: "Gearbox GBX-100" becomes Gearbox-GBX-100.csv (runs of
// anything but ASCII letters, digits, '.', '_' and '-' turn into one '-', at most 80 characters),
// with the exact name in RFC 5987's filename* for browsers that read it. The UI names its own
// downloads the same way (web/dom.js fileName).
std::string ExportDisposition(const std::string& name, const std::string& ext) {
  std::string base;
  for (unsigned char ch : name) {
    bool keep = std::isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
    if (keep && ch < 0x80) {
      base += static_cast<char>(ch);
    } else if (!base.empty() && base.back() != '-') {
      base += '-';
    }
    if (base.size() >= 80) break;
  }
  while (!base.empty() && base.back() == '-') base.pop_back();
  if (base.empty()) base = "bom";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string exact;
  for (unsigned char ch : name + "." + ext) {
    if (std::isalnum(ch) && ch < 0x80) {
      exact += static_cast<char>(ch);
    } else {
      exact += '%';
      exact += kHex[ch >> 4];
      exact += kHex[ch & 15];
    }
  }
  return "attachment; filename=\"" + base + "." + ext + "\"; filename*=UTF-8''" + exact;
}

// The body's metadata as the JSON text the BOM service takes (it checks it is an object within
// the limit, codec/bom_metadata.h).
std::optional<std::string> MetadataText(const std::optional<nlohmann::json>& metadata) {
  if (!metadata) return std::nullopt;
  return metadata->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string SummaryText(const service::BomSummary& b) {
  std::string out;
  out.reserve(256 + b.name.size() + b.metadata_json.size());
  out += "{\"id\":";
  AppendJsonString(out, b.id.str());
  out += ",\"name\":";
  AppendJsonString(out, b.name);
  out += ",\"owner_id\":";
  AppendJsonString(out, b.owner.str());
  out += ",\"items\":" + std::to_string(b.items);
  out += ",\"metadata\":";
  out += b.metadata_json.empty() ? "{}" : b.metadata_json;
  out += ",\"my_access\":";
  AppendJsonString(out, b.my_access);
  out += ",\"attachments\":" + std::to_string(b.attachments);
  out += ",\"thumbnail_id\":";
  if (b.thumbnail_id.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, b.thumbnail_id);
  }
  out += ",\"created_at\":\"" + util::FormatUtc(b.created_at);
  out += "\",\"updated_at\":\"" + util::FormatUtc(b.updated_at);
  out += "\",\"last_interacted_at\":\"" + util::FormatUtc(b.last_interacted_at) + "\"}";
  return out;
}

// The BOM lists' sort key (newest first): TimeIdKey(created_at, id).
std::string SummaryKey(const service::BomSummary& b) { return TimeIdKey(b.created_at, b.id.str()); }

// {"boms": [...], "next_cursor"?} with the Link header, written as text (a list of thousands of
// BOMs never becomes a DOM) and compressed when the client takes it.
Reply SummaryPage(const httplib::Request& req, const std::vector<service::BomSummary>& boms,
                  const std::optional<std::string>& next) {
  std::string out = "{\"boms\":[";
  for (size_t i = 0; i < boms.size(); ++i) {
    if (i != 0) out += ',';
    out += SummaryText(boms[i]);
  }
  out += ']';
  std::string link;
  if (next) {
    const std::string cursor = EncodeCursor(*next);
    out += ",\"next_cursor\":";
    AppendJsonString(out, cursor);
    link = NextPageLink(req, cursor);
  }
  out += '}';
  Reply reply = Reply::CompressibleJson(200, std::move(out));
  if (!link.empty()) reply.With("Link", std::move(link));
  return reply;
}

// The body of a create or change request, read by the streaming parser (bom/json_body.h): large
// bodies never become a DOM.
Result<bom::BomBody> BomBodyOf(const httplib::Request& req, size_t max_bytes) {
  BV_RETURN_IF_ERROR(AcceptJsonBody(req, max_bytes));
  return bom::ParseBomBody(req.body, bom::Limits{});
}

constexpr size_t kMaxMappingsParam = 32 * 1024;

// The query parameters ImportOptionsOf reads, after the route's own `first`, for the Doc of every
// route that imports a file (import, its preview, a revision).
std::vector<DocQuery> ImportQueryDoc(std::vector<DocQuery> first) {
  std::vector<DocQuery> q = std::move(first);
  q.insert(q.end(),
           {{"profile", "string",
             "a built-in profile, or a saved profile's id or name (at most 100 characters)"},
            {"sheet", "string", "the XLSX sheet to read (at most 200 characters)"},
            {"charset", "string",
             "the CSV's character set when it cannot be told (at most 40 characters)"},
            {"mappings", "string",
             "this import's own column mappings, URL-encoded JSON as the column-mappings form"},
            {"on_error", "string",
             "skip: leave out bad rows (listed in warnings); strict (default): refuse the file"}});
  return q;
}

// The options every import route takes from its query string; 4xx when one is wrong or the body
// is too large.
Result<bom::ImportOptions> ImportOptionsOf(const httplib::Request& req, size_t max_bytes) {
  if (req.body.size() > max_bytes) {
    return Status(util::Code::kPayloadTooLarge, "payload_too_large",
                  "the file is larger than " + std::to_string(max_bytes >> 20) + " MB");
  }
  bom::ImportOptions o;
  o.charset = req.get_param_value("charset");
  o.sheet = req.get_param_value("sheet");
  o.profile = req.get_param_value("profile");
  const std::string on_error = req.get_param_value("on_error");
  if (on_error == "skip") {
    o.skip_bad_rows = true;
  } else if (!on_error.empty() && on_error != "strict") {
    return Status::Invalid("invalid_parameter", "on_error must be skip or strict");
  }
  if (o.charset.size() > 40 || o.sheet.size() > 200 || o.profile.size() > 100) {
    return Status::Invalid("invalid_parameter", "a parameter is too long");
  }
  // ?mappings=[{column, field|property|ignore}…] (URL-encoded JSON, the column-mappings form):
  // this import's own mappings, ahead of a saved profile's and the org's.
  if (req.has_param("mappings")) {
    const std::string text = req.get_param_value("mappings");
    if (text.size() > kMaxMappingsParam) {
      return Status::Invalid("invalid_parameter", "mappings is too long");
    }
    nlohmann::json list = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (list.is_discarded()) {
      return Status::Invalid("invalid_mapping", "mappings must be a JSON array");
    }
    BV_ASSIGN_OR_RETURN(o.mappings, codec::ParseColumnMappings(list, bom::Limits{}));
  }
  return o;
}

nlohmann::json MessagesJson(const std::vector<bom::ImportMessage>& messages) {
  nlohmann::json out = nlohmann::json::array();
  for (const bom::ImportMessage& m : messages) {
    nlohmann::json j = {{"code", m.code}, {"message", m.message}};
    if (m.line != 0) j["line"] = m.line;
    if (m.column != 0) j["column"] = m.column;
    out.push_back(std::move(j));
  }
  return out;
}

// A refused file: 400 (or 422 for structure), every problem in details, line and column each.
// The Error schema, with more than a Status holds, so it is built here rather than by SendError.
Reply ImportRefusal(const bom::ImportReport& report) {
  nlohmann::json details = nlohmann::json::array();
  for (const bom::ImportMessage& e : report.errors) {
    details.push_back(
        {{"line", e.line}, {"column", e.column}, {"code", e.code}, {"message", e.message}});
  }
  const Status& st = report.status;
  return Reply::Json(st.code() == util::Code::kUnprocessable ? 422 : 400,
                     {{"error",
                       {{"code", st.machine_code()},
                        {"message", st.message()},
                        {"details", details},
                        {"warnings", MessagesJson(report.warnings)}}}});
}

// The items of BOM `id` at the revision named by query parameter `param`, or its current items
// when the parameter is absent.
util::Result<std::vector<bom::Item>> ItemsAt(Ctx& c, const util::BomId& id, const char* param) {
  if (!c.req.has_param(param)) return c.s().boms->Items(c.principal, id);
  const std::string text = c.req.get_param_value(param);
  int64_t revision = 0;
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; }) ||
      (revision = std::stoll(text)) < 1) {
    return Status::Invalid("invalid_parameter",
                           std::string(param) + " must be a revision number (1, 2, …)");
  }
  return c.s().boms->RevisionItems(c.principal, id, revision);
}

constexpr size_t kPreviewRows = 50;

std::string PreviewJson(const bom::ImportReport& r) {
  nlohmann::json head = {{"profile", r.profile},
                         {"format", r.format},
                         {"encoding", r.encoding},
                         {"delimiter", r.delimiter},
                         {"sheet", r.sheet},
                         {"sheets", r.sheets},
                         {"header_line", r.header_line},
                         {"items", r.items.size()},
                         {"warnings", MessagesJson(r.warnings)},
                         {"errors", MessagesJson(r.errors)},
                         {"counts",
                          {{"rows", r.rows_read},
                           {"items", r.items.size()},
                           {"skipped", r.rows_skipped},
                           {"warnings", r.warnings.size()},
                           {"errors", r.errors.size()}}}};
  nlohmann::json mapping = nlohmann::json::array();
  for (const auto& [column, field] : r.mapping) {
    mapping.push_back({{"column", column}, {"field", field}});
  }
  head["mapping"] = std::move(mapping);
  std::string out = head.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out.pop_back();  // the closing brace: the rows are written as the items answer writes them
  out += ",\"rows\":[";
  for (size_t i = 0; i < r.items.size() && i < kPreviewRows; ++i) {
    if (i != 0) out += ',';
    AppendItemJson(out, r.items[i]);
  }
  out += "]}";
  return out;
}

struct ShareIn {
  std::string user_id, access;
};
const BodySpec<ShareIn> kShare{
    "ShareRequest",
    4096,
    {Text("user_id", &ShareIn::user_id, Need::kRequired),
     Choice("access", &ShareIn::access, Need::kRequired, {"view", "edit"}, "invalid_access")}};

struct TransferIn {
  std::string user_id;
};
const BodySpec<TransferIn> kTransfer{
    "TransferRequest", 4096, {Text("user_id", &TransferIn::user_id, Need::kRequired)}};

}  // namespace

void RegisterBomRoutes(Api& api) {
  const size_t max_import = api.options().max_import_body;

  api.Route({"POST",
             "/api/v1/boms",
             "boms.create",
             Auth::kSignedIn,
             false,
             "Administrator, Editor: create a BOM {name, items[], metadata?, source?}",
             {.request = "BomCreate",
              .responses = {{201, "BomCreated"}},
              .errors = {422},
              .idempotent = true},
             access::Function::kBomCreate},
            [max_import](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto heavy, EnterHeavy(c.req, c.instance));
              BV_ASSIGN_OR_RETURN(auto body, BomBodyOf(c.req, max_import));
              if (!body.name) {
                return Status::Invalid("missing_field", "\"name\" is required");
              }
              if (!body.items) {
                return Status::Invalid("missing_field", "\"items\" must be an array");
              }
              auto r = c.s().boms->Create(c.principal, *body.name,
                                          MetadataText(body.metadata).value_or("{}"),
                                          std::move(*body.items), "json");
              if (!r.ok()) return r.status();
              return Reply::Created("/api/v1/boms/" + r->id.str(),
                                    {{"id", r->id.str()}, {"items", r->items}});
            });

  api.Route(
      {"POST",
       "/api/v1/boms/import",
       "boms.import",
       Auth::kSignedIn,
       false,
       "Administrator, Editor: import a BOM file exactly as its tool exported it (CSV in any "
       "common encoding and delimiter, or XLSX) with ?name= and optionally ?source=, ?profile=, "
       "?sheet=, ?charset=, ?mappings= (JSON, as column mappings), ?on_error=skip → 201 {id, "
       "items, profile, warnings[]}; a refused "
       "file lists every problem with line and column in error.details",
       {.request_media = "application/octet-stream",
        .responses = {{201, "Imported"}},
        .errors = {422},
        .query = ImportQueryDoc(
            {{"name", "string", "the new BOM's name", -1, -1, true},
             {"source", "string", "where the file came from (kept in the metadata)"}}),
        .idempotent = true},
       access::Function::kBomCreate},
      [max_import](Ctx& c) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(auto options, ImportOptionsOf(c.req, max_import));
        service::ImportRequest request;
        request.name = c.req.get_param_value("name");
        request.source = c.req.get_param_value("source");
        request.options = std::move(options);
        if (request.name.empty()) {
          return Status::Invalid("missing_field", "give the BOM a name with ?name=");
        }
        BV_ASSIGN_OR_RETURN(auto heavy, EnterHeavy(c.req, c.instance));
        auto r = c.s().imports->Import(c.principal, c.req.body, request);
        if (!r.ok()) return r.status();
        const bom::ImportReport& report = r->report;
        if (!report.status.ok()) return ImportRefusal(report);
        nlohmann::json out = {{"id", r->bom->id.str()},
                              {"items", r->bom->items},
                              {"profile", report.profile},
                              {"skipped", report.rows_skipped},
                              {"warnings", MessagesJson(report.warnings)}};
        if (!report.encoding.empty()) out["encoding"] = report.encoding;
        if (!report.sheet.empty()) out["sheet"] = report.sheet;
        return Reply::Created("/api/v1/boms/" + r->bom->id.str(), out);
      });

  api.Route(
      {"POST",
       "/api/v1/boms/import/preview",
       "boms.import_preview",
       Auth::kSignedIn,
       false,
       "Administrator, Editor: what importing this file would do, storing nothing → 200 {profile, "
       "format, encoding, delimiter, sheet, sheets[], header_line, mapping[{column, field}], "
       "items, rows[] (the first 50 items exactly as they would be stored), warnings[], "
       "errors[], counts}; same parameters as import",
       {.request_media = "application/octet-stream",
        .responses = {{200, "ImportPreview"}},
        .errors = {422},
        .query = ImportQueryDoc({})},
       access::Function::kBomCreate},
      [max_import](Ctx& c) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(auto options, ImportOptionsOf(c.req, max_import));
        BV_ASSIGN_OR_RETURN(auto heavy, EnterHeavy(c.req, c.instance));
        auto r = c.s().imports->Preview(c.principal, c.req.body, options);
        if (!r.ok()) return r.status();
        return Reply::RawJson(200, PreviewJson(r.value()));
      });

  api.Route({"GET",
             "/api/v1/boms",
             "boms.list",
             Auth::kSignedIn,
             false,
             "The BOMs this user may see, newest first; filters q (name contains), "
             "part_number; pages by limit and cursor (offset too, for the bundled UI)",
             {.responses = {{200, "BomList"}},
              .query = {{"q", "string", "name contains (at most 200 characters)"},
                        {"part_number", "string", "uses this part number (at most 128)"},
                        {"offset", "integer", "skip this many (after the cursor, if any)", 0}},
              .list_max = 1000}},
            [](Ctx& c) -> Result<Reply> {
              service::BomListQuery q;
              q.name_contains = c.req.get_param_value("q");
              q.part_number = c.req.get_param_value("part_number");
              if (q.name_contains.size() > 200 || q.part_number.size() > 128) {
                return Status::Invalid("invalid_parameter", "search text too long");
              }
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 100, 1000));
              BV_ASSIGN_OR_RETURN(int64_t offset, IntParam(c.req, "offset", 0, INT64_MAX / 2,
                                                           static_cast<int64_t>(q.offset)));
              q.limit = page.limit + 1;  // one more says whether a next page exists
              q.offset = static_cast<size_t>(offset);
              if (page.after) {
                // The key is TimeIdKey(created_at, id): 20 digits, '/', the id.
                const std::string& k = *page.after;
                auto bom =
                    k.size() > 21 && k[20] == '/' ? util::BomId::Parse(k.substr(21)) : std::nullopt;
                if (!bom || k.substr(0, 20).find_first_not_of("0123456789") != std::string::npos) {
                  return Status::Invalid("invalid_cursor",
                                         "\"cursor\" is not a cursor of this list");
                }
                q.after = service::BomListQuery::After{std::stoll(k.substr(0, 20)), *bom};
              }
              auto r = c.s().boms->List(c.principal, q);
              if (!r.ok()) return r.status();
              std::vector<service::BomSummary>& rows = r.value();
              std::optional<std::string> next;
              if (rows.size() > page.limit) {
                rows.resize(page.limit);
                next = SummaryKey(rows.back());
              }
              return SummaryPage(c.req, rows, next);
            });

  api.Route({"GET",
             "/api/v1/where-used",
             "boms.where_used",
             Auth::kSignedIn,
             false,
             "BOMs this user may see that use ?part_number=, newest first",
             {.responses = {{200, "BomList"}},
              .query = {{"part_number", "string", "the part number"}},
              .list_max = 1000}},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
              auto r = c.s().boms->WhereUsed(c.principal, c.req.get_param_value("part_number"));
              if (!r.ok()) return r.status();
              std::optional<std::string> next;
              auto rows = Paginate<service::BomSummary>(std::move(r.value()), SummaryKey, true,
                                                        page, &next);
              return SummaryPage(c.req, rows, next);
            });

  api.Route({"GET",
             "/api/v1/boms/{id}",
             "boms.get",
             Auth::kSignedIn,
             false,
             "One BOM's summary: owner, shared-with, org Administrator",
             {.responses = {{200, "BomSummary"}}, .etag = true},
             access::Function::kBomRead,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              BV_ASSIGN_OR_RETURN(auto summary, c.s().boms->Get(c.principal, id));
              const std::string tag = service::BomEtag(summary);
              if (IsFresh(c.req, tag)) return Reply::NotModified(tag);
              return Reply::RawJson(200, SummaryText(summary)).With("ETag", tag);
            });

  api.Route({"GET",
             "/api/v1/boms/{id}/items",
             "boms.items",
             Auth::kSignedIn,
             false,
             "The BOM's items (ref, parent, part_number, description, quantity, unit, refdes, "
             "find_number, properties, manufacturers [{name, mpn}], dnp); ?revision=N reads an "
             "earlier revision",
             {.responses = {{200, "Items"}},
              .query = {{"revision", "integer", "an earlier revision's number", 1}}},
             access::Function::kBomRead,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              if (c.req.has_param("revision")) {
                auto items = ItemsAt(c, id, "revision");
                if (!items.ok()) return items.status();
                return Reply::RawJson(200, ItemsJson(items.value()));
              }
              // Written straight from the decrypted chunks: no Item objects, no copies.
              std::string out;
              bool first = true;
              util::Status st = c.s().boms->VisitItems(
                  c.principal, id,
                  [&](int64_t items) {
                    // Generous: outgrowing the reservation would copy the whole answer once more
                    // (measured: 25.6 MB for 100k items, 17 KB past a 256-byte estimate). Untouched
                    // pages cost nothing.
                    out.reserve(static_cast<size_t>(items) * 384 + 16);
                    out += "{\"items\":[";
                  },
                  [&](const bom::ItemView& it) {
                    if (!first) out += ',';
                    first = false;
                    AppendItemJson(out, it);
                  });
              if (!st.ok()) return st;
              out += "]}";
              return Reply::CompressibleJson(200, std::move(out));
            });

  api.Route({"GET",
             "/api/v1/boms/{id}/export",
             "boms.export",
             Auth::kSignedIn,
             false,
             "Export as ?format=csv (formula-safe) or json, same columns as import",
             {.responses = {{200, "Items"}, {200, nullptr, "text/csv"}},
              .query = {{"format", "string", "csv (default) or json"}}},
             access::Function::kBomRead,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              std::string format =
                  c.req.has_param("format") ? c.req.get_param_value("format") : "csv";
              if (format != "csv" && format != "json") {
                return Status::Invalid("invalid_parameter", "format must be csv or json");
              }
              auto summary = c.s().boms->Get(c.principal, id);
              if (!summary.ok()) return summary.status();
              auto r = c.s().boms->Items(c.principal, id);
              if (!r.ok()) return r.status();
              std::string disposition = ExportDisposition(summary->name, format);
              if (format == "json") {
                return Reply::CompressibleJson(200, ItemsJson(r.value()))
                    .With("Content-Disposition", std::move(disposition));
              }
              return Reply::Compressible(200, bom::ExportCsv(r.value()), "text/csv; charset=utf-8")
                  .With("Content-Disposition", std::move(disposition));
            });

  api.Route({"GET",
             "/api/v1/boms/{id}/flat",
             "boms.flat",
             Auth::kSignedIn,
             false,
             "Flattened view: total quantity per part number rolled up through the levels",
             {.responses = {{200, "FlatRows"}}, .errors = {422}},
             access::Function::kBomRead,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              auto r = c.s().boms->Items(c.principal, id);
              if (!r.ok()) return r.status();
              auto flat = bom::Flatten(r.value());
              if (!flat.ok()) return flat.status();
              std::string out = "{\"rows\":[";
              bool first = true;
              for (const auto& row : flat.value()) {
                if (!first) out += ',';
                first = false;
                out += "{\"part_number\":";
                AppendJsonString(out, row.part_number);
                out += ",\"description\":";
                AppendJsonString(out, row.description);
                out += ",\"unit\":";
                AppendJsonString(out, row.unit);
                out += ",\"total_quantity\":" + row.total_quantity;
                out += ",\"occurrences\":" + std::to_string(row.occurrences) + "}";
              }
              out += "]}";
              return Reply::CompressibleJson(200, std::move(out));
            });

  api.Route(
      {"POST",
       "/api/v1/boms/{id}/revisions",
       "boms.revise",
       Auth::kSignedIn,
       false,
       "Owner, edit-share, Administrator: a newer export of the same design (an import body and "
       "its parameters: ?source=, ?profile=, ?sheet=, ?charset=, ?on_error=skip) becomes the "
       "BOM's current revision; the earlier one is kept read-only → 201 {revision, items, "
       "profile, warnings[]}",
       {.request_media = "application/octet-stream",
        .responses = {{201, "RevisionImported"}},
        .errors = {422},
        .query = ImportQueryDoc(
            {{"source", "string", "where the file came from (kept in the metadata)"}}),
        .idempotent = true},
       access::Function::kBomUpdate,
       OnBom(1)},
      [max_import](Ctx& c) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
        BV_ASSIGN_OR_RETURN(auto options, ImportOptionsOf(c.req, max_import));
        BV_ASSIGN_OR_RETURN(auto heavy, EnterHeavy(c.req, c.instance));
        service::ImportRequest request;
        request.source = c.req.get_param_value("source");
        request.options = std::move(options);
        auto r = c.s().imports->ImportRevision(c.principal, id, c.req.body, request);
        if (!r.ok()) return r.status();
        if (!r->report.status.ok()) return ImportRefusal(r->report);
        return Reply::Created(
            "/api/v1/boms/" + id.str() + "/items?revision=" + std::to_string(r->revision->revision),
            {{"revision", r->revision->revision},
             {"items", r->revision->items},
             {"profile", r->report.profile},
             {"skipped", r->report.rows_skipped},
             {"warnings", MessagesJson(r->report.warnings)}});
      });

  api.Route({"GET",
             "/api/v1/boms/{id}/revisions",
             "boms.revisions",
             Auth::kSignedIn,
             false,
             "Who may read the BOM: its revisions newest first {revisions: [{revision, at, "
             "actor_id, items, via, source, profile, current}]}",
             {.responses = {{200, "Revisions"}}, .list_max = 1000},
             access::Function::kBomRead,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
              auto r = c.s().boms->Revisions(c.principal, id);
              if (!r.ok()) return r.status();
              std::optional<std::string> next;
              auto rows = Paginate<service::RevisionInfo>(
                  std::move(r.value()),
                  [](const service::RevisionInfo& v) { return TimeIdKey(v.revision, ""); }, true,
                  page, &next);
              nlohmann::json list = nlohmann::json::array();
              for (const service::RevisionInfo& rev : rows) {
                list.push_back({{"revision", rev.revision},
                                {"at", util::FormatUtc(rev.at)},
                                {"actor_id", rev.actor.str()},
                                {"items", rev.items},
                                {"via", rev.via},
                                {"source", rev.source},
                                {"profile", rev.profile},
                                {"current", rev.current}});
              }
              nlohmann::json body = {{"revisions", list}};
              return ListReply(c.req, std::move(body), next);
            });

  api.Route({"GET",
             "/api/v1/boms/{id}/compare/{other}",
             "boms.compare",
             Auth::kSignedIn,
             false,
             "What turns BOM {id} into BOM {other}: added, removed, changed; ?revision= and "
             "?other_revision= compare earlier revisions (the same BOM on both sides too)",
             {.responses = {{200, "Comparison"}},
              .query = {{"revision", "integer", "the revision of {id} to compare", 1},
                        {"other_revision", "integer", "the revision of {other}", 1}}},
             access::Function::kBomRead,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto a_id, c.PathId<util::BomId>(1));
              BV_ASSIGN_OR_RETURN(auto b_id, c.PathId<util::BomId>(2));
              auto a = ItemsAt(c, a_id, "revision");
              if (!a.ok()) return a.status();
              auto b = ItemsAt(c, b_id, "other_revision");
              if (!b.ok()) return b.status();
              bom::Comparison cmp = bom::Compare(a.value(), b.value());
              std::string out = "{\"added\":[";
              for (size_t i = 0; i < cmp.added.size(); ++i) {
                if (i) out += ',';
                AppendItemJson(out, cmp.added[i]);
              }
              out += "],\"removed\":[";
              for (size_t i = 0; i < cmp.removed.size(); ++i) {
                if (i) out += ',';
                AppendItemJson(out, cmp.removed[i]);
              }
              out += "],\"changed\":[";
              for (size_t i = 0; i < cmp.changed.size(); ++i) {
                const auto& ch = cmp.changed[i];
                if (i) out += ',';
                out += "{\"key\":";
                AppendJsonString(out, ch.key);
                out += ",\"field\":";
                AppendJsonString(out, ch.field);
                out += ",\"before\":";
                AppendJsonString(out, ch.before);
                out += ",\"after\":";
                AppendJsonString(out, ch.after);
                out += '}';
              }
              out += "]}";
              return Reply::CompressibleJson(200, std::move(out));
            });

  api.Route({"PATCH",
             "/api/v1/boms/{id}",
             "boms.update",
             Auth::kSignedIn,
             false,
             "Owner, edit-share, Administrator: change {name?, metadata?, items?}",
             {.request = "BomChange",
              .responses = {{200, "BomSummary"}},
              .errors = {409, 422},
              .etag = true},
             access::Function::kBomUpdate,
             OnBom(1)},
            [max_import](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              BV_ASSIGN_OR_RETURN(auto heavy, EnterHeavy(c.req, c.instance));
              BV_ASSIGN_OR_RETURN(auto body, BomBodyOf(c.req, max_import));
              // Only "source" given: it changes that one key and keeps the rest of the metadata.
              const bool merge = body.metadata && !body.metadata_given;
              auto r = c.s().boms->Update(c.principal, id, std::move(body.name),
                                          MetadataText(body.metadata), merge, std::move(body.items),
                                          IfMatchOf(c));
              if (!r.ok()) return r.status();
              return Reply::RawJson(200, SummaryText(r.value()))
                  .With("ETag", service::BomEtag(r.value()));
            });

  api.Route({"DELETE",
             "/api/v1/boms/{id}",
             "boms.delete",
             Auth::kRecent,
             false,
             "Owner, Administrator: delete a BOM for good",
             {.responses = {{204, nullptr}}, .etag = true},
             access::Function::kBomDelete,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              Status st = c.s().boms->Delete(c.principal, id, IfMatchOf(c));
              if (!st.ok()) return st;
              return Reply::NoContent();
            });

  api.Route({"GET",
             "/api/v1/boms/{id}/shares",
             "boms.shares.list",
             Auth::kSignedIn,
             false,
             "Who has access to this BOM, oldest share first",
             {.responses = {{200, "Shares"}}, .list_max = 1000},
             access::Function::kBomRead,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
              auto r = c.s().boms->Shares(c.principal, id);
              if (!r.ok()) return r.status();
              return ListPage<service::ShareView>(
                  c.req, "shares", std::move(r.value()),
                  [](const service::ShareView& s) { return TimeIdKey(s.created_at, s.user.str()); },
                  false, page,
                  [](const service::ShareView& s) -> nlohmann::json {
                    return {{"user_id", s.user.str()},
                            {"access", s.access},
                            {"created_at", util::FormatUtc(s.created_at)}};
                  });
            });

  api.Route({"POST",
             "/api/v1/boms/{id}/shares",
             "boms.shares.create",
             Auth::kSignedIn,
             false,
             "Owner, Administrator: share with a verified colleague {user_id, access: view|edit}",
             {.responses = {{201, "Share"}}, .errors = {409}, .idempotent = true},
             access::Function::kBomShare,
             OnBom(1)},
            kShare, [](Ctx& c, ShareIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              const std::string& access = in.access;
              auto uid = util::UserId::Parse(in.user_id);
              if (!uid)
                return Status(util::Code::kNotFound, "user_not_found",
                              "no such user in your organisation");
              Status st = c.s().boms->Share(c.principal, id, *uid, access);
              if (!st.ok()) return st;
              return Reply::Created("/api/v1/boms/" + id.str() + "/shares/" + uid->str(),
                                    {{"user_id", uid->str()}, {"access", access}});
            });

  api.Route({"DELETE",
             "/api/v1/boms/{id}/shares/{user_id}",
             "boms.shares.delete",
             Auth::kSignedIn,
             false,
             "Owner, Administrator: revoke a share (effective on the next request)",
             {.responses = {{204, nullptr}}},
             access::Function::kBomShare,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              BV_ASSIGN_OR_RETURN(auto uid, c.PathId<util::UserId>(2));
              Status st = c.s().boms->Unshare(c.principal, id, uid);
              if (!st.ok()) return st;
              return Reply::NoContent();
            });

  api.Route({"POST",
             "/api/v1/boms/{id}/transfer",
             "boms.transfer",
             Auth::kRecent,
             false,
             "Owner, Administrator: give the BOM to another verified user {user_id}",
             {.responses = {{200, "Transferred"}}, .errors = {409}, .etag = true},
             access::Function::kBomTransfer,
             OnBom(1)},
            kTransfer, [](Ctx& c, TransferIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              auto uid = util::UserId::Parse(in.user_id);
              if (!uid)
                return Status(util::Code::kNotFound, "user_not_found",
                              "no such user in your organisation");
              Status st = c.s().boms->Transfer(c.principal, id, *uid, IfMatchOf(c));
              if (!st.ok()) return st;
              return Reply::Json(200, {{"id", id.str()}, {"owner_id", uid->str()}});
            });
}

}  // namespace bomvault::http
