// Routes for a BOM's attachments: list, upload (raw body), download, delete.
#include "http/api.h"
#include "http/json_out.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using util::Result;

namespace {

nlohmann::json AttachmentJson(const service::AttachmentView& v) {
  nlohmann::json j = {{"id", v.id.str()},
                      {"bom_id", v.bom.str()},
                      {"kind", v.kind},
                      {"name", v.name},
                      {"media_type", v.media_type},
                      {"size", v.size},
                      {"sha256", v.sha256},
                      {"created_by", v.created_by.str()},
                      {"created_at", util::FormatUtc(v.created_at)}};
  if (v.width > 0) {
    j["width"] = v.width;
    j["height"] = v.height;
  }
  return j;
}

// RFC 6266: an ASCII fallback plus the exact UTF-8 name percent-encoded (RFC 8187), so no
// client ever sees a quote, a separator or a raw non-ASCII byte in the header.
std::string ContentDisposition(std::string_view type, std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string fallback, encoded;
  for (unsigned char c : name) {
    const bool plain = c < 0x80 && c > 0x20 && c != '"' && c != '\\' && c != ';' && c != '%';
    fallback += plain ? static_cast<char>(c) : '_';
    if (std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 0xF];
    }
  }
  return std::string(type) + "; filename=\"" + fallback + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace

void RegisterAttachmentRoutes(Api& api) {
  api.Route(
      {"GET",
       "/api/v1/boms/{id}/attachments",
       "boms.attachments.list",
       Auth::kSignedIn,
       false,
       "A BOM's thumbnail and derivative files: whoever may read the BOM",
       {.responses = {{200, "Attachments"}}, .list_max = 1000},
       access::Function::kBomRead,
       OnBom(1)},
      [](Ctx& c) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
        BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
        BV_ASSIGN_OR_RETURN(auto list, c.s().attachments->List(c.principal, id));
        return ListPage<service::AttachmentView>(
            c.req, "attachments", std::move(list),
            [](const service::AttachmentView& v) { return TimeIdKey(v.created_at, v.id.str()); },
            false, page, AttachmentJson);
      });

  api.Route({"POST",
             "/api/v1/boms/{id}/attachments",
             "boms.attachments.create",
             Auth::kSignedIn,
             false,
             "Owner, edit-share, Administrator: attach a file (raw body; ?name=, "
             "?kind=thumbnail|derivative); the type is sniffed: PDF, PNG, JPEG, WebP, STEP, IGES, "
             "STL, DXF; a thumbnail (PNG/JPEG/WebP, ≤ 2 MiB, ≤ 4096 px) replaces the previous one",
             {.request_media = "application/octet-stream",
              .responses = {{201, "Attachment"}},
              .errors = {422},
              .query = {{"name", "string", "the file name to keep"},
                        {"kind", "string", "thumbnail or derivative (default)"}},
              .idempotent = true},
             access::Function::kBomUpdate,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              const std::string kind =
                  c.req.has_param("kind") ? c.req.get_param_value("kind") : "derivative";
              BV_ASSIGN_OR_RETURN(auto heavy, EnterHeavy(c.req, c.instance));
              BV_ASSIGN_OR_RETURN(
                  auto added, c.s().attachments->Add(c.principal, id, kind,
                                                     c.req.get_param_value("name"), c.req.body));
              return Reply::Created("/api/v1/boms/" + id.str() + "/attachments/" + added.id.str(),
                                    AttachmentJson(added));
            });

  api.Route({"GET",
             "/api/v1/boms/{id}/attachments/{attachment_id}",
             "boms.attachments.get",
             Auth::kSignedIn,
             false,
             "Download one attachment's bytes, with its sniffed type (images inline, the rest as "
             "a download)",
             {.responses = {{200, nullptr, "*/*"}}},
             access::Function::kBomRead,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              BV_ASSIGN_OR_RETURN(auto att, c.PathId<util::AttachmentId>(2));
              BV_ASSIGN_OR_RETURN(auto file, c.s().attachments->Read(c.principal, id, att));
              const service::AttachmentView& v = file.view;
              const bool image = v.media_type.rfind("image/", 0) == 0 && v.width > 0;
              return Reply::Bytes(200, std::move(file.bytes), v.media_type)
                  .With("Content-Disposition",
                        ContentDisposition(image ? "inline" : "attachment", v.name))
                  .With("ETag", "\"" + v.sha256 + "\"");
            });

  api.Route({"DELETE",
             "/api/v1/boms/{id}/attachments/{attachment_id}",
             "boms.attachments.delete",
             Auth::kSignedIn,
             false,
             "Owner, edit-share, Administrator: remove an attachment",
             {.responses = {{204, nullptr}}},
             access::Function::kBomUpdate,
             OnBom(1)},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::BomId>(1));
              BV_ASSIGN_OR_RETURN(auto att, c.PathId<util::AttachmentId>(2));
              BV_RETURN_IF_ERROR(c.s().attachments->Delete(c.principal, id, att));
              return Reply::NoContent();
            });
}

}  // namespace bomvault::http
