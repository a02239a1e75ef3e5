// The JSON Schema of every body type the routes take or send: components/schemas of
// /api/v1/openapi.json (http/openapi.cc writes the rest of the document from the route table).
// Each schema describes what its handlers really parse and write (bom/json_body.cc,
// http/json_out.cc, the routes_*.cc writers, the services' ToJson); an answer's schema is closed
// (additionalProperties false) where its writer sets each field itself, so the conformance test
// (tests/integration/test_openapi.py) reports a field that is added, renamed or missing. Built
// once, immutable after: safe from any thread.
#include "http/api.h"
#include "service/orgs.h"

namespace bomvault::http {

namespace {

using nlohmann::json;

json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }
json Str() { return {{"type", "string"}}; }
json Int() { return {{"type", "integer"}}; }
json Bool() { return {{"type", "boolean"}}; }
json Time() { return {{"type", "string"}, {"format", "date-time"}}; }
json ArrayOf(json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
json Obj(json properties, json required) {
  return {{"type", "object"}, {"properties", std::move(properties)}, {"required", required}};
}
// An object that has exactly these properties: anything else the server sends is a mismatch.
json Closed(json properties, json required) {
  json o = Obj(std::move(properties), std::move(required));
  o["additionalProperties"] = false;
  return o;
}
json Enum(std::initializer_list<const char*> values) {
  json e = json::array();
  for (const char* v : values) e.push_back(v);
  return {{"type", "string"}, {"enum", e}};
}
json IntIn(int64_t lo, int64_t hi) {
  return {{"type", "integer"}, {"minimum", lo}, {"maximum", hi}};
}
json Nullable(json schema) {
  schema["nullable"] = true;
  return schema;
}
// A date-time, or "" for never (a passkey never used, a support window that is closed).
json TimeOrEmpty(const char* what) {
  return {{"type", "string"}, {"description", std::string("a date-time, or empty ") + what}};
}

// A source's configuration as an Administrator reads it (codec/source_config.cc
// SourceSettingsJson); its create and change bodies add the client secret.
json SourceSettingsProperties() {
  json rules = Obj({{"skip_part_numbers", ArrayOf(Str())},
                    {"units", {{"type", "object"}, {"additionalProperties", Str()}}}},
                   json::array());
  return {{"name", Str()},
          {"kind", Enum({"tryton", "rest", "folder"})},
          {"base_url", Str()},
          {"database", Str()},
          {"auth_method", Str()},
          {"authorize_url", Str()},
          {"token_url", Str()},
          {"revocation_url", Str()},
          {"client_id", Str()},
          {"scopes", Str()},
          {"api_key_header", Str()},
          {"items_path", Str()},
          {"send_path", Str()},
          {"ca_pem", Str()},
          {"internal", Bool()},
          {"proxy", Str()},
          {"max_response_bytes", Int()},
          {"timeout_seconds", Int()},
          {"path", Str()},
          {"profile", Str()},
          {"rules", rules}};
}

// An importer profile's options (codec/import_profile.cc), as sent and as stored.
json ProfileOptions() {
  return Obj({{"charset", Str()}, {"sheet", Str()}, {"on_error", Enum({"skip", "strict"})}},
             json::array());
}

json BuildSchemas() {
  json s = json::object();
  s["Error"] = Obj({{"error", Obj({{"code", Str()},
                                   {"message", Str()},
                                   {"details", ArrayOf(json::object())},
                                   {"warnings", ArrayOf(json::object())}},
                                  {"code", "message"})}},
                   {"error"});
  s["Health"] = Closed(
      {{"status", {{"type", "string"}, {"enum", {"ok"}}}}, {"sealed", Bool()}, {"version", Str()}},
      {"status", "sealed", "version"});
  s["OpenApiDocument"] =
      Obj({{"openapi", Str()}, {"info", json::object()}, {"paths", json::object()}},
          {"openapi", "info", "paths"});
  // bom/json_body.cc: ref and part_number required text; quantity a number or a decimal string;
  // properties' values text or numbers; the other fields text; dnp a boolean or null.
  json maker = Obj({{"name", Str()}, {"mpn", Str()}}, json::array());
  s["ItemIn"] = Obj(
      {{"ref", Str()},
       {"parent", {{"type", "string"}, {"nullable", true}}},
       {"find_number", Str()},
       {"part_number", Str()},
       {"description", Str()},
       {"quantity", {{"oneOf", {{{"type", "number"}, {"minimum", 0}}, Str()}}}},
       {"unit", Str()},
       {"refdes", Str()},
       {"properties",
        {{"type", "object"}, {"additionalProperties", {{"oneOf", {Str(), {{"type", "number"}}}}}}}},
       {"manufacturers", ArrayOf(maker)},
       {"dnp", {{"type", "boolean"}, {"nullable", true}}}},
      {"ref", "part_number", "quantity"});
  // http/json_out.cc AppendItem: every field always present; quantity the canonical decimal,
  // written as a JSON number.
  s["Item"] =
      Closed({{"ref", Str()},
              {"parent", {{"type", "string"}, {"nullable", true}}},
              {"find_number", Str()},
              {"part_number", Str()},
              {"description", Str()},
              {"quantity", {{"type", "number"}}},
              {"unit", Str()},
              {"refdes", Str()},
              {"properties", {{"type", "object"}, {"additionalProperties", Str()}}},
              {"manufacturers", ArrayOf(Obj({{"name", Str()}, {"mpn", Str()}}, {"name", "mpn"}))},
              {"dnp", Bool()}},
             {"ref", "parent", "find_number", "part_number", "description", "quantity", "unit",
              "refdes", "properties", "manufacturers", "dnp"});
  s["Items"] = Obj({{"items", ArrayOf(Ref("Item"))}}, {"items"});
  s["BomCreate"] = Obj({{"name", Str()},
                        {"items", ArrayOf(Ref("ItemIn"))},
                        {"metadata", {{"type", "object"}}},
                        {"source", Str()}},
                       {"name", "items"});
  s["BomChange"] = Obj({{"name", Str()},
                        {"items", ArrayOf(Ref("ItemIn"))},
                        {"metadata", {{"type", "object"}}},
                        {"source", Str()}},
                       json::array());
  s["BomCreated"] = Closed({{"id", Str()}, {"items", Int()}}, {"id", "items"});
  // routes_boms.cc SummaryText.
  s["BomSummary"] =
      Closed({{"id", Str()},
              {"name", Str()},
              {"owner_id", Str()},
              {"items", Int()},
              {"metadata", {{"type", "object"}}},
              {"my_access", Str()},
              {"attachments", Int()},
              {"thumbnail_id", {{"type", "string"}, {"nullable", true}}},
              {"created_at", Time()},
              {"updated_at", Time()},
              {"last_interacted_at", Time()}},
             {"id", "name", "owner_id", "items", "metadata", "my_access", "attachments",
              "thumbnail_id", "created_at", "updated_at", "last_interacted_at"});
  s["BomList"] = Obj({{"boms", ArrayOf(Ref("BomSummary"))}}, {"boms"});
  json access = {{"type", "string"}, {"enum", {"view", "edit"}}};
  s["Shares"] = Obj(
      {{"shares", ArrayOf(Closed({{"user_id", Str()}, {"access", access}, {"created_at", Time()}},
                                 {"user_id", "access", "created_at"}))}},
      {"shares"});
  s["Share"] = Closed({{"user_id", Str()}, {"access", access}}, {"user_id", "access"});
  s["Transferred"] = Closed({{"id", Str()}, {"owner_id", Str()}}, {"id", "owner_id"});
  // api.cc AuditEntriesReply; "change" is whatever the action recorded.
  s["AuditEntries"] =
      Obj({{"entries", ArrayOf(Closed({{"id", Int()},
                                       {"at", Time()},
                                       {"object", Str()},
                                       {"actor_id", Str()},
                                       {"action", Str()},
                                       {"change", json::object()}},
                                      {"id", "at", "object", "actor_id", "action", "change"}))},
           {"next_before", Int()}},
          {"entries"});
  // routes_accounts.cc sessions.create: email and password required text, totp and
  // recovery_code optional text, cookie a boolean (or null).
  s["Session"] = Closed(
      {{"token", {{"type", "string"}, {"description", "empty with cookie: true"}}},
       {"cookie", Bool()},
       {"user", Obj({{"id", Str()}, {"org_id", Str()}, {"role", Str()}}, {"id", "org_id", "role"})},
       {"expires_at", Time()},
       {"mfa_enrolment_required", Bool()}},
      {"token", "user", "expires_at", "mfa_enrolment_required"});
  s["Reauthenticated"] = Closed({{"authenticated_at", Time()},
                                 {"reauth_until",
                                  {{"type", "string"},
                                   {"format", "date-time"},
                                   {"description", "sensitive operations are open until then"}}}},
                                {"authenticated_at", "reauth_until"});
  s["UnsealStatus"] = Closed({{"sealed", Bool()},
                              {"progress", Int()},
                              {"threshold", Int()},
                              {"shares", Int()},
                              {"shares_in", ArrayOf(Int())}},
                             {"sealed", "progress", "threshold", "shares", "shares_in"});
  s["Sealed"] = Closed({{"sealed", {{"type", "boolean"}, {"enum", {true}}}}}, {"sealed"});
  // routes_accounts.cc: orgs, users (UserJson), tokens (TokenJson).
  s["OrgCreated"] = Closed({{"id", Str()}, {"admin_user_id", Str()}}, {"id", "admin_user_id"});
  s["Orgs"] = Obj(
      {{"orgs", ArrayOf(Closed(
                    {{"id", Str()},
                     {"name", Str()},
                     {"users", Int()},
                     {"created_at", Time()},
                     {"support_access_until",
                      {{"type", "string"}, {"description", "a date-time, or empty when closed"}}}},
                    {"id", "name", "users", "created_at", "support_access_until"}))}},
      {"orgs"});
  json role = {{"type", "string"}, {"enum", {"administrator", "editor", "viewer"}}};
  s["User"] =
      Closed({{"id", Str()},
              {"org_id", Str()},
              {"email", Str()},
              {"display_name", Str()},
              {"role", role},
              {"email_verified", Bool()},
              {"disabled", Bool()},
              {"mfa_enabled", Bool()},
              {"recovery_codes_left", Int()},
              {"passkeys", Int()},
              {"created_at", Time()},
              {"last_active_at", Time()}},
             {"id", "org_id", "email", "display_name", "role", "email_verified", "disabled",
              "mfa_enabled", "recovery_codes_left", "passkeys", "created_at", "last_active_at"});
  s["Users"] = Obj({{"users", ArrayOf(Ref("User"))}}, {"users"});
  s["UserCreated"] = Closed({{"id", Str()}}, {"id"});
  json token = {
      {"id", Str()},          {"kind", {{"type", "string"}, {"enum", {"session", "api"}}}},
      {"name", Str()},        {"scope", Str()},
      {"created_at", Time()}, {"last_seen_at", Time()},
      {"expires_at", Time()}, {"current", Bool()}};
  json token_required = {"id",         "kind",         "name",       "scope",
                         "created_at", "last_seen_at", "expires_at", "current"};
  s["Token"] = Closed(token, token_required);
  s["Tokens"] = Obj({{"tokens", ArrayOf(Ref("Token"))}}, {"tokens"});
  token["token"] = {{"type", "string"}, {"description", "the secret, shown this once"}};
  token_required.push_back("token");
  s["TokenCreated"] = Closed(token, token_required);
  s["People"] =
      Obj({{"people", ArrayOf(Closed({{"id", Str()}, {"display_name", Str()}, {"email", Str()}},
                                     {"id", "display_name", "email"}))}},
          {"people"});
  s["Revisions"] = Obj({{"revisions", ArrayOf(Closed({{"revision", Int()},
                                                      {"at", Time()},
                                                      {"actor_id", Str()},
                                                      {"items", Int()},
                                                      {"via", Str()},
                                                      {"source", Str()},
                                                      {"profile", Str()},
                                                      {"current", Bool()}},
                                                     {"revision", "at", "actor_id", "items", "via",
                                                      "source", "profile", "current"}))}},
                       {"revisions"});
  // The signed-in user (routes_accounts.cc me.get): the operator is {operator: true}; a member is
  // their User plus how this session may act.
  json member = s["User"];
  member["properties"]["operator"] = {{"type", "boolean"}, {"enum", {false}}};
  member["properties"]["read_only"] = Bool();
  member["properties"]["mfa_enrolment_required"] = Bool();
  for (const char* k : {"operator", "read_only", "mfa_enrolment_required"}) {
    member["required"].push_back(k);
  }
  member["additionalProperties"] = false;
  s["Me"] = {
      {"oneOf",
       {Closed({{"operator", {{"type", "boolean"}, {"enum", {true}}}}}, {"operator"}), member}}};
  s["TotpStarted"] = Closed({{"secret", Str()}, {"otpauth_uri", Str()}}, {"secret", "otpauth_uri"});
  s["TotpConfirmed"] = Closed({{"mfa_enabled", {{"type", "boolean"}, {"enum", {true}}}},
                               {"recovery_codes", ArrayOf(Str())}},
                              {"mfa_enabled", "recovery_codes"});
  s["RecoveryCodes"] = Closed({{"recovery_codes", ArrayOf(Str())}}, {"recovery_codes"});
  s["VerificationSent"] = Closed({{"sent", {{"type", "boolean"}, {"enum", {true}}}}}, {"sent"});
  s["EmailVerified"] =
      Closed({{"email_verified", {{"type", "boolean"}, {"enum", {true}}}}}, {"email_verified"});
  // Invitations (InvitationJson).
  s["Invitation"] =
      Closed({{"id", Str()},
              {"email", Str()},
              {"role", role},
              {"inviter_id", Str()},
              {"created_at", Time()},
              {"expires_at", Time()},
              {"status", Enum({"pending", "expired"})}},
             {"id", "email", "role", "inviter_id", "created_at", "expires_at", "status"});
  s["Invitations"] =
      Obj({{"invitations", ArrayOf(Ref("Invitation"))},
           {"next_after", {{"type", "string"}, {"description", "absent at the end"}}}},
          {"invitations"});
  s["InvitationAccepted"] = Closed({{"user_id", Str()}, {"org_id", Str()}, {"role", role}},
                                   {"user_id", "org_id", "role"});
  // The block list (BlockedJson).
  s["BlockedEntry"] = Closed({{"entry", Str()},
                              {"kind", Enum({"address", "domain"})},
                              {"created_by", Str()},
                              {"created_at", Time()}},
                             {"entry", "kind", "created_by", "created_at"});
  s["BlockedEntries"] = Obj({{"entries", ArrayOf(Ref("BlockedEntry"))}}, {"entries"});
  // Org settings (SettingsJson, SettingsPatch: an unknown key or a value out of range is 400).
  json settings = {{"sharing_enabled", Bool()},
                   {"audit_depth", IntIn(service::kMinAuditDepth, service::kMaxAuditDepth)},
                   {"mfa_policy", Enum({"optional", "administrators", "everyone"})},
                   {"purge_notice", Bool()},
                   {"purge_days", IntIn(service::kMinPurgeDays, service::kMaxPurgeDays)}};
  s["OrgSettings"] = Closed(
      settings, {"sharing_enabled", "audit_depth", "mfa_policy", "purge_notice", "purge_days"});
  // Column mappings (bom/mapping.cc): each maps a column to a field, a property, or nothing.
  json column = {{"type", "string"}};
  s["ColumnMapping"] = {
      {"oneOf",
       {Closed({{"column", column},
                {"field", Enum({"ref", "parent", "level", "find_number", "part_number",
                                "description", "quantity", "unit", "refdes"})}},
               {"column", "field"}),
        Closed({{"column", column}, {"property", Str()}}, {"column", "property"}),
        Closed({{"column", column}, {"ignore", {{"type", "boolean"}, {"enum", {true}}}}},
               {"column", "ignore"})}}};
  s["ColumnMappings"] = Obj({{"mappings", ArrayOf(Ref("ColumnMapping"))}}, {"mappings"});
  s["SupportAccessSet"] = Closed({{"hours", Int()}}, {"hours"});
  // Attachments (routes_attachments.cc AttachmentJson): width and height for images only.
  s["Attachment"] = Closed(
      {{"id", Str()},
       {"bom_id", Str()},
       {"kind", Enum({"thumbnail", "derivative"})},
       {"name", Str()},
       {"media_type", Str()},
       {"size", Int()},
       {"sha256", Str()},
       {"created_by", Str()},
       {"created_at", Time()},
       {"width", Int()},
       {"height", Int()}},
      {"id", "bom_id", "kind", "name", "media_type", "size", "sha256", "created_by", "created_at"});
  s["Attachments"] = Obj({{"attachments", ArrayOf(Ref("Attachment"))}}, {"attachments"});
  // Imports (routes_boms.cc): messages carry line and column when they point into the file.
  s["ImportMessage"] =
      Closed({{"code", Str()}, {"message", Str()}, {"line", Int()}, {"column", Int()}},
             {"code", "message"});
  s["Imported"] = Closed({{"id", Str()},
                          {"items", Int()},
                          {"profile", Str()},
                          {"skipped", Int()},
                          {"warnings", ArrayOf(Ref("ImportMessage"))},
                          {"encoding", Str()},
                          {"sheet", Str()}},
                         {"id", "items", "profile", "skipped", "warnings"});
  s["RevisionImported"] = Closed({{"revision", Int()},
                                  {"items", Int()},
                                  {"profile", Str()},
                                  {"skipped", Int()},
                                  {"warnings", ArrayOf(Ref("ImportMessage"))}},
                                 {"revision", "items", "profile", "skipped", "warnings"});
  s["ImportPreview"] = Closed(
      {{"profile", Str()},
       {"format", Str()},
       {"encoding", Str()},
       {"delimiter", Str()},
       {"sheet", Str()},
       {"sheets", ArrayOf(Str())},
       {"header_line", Int()},
       {"items", Int()},
       {"warnings", ArrayOf(Ref("ImportMessage"))},
       {"errors", ArrayOf(Ref("ImportMessage"))},
       {"counts", Closed({{"rows", Int()},
                          {"items", Int()},
                          {"skipped", Int()},
                          {"warnings", Int()},
                          {"errors", Int()}},
                         {"rows", "items", "skipped", "warnings", "errors"})},
       {"mapping", ArrayOf(Closed({{"column", Str()}, {"field", Str()}}, {"column", "field"}))},
       {"rows", ArrayOf(Ref("Item"))}},
      {"profile", "format", "encoding", "delimiter", "sheet", "sheets", "header_line", "items",
       "warnings", "errors", "counts", "mapping", "rows"});
  s["FlatRows"] = Obj(
      {{"rows",
        ArrayOf(Closed({{"part_number", Str()},
                        {"description", Str()},
                        {"unit", Str()},
                        {"total_quantity", {{"type", "number"}}},
                        {"occurrences", Int()}},
                       {"part_number", "description", "unit", "total_quantity", "occurrences"}))}},
      {"rows"});
  s["Comparison"] = Closed(
      {{"added", ArrayOf(Ref("Item"))},
       {"removed", ArrayOf(Ref("Item"))},
       {"changed",
        ArrayOf(Closed({{"key", Str()}, {"field", Str()}, {"before", Str()}, {"after", Str()}},
                       {"key", "field", "before", "after"}))}},
      {"added", "removed", "changed"});
  // Importer profiles (routes_imports.cc ProfileJson, codec/import_profile.cc).
  json profile_options = ProfileOptions();
  json closed_options = profile_options;
  closed_options["additionalProperties"] = false;
  closed_options["required"] = {"on_error"};
  s["ImportProfile"] =
      Closed({{"id", Str()},
              {"name", Str()},
              {"base", Str()},
              {"mappings", ArrayOf(Ref("ColumnMapping"))},
              {"options", closed_options},
              {"created_at", Time()},
              {"updated_at", Time()}},
             {"id", "name", "base", "mappings", "options", "created_at", "updated_at"});
  s["ImportProfiles"] =
      Obj({{"profiles", ArrayOf(Ref("ImportProfile"))}, {"builtin", ArrayOf(Str())}},
          {"profiles", "builtin"});
  // The operator's lifecycle routes (routes_lifecycle.cc).
  s["Backup"] = Closed({{"snapshot", Str()},
                        {"at", Time()},
                        {"bytes", Int()},
                        {"orgs", Int()},
                        {"users", Int()},
                        {"boms", Int()},
                        {"items", Int()},
                        {"attachments", Int()},
                        {"expired", Int()},
                        {"millis", Int()},
                        {"verified", {{"type", "boolean"}, {"enum", {true}}}}},
                       {"snapshot", "at", "bytes", "orgs", "users", "boms", "items", "attachments",
                        "expired", "millis", "verified"});
  s["BackupTargets"] = Obj(
      {{"targets",
        ArrayOf(Closed(
            {{"path", Str()},
             {"last_success_at", {{"type", "integer"}, {"description", "unix seconds, 0: never"}}},
             {"last_snapshot", Str()},
             {"keys_pending", Bool()}},
            {"path", "last_success_at", "last_snapshot", "keys_pending"}))}},
      {"targets"});
  s["KeysRotated"] = Closed({{"rotated", ArrayOf(Str())}}, {"rotated"});
  s["KeyRotation"] =
      Closed({{"in_progress", Bool()},
              {"rotations",
               ArrayOf(Closed({{"org_id", Str()},
                               {"pass", IntIn(1, 2)},
                               {"step", Int()},
                               {"steps", Int()},
                               {"resealed", Int()},
                               {"started_at", Time()}},
                              {"org_id", "pass", "step", "steps", "resealed", "started_at"}))},
              {"retired_keys",
               ArrayOf(Closed({{"org_id", Str()},
                               {"retired_at", Time()},
                               {"kept_for", Enum({"reseal", "backups", "audit_chain", ""})},
                               {"resealed_at", Time()}},
                              {"org_id", "retired_at", "kept_for"}))},
              {"unreadable", Int()}},
             {"in_progress", "rotations", "retired_keys", "unreadable"});
  s["Ready"] = Closed({{"status", Enum({"ready"})}}, {"status"});
  // Passkeys (routes_passkeys.cc): the W3C JSON forms, binary values as base64url.
  json descriptor = Closed({{"type", Enum({"public-key"})}, {"id", Str()}}, {"type", "id"});
  s["PasskeyCreationOptions"] = Closed(
      {{"publicKey",
        Closed(
            {{"challenge", Str()},
             {"rp", Closed({{"id", Str()}, {"name", Str()}}, {"id", "name"})},
             {"user", Closed({{"id", Str()}, {"name", Str()}, {"displayName", Str()}},
                             {"id", "name", "displayName"})},
             {"pubKeyCredParams",
              ArrayOf(Closed({{"type", Enum({"public-key"})}, {"alg", Int()}}, {"type", "alg"}))},
             {"timeout", Int()},
             {"excludeCredentials", ArrayOf(descriptor)},
             {"authenticatorSelection",
              Closed({{"residentKey", Str()},
                      {"requireResidentKey", Bool()},
                      {"userVerification", Str()}},
                     {"residentKey", "requireResidentKey", "userVerification"})},
             {"attestation", Enum({"none"})}},
            {"challenge", "rp", "user", "pubKeyCredParams", "timeout", "excludeCredentials",
             "authenticatorSelection", "attestation"})}},
      {"publicKey"});
  s["PasskeyRequestOptions"] =
      Closed({{"publicKey",
               Closed({{"challenge", Str()},
                       {"rpId", Str()},
                       {"timeout", Int()},
                       {"allowCredentials", ArrayOf(descriptor)},
                       {"userVerification", Enum({"required", "discouraged"})}},
                      {"challenge", "rpId", "timeout", "allowCredentials", "userVerification"})}},
             {"publicKey"});
  json credential = Obj({{"id", Str()},
                         {"rawId", Str()},
                         {"type", Enum({"public-key"})},
                         {"response", Obj({{"clientDataJSON", Str()},
                                           {"attestationObject", Str()},
                                           {"authenticatorData", Str()},
                                           {"signature", Str()},
                                           {"userHandle", Nullable(Str())}},
                                          {"clientDataJSON"})}},
                        {"id", "response"});
  s["PasskeyCredential"] = credential;
  s["Passkey"] = Closed({{"id", Str()},
                         {"name", Str()},
                         {"algorithm", Enum({"EdDSA", "ES256"})},
                         {"created_at", Time()},
                         {"last_used_at", TimeOrEmpty("when never used")}},
                        {"id", "name", "algorithm", "created_at", "last_used_at"});
  s["Passkeys"] = Obj({{"passkeys", ArrayOf(Ref("Passkey"))}}, {"passkeys"});
  // Data sources (routes_sources.cc SourceJson, codec/source_config.cc SourceSettingsJson):
  // Editors and Viewers get id, name, kind and connected; Administrators the configuration too.
  json source_config = SourceSettingsProperties();
  s["SourceCreated"] = Closed({{"id", Str()}}, {"id"});
  json source_out = source_config;
  source_out["id"] = Str();
  source_out["connected"] = Bool();
  source_out["client_secret_set"] = Bool();
  source_out["created_at"] = Time();
  source_out["updated_at"] = Time();
  s["Source"] = Closed(source_out, {"id", "name", "kind", "connected"});
  s["Sources"] = Obj({{"sources", ArrayOf(Ref("Source"))}}, {"sources"});
  s["Authorization"] =
      Closed({{"authorize_url", Str()}, {"state", Str()}}, {"authorize_url", "state"});
  s["JobSubmitted"] = Closed({{"job_id", Str()}}, {"job_id"});
  s["SourceFiles"] = Obj({{"files", ArrayOf(Closed({{"name", Str()},
                                                    {"size", Int()},
                                                    {"modified_at", Time()},
                                                    {"state", Enum({"new", "changed", "pulled"})}},
                                                   {"name", "size", "modified_at", "state"}))}},
                         {"files"});
  s["Job"] = Closed({{"id", Str()},
                     {"kind", Enum({"pull", "send"})},
                     {"state", Enum({"queued", "running", "done", "failed"})},
                     {"progress", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
                     {"created_at", Time()},
                     {"result", {{"description", "what the job did, when done"}}},
                     {"error", Closed({{"code", Str()}, {"message", Str()}}, {"code", "message"})}},
                    {"id", "kind", "state", "progress", "created_at"});
  // Single sign-on (routes_sso.cc).
  json provider = {{"issuer", Str()},
                   {"client_id", Str()},
                   {"algorithms", ArrayOf(Enum({"RS256", "ES256", "EdDSA"}))},
                   {"display_name", Str()},
                   {"default_role", role},
                   {"provisioning", Enum({"jit", "invitation"})},
                   {"groups_claim", Str()},
                   {"group_roles", {{"type", "object"}, {"additionalProperties", Str()}}},
                   {"mfa_acr_values", ArrayOf(Str())},
                   {"max_session_seconds", Int()},
                   {"internal", Bool()},
                   {"ca_pem", Str()}};
  json provider_out = provider;
  provider_out["has_client_secret"] = Bool();
  provider_out["redirect_uri"] = Str();
  provider_out["local_passwords"] = Bool();
  json provider_required = json::array();
  for (auto it = provider_out.begin(); it != provider_out.end(); ++it) {
    provider_required.push_back(it.key());
  }
  s["SsoProvider"] = Closed(provider_out, provider_required);
  s["SsoPublic"] =
      Closed({{"display_name", Str()}, {"start_url", Str()}}, {"display_name", "start_url"});
  s["SsoLink"] = Closed({{"authorization_url", Str()}}, {"authorization_url"});
  s["SsoLogout"] = Closed({{"logout_url", {{"type", "string"}, {"description", "\"\" when none"}}}},
                          {"logout_url"});
  s["BreakGlassSession"] =
      Closed({{"token", Str()},
              {"user", Closed({{"id", Str()}, {"org_id", Str()}}, {"id", "org_id"})},
              {"expires_at", Time()}},
             {"token", "user", "expires_at"});
  return s;
}

}  // namespace

nlohmann::json SourceSettingsSchema(bool create) {
  json properties = SourceSettingsProperties();
  properties["client_secret"] = Str();
  return Obj(properties, create ? json{"name", "kind"} : json::array());
}

nlohmann::json ImportProfileSchema() {
  return Obj({{"name", Str()},
              {"base", Str()},
              {"mappings", ArrayOf(Ref("ColumnMapping"))},
              {"options", ProfileOptions()}},
             {"name"});
}

const nlohmann::json& OpenApiSchemas() {
  static const nlohmann::json kSchemas = BuildSchemas();
  return kSchemas;
}

}  // namespace bomvault::http
