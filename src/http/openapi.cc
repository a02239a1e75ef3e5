// /api/v1/openapi.json, generated from the route table (RouteSpec and its Doc), and the JSON
// Schema of every body type the typed routes take or send. The schemas describe what the handlers
// really parse and write (bom/json_body.cc, http/json_out.cc, the routes_*.cc writers); the
// conformance test (tests/integration/test_openapi.py) drives the real binary and checks every
// answer's status and body against this document.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

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
  s["ShareRequest"] = Obj({{"user_id", Str()}, {"access", access}}, {"user_id", "access"});
  s["Share"] = Closed({{"user_id", Str()}, {"access", access}}, {"user_id", "access"});
  s["TransferRequest"] = Obj({{"user_id", Str()}}, {"user_id"});
  s["Transferred"] = Closed({{"id", Str()}, {"owner_id", Str()}}, {"id", "owner_id"});
  // api.cc SendAuditEntries; "change" is whatever the action recorded.
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
  s["SignIn"] = Obj({{"email", Str()},
                     {"password", Str()},
                     {"totp", Str()},
                     {"recovery_code", Str()},
                     {"cookie", {{"type", "boolean"}, {"nullable", true}}}},
                    {"email", "password"});
  s["Session"] = Closed(
      {{"token", {{"type", "string"}, {"description", "empty with cookie: true"}}},
       {"cookie", Bool()},
       {"user", Obj({{"id", Str()}, {"org_id", Str()}, {"role", Str()}}, {"id", "org_id", "role"})},
       {"expires_at", Time()},
       {"mfa_enrolment_required", Bool()}},
      {"token", "user", "expires_at", "mfa_enrolment_required"});
  s["Reauth"] = Obj({{"password", Str()}, {"totp", Str()}, {"recovery_code", Str()}}, {"password"});
  s["Reauthenticated"] = Closed({{"authenticated_at", Time()},
                                 {"reauth_until",
                                  {{"type", "string"},
                                   {"format", "date-time"},
                                   {"description", "sensitive operations are open until then"}}}},
                                {"authenticated_at", "reauth_until"});
  s["UnsealRequest"] = Obj({{"share", Str()}, {"reset", Bool()}}, {"share"});
  s["UnsealStatus"] = Closed({{"sealed", Bool()},
                              {"progress", Int()},
                              {"threshold", Int()},
                              {"shares", Int()},
                              {"shares_in", ArrayOf(Int())}},
                             {"sealed", "progress", "threshold", "shares", "shares_in"});
  s["Sealed"] = Closed({{"sealed", {{"type", "boolean"}, {"enum", {true}}}}}, {"sealed"});
  // routes_accounts.cc: orgs, users (UserJson), tokens (TokenJson).
  s["OrgCreate"] = Obj({{"name", Str()}, {"admin_email", Str()}, {"admin_password", Str()}},
                       {"name", "admin_email", "admin_password"});
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
  s["UserCreate"] =
      Obj({{"email", Str()}, {"password", Str()}, {"role", role}}, {"email", "password", "role"});
  s["UserCreated"] = Closed({{"id", Str()}}, {"id"});
  s["UserChange"] = Obj({{"role", role}, {"disabled", Bool()}}, json::array());
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
  s["TokenCreate"] = Obj({{"name", Str()},
                          {"scope", {{"type", "string"}, {"enum", {"read", "write"}}}},
                          {"days", Int()}},
                         {"name", "scope"});
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
  s["MeChange"] =
      Obj({{"display_name", {{"type", "string"}, {"maxLength", 100}}}}, {"display_name"});
  // Bodies that carry nothing the route reads: {} (or no body at all).
  s["Empty"] = {{"type", "object"}};
  s["TotpStarted"] = Closed({{"secret", Str()}, {"otpauth_uri", Str()}}, {"secret", "otpauth_uri"});
  s["TotpCode"] = Obj({{"code", Str()}}, {"code"});
  s["TotpConfirmed"] = Closed({{"mfa_enabled", {{"type", "boolean"}, {"enum", {true}}}},
                               {"recovery_codes", ArrayOf(Str())}},
                              {"mfa_enabled", "recovery_codes"});
  s["RecoveryCodes"] = Closed({{"recovery_codes", ArrayOf(Str())}}, {"recovery_codes"});
  s["PasswordProof"] = Obj({{"password", Str()}}, {"password"});
  s["PasswordChange"] =
      Obj({{"current_password", Str()}, {"new_password", Str()}, {"sign_out_others", Bool()}},
          {"current_password", "new_password"});
  s["VerificationSent"] = Closed({{"sent", {{"type", "boolean"}, {"enum", {true}}}}}, {"sent"});
  s["VerifyEmail"] = Obj({{"token", Str()}}, {"token"});
  s["EmailVerified"] =
      Closed({{"email_verified", {{"type", "boolean"}, {"enum", {true}}}}}, {"email_verified"});
  // Invitations (InvitationJson).
  s["InvitationCreate"] = Obj({{"email", Str()}, {"role", role}}, {"email", "role"});
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
  s["InvitationAccept"] = Obj({{"token", Str()}, {"password", Str()}}, {"token", "password"});
  s["InvitationAccepted"] = Closed({{"user_id", Str()}, {"org_id", Str()}, {"role", role}},
                                   {"user_id", "org_id", "role"});
  // The block list (BlockedJson).
  s["BlockEntry"] = Obj({{"entry", Str()}}, {"entry"});
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
  s["OrgSettingsChange"] = Closed(settings, json::array());
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
  s["SupportAccess"] = Obj({{"hours", IntIn(0, 72)}}, {"hours"});
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
  // Importer profiles (service/import_profiles.cc ToJson).
  json profile_options =
      Obj({{"charset", Str()}, {"sheet", Str()}, {"on_error", Enum({"skip", "strict"})}},
          json::array());
  s["ImportProfileIn"] = Obj({{"name", Str()},
                              {"base", Str()},
                              {"mappings", ArrayOf(Ref("ColumnMapping"))},
                              {"options", profile_options}},
                             {"name"});
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
  s["BackupRequest"] = Obj({{"to", Str()}, {"store_id", Str()}}, {"to"});
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
  s["KeyRotate"] = Obj({{"org_id", Str()}}, json::array());
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
  s["PasskeyRegister"] = Obj({{"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}},
                              {"credential", Ref("PasskeyCredential")}},
                             {"name", "credential"});
  s["Passkey"] = Closed({{"id", Str()},
                         {"name", Str()},
                         {"algorithm", Enum({"EdDSA", "ES256"})},
                         {"created_at", Time()},
                         {"last_used_at", TimeOrEmpty("when never used")}},
                        {"id", "name", "algorithm", "created_at", "last_used_at"});
  s["Passkeys"] = Obj({{"passkeys", ArrayOf(Ref("Passkey"))}}, {"passkeys"});
  s["PasskeyRename"] = Obj({{"name", Str()}}, {"name"});
  s["PasskeySignInStart"] = Obj({{"email", Str()}, {"password", Str()}}, json::array());
  s["PasskeySignIn"] =
      Obj({{"credential", Ref("PasskeyCredential")}, {"cookie", Nullable(Bool())}}, {"credential"});
  // Data sources (routes_sources.cc SourceJson, service/source_config.cc ToJson): Editors and
  // Viewers get id, name, kind and connected; Administrators the configuration too.
  json rules = Obj({{"skip_part_numbers", ArrayOf(Str())},
                    {"units", {{"type", "object"}, {"additionalProperties", Str()}}}},
                   json::array());
  json source_config = {{"name", Str()},
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
  json source_in = source_config;
  source_in["client_secret"] = Str();
  s["SourceCreate"] = Obj(source_in, {"name", "kind"});
  s["SourceChange"] = Obj(source_in, json::array());
  s["SourceCreated"] = Closed({{"id", Str()}}, {"id"});
  json source_out = source_config;
  source_out["id"] = Str();
  source_out["connected"] = Bool();
  source_out["client_secret_set"] = Bool();
  source_out["created_at"] = Time();
  source_out["updated_at"] = Time();
  s["Source"] = Closed(source_out, {"id", "name", "kind", "connected"});
  s["Sources"] = Obj({{"sources", ArrayOf(Ref("Source"))}}, {"sources"});
  s["SourceConnect"] = Obj({{"username", Str()},
                            {"password", Str()},
                            {"api_key", Str()},
                            {"client_id", Str()},
                            {"client_secret", Str()},
                            {"code", Str()},
                            {"state", Str()}},
                           json::array());
  s["AuthorizeRequest"] = Obj({{"redirect_uri", Str()}}, {"redirect_uri"});
  s["Authorization"] =
      Closed({{"authorize_url", Str()}, {"state", Str()}}, {"authorize_url", "state"});
  s["PullRequest"] = Obj(
      {{"remote_id", {{"type", "string"}, {"maxLength", 256}}}, {"bom_id", Str()}}, json::array());
  s["SendRequest"] = Obj({{"source_id", Str()}}, {"source_id"});
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
  json provider_in = provider;
  provider_in["client_secret"] = Str();
  s["SsoProviderIn"] = Closed(provider_in, {"issuer", "client_id", "display_name"});
  json provider_out = provider;
  provider_out["has_client_secret"] = Bool();
  provider_out["redirect_uri"] = Str();
  provider_out["local_passwords"] = Bool();
  json provider_required = json::array();
  for (auto it = provider_out.begin(); it != provider_out.end(); ++it) {
    provider_required.push_back(it.key());
  }
  s["SsoProvider"] = Closed(provider_out, provider_required);
  s["LocalPasswords"] = Obj({{"enabled", Bool()}}, {"enabled"});
  s["SsoPublic"] =
      Closed({{"display_name", Str()}, {"start_url", Str()}}, {"display_name", "start_url"});
  s["SsoLink"] = Closed({{"authorization_url", Str()}}, {"authorization_url"});
  s["SsoLogout"] = Closed({{"logout_url", {{"type", "string"}, {"description", "\"\" when none"}}}},
                          {"logout_url"});
  s["BreakGlassRequest"] = Obj({{"user_id", Str()}, {"reason", Str()}}, {"user_id", "reason"});
  s["BreakGlassSession"] =
      Closed({{"token", Str()},
              {"user", Closed({{"id", Str()}, {"org_id", Str()}}, {"id", "org_id"})},
              {"expires_at", Time()}},
             {"token", "user", "expires_at"});
  return s;
}

json ErrorResponse(int status) {
  static const std::map<int, const char*> kWhat = {
      {400, "Malformed input"},
      {401, "Sign-in required or the token is invalid"},
      {403, "Not permitted"},
      {404, "Not found, or not visible to the caller"},
      {409, "Conflict"},
      {412, "Precondition failed: the object changed since the If-Match tag was read"},
      {413, "Body too large"},
      {415, "Not JSON"},
      {422, "Unprocessable"},
      {424, "A dependency failed"},
      {429, "Too many requests (Retry-After)"},
      {503, "Sealed or busy"}};
  auto it = kWhat.find(status);
  return {{"description", it == kWhat.end() ? "Error" : it->second},
          {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
}

std::string Tag(const char* path) {
  // /api/v1/<first segment>
  std::string p = path;
  const std::string prefix = "/api/v1/";
  if (p.rfind(prefix, 0) != 0) return "system";
  p = p.substr(prefix.size());
  p = p.substr(0, p.find('/'));
  if (p == "health" || p == "unseal" || p == "seal" || p == "openapi.json") return "system";
  return p;
}

}  // namespace

std::vector<DocQuery> AuditQueryDoc() {
  return {{"object", "string", "instance, or kind:id such as bom:bom_…"},
          {"actor", "string", "an actor's id"},
          {"action", "string", "an action name"},
          {"from", "integer", "unix seconds", 0},
          {"to", "integer", "unix seconds", 0},
          {"before", "integer", "the next_before of the previous page (cursor is preferred)", 0},
          {"limit", "integer", "page size (default 100)", 1, 500}};
}

const nlohmann::json& OpenApiSchemas() {
  static const nlohmann::json kSchemas = BuildSchemas();
  return kSchemas;
}

nlohmann::json Api::OpenApi() const {
  json paths = json::object();
  std::set<std::string> tags;
  const json signed_in = json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}});
  for (const RouteSpec& r : routes_) {
    std::string method = r.method;
    for (char& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const std::string tag = Tag(r.path);
    tags.insert(tag);
    json op = {{"summary", r.summary},
               {"operationId", r.name.s},
               {"tags", {tag}},
               {"x-while-sealed", r.while_sealed}};
    op["security"] = r.auth != Auth::kNone ? signed_in : json::array();
    if (r.auth == Auth::kRecent) {
      op["x-reauth"] = true;
      op["description"] =
          "Sensitive: a browser session must have proved who it is within the last " +
          std::to_string(options_.reauth_window_seconds) +
          " seconds (the sign-in itself counts; POST /api/v1/sessions/current/reauth proves it "
          "again), else 403 reauth_required and nothing changes. API tokens get 403 "
          "interactive_session_required.";
    }
    json params = json::array();
    for (const char* p = r.path; *p != 0; ++p) {
      if (*p == '{') {
        const char* e = p;
        while (*e != 0 && *e != '}') ++e;
        params.push_back({{"name", std::string(p + 1, e)},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}, {"maxLength", 200}}}});
        p = e;
        if (*p == 0) break;
      }
    }
    const bool has_path_ids = !params.empty();
    for (const DocQuery& q : r.doc.query) {
      json schema = {{"type", q.type}};
      if (q.minimum >= 0) schema["minimum"] = q.minimum;
      if (q.maximum >= 0) schema["maximum"] = q.maximum;
      params.push_back({{"name", q.name},
                        {"in", "query"},
                        {"required", q.required},
                        {"description", q.description},
                        {"schema", schema}});
    }
    auto header_param = [&](const char* name, const char* description) {
      params.push_back({{"name", name},
                        {"in", "header"},
                        {"required", false},
                        {"description", description},
                        {"schema", Str()}});
    };
    if (r.doc.etag && method == "get") {
      header_param("If-None-Match", "an ETag from an earlier read: 304 while it is still current");
    } else if (r.doc.etag) {
      header_param("If-Match",
                   "the ETag this change is based on (or *): 412 precondition_failed, nothing "
                   "changed, when the object changed since; absent, the change is unconditional");
    }
    if (r.doc.idempotent) {
      header_param("Idempotency-Key",
                   "1-255 visible ASCII characters: a retry with the same key, path, query and "
                   "body within 24 hours answers the first 2xx again (Idempotent-Replayed: "
                   "true); the same key with another request is 422, while it runs 409");
    }
    if (r.doc.list_max > 0) {
      const bool has_limit =
          std::any_of(r.doc.query.begin(), r.doc.query.end(),
                      [](const DocQuery& q) { return q.name == std::string("limit"); });
      if (!has_limit) {
        params.push_back(
            {{"name", "limit"},
             {"in", "query"},
             {"required", false},
             {"description", "page size"},
             {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", r.doc.list_max}}}});
      }
      params.push_back({{"name", "cursor"},
                        {"in", "query"},
                        {"required", false},
                        {"description", "the next_cursor of the previous page"},
                        {"schema", Str()}});
    }
    if (!params.empty()) op["parameters"] = params;
    // A DELETE may carry a JSON body too (an address to unblock, a password to prove).
    const bool has_body =
        method == "post" || method == "patch" || method == "put" || r.doc.request != nullptr;
    if (r.doc.request != nullptr) {
      // "Empty": the route reads nothing from its body, and no body at all is {} (JsonBody).
      op["requestBody"] = {{"required", std::string(r.doc.request) != "Empty"},
                           {"content", {{"application/json", {{"schema", Ref(r.doc.request)}}}}}};
    } else if (r.doc.request_media != nullptr) {
      op["requestBody"] = {
          {"required", true},
          {"content",
           {{r.doc.request_media, {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
    }
    json responses = json::object();
    {
      for (const DocResponse& d : r.doc.responses) {
        const std::string key = std::to_string(d.status);
        json resp =
            responses.contains(key)
                ? responses[key]
                : json{{"description", d.status == 201   ? "Created"
                                       : d.status == 202 ? "Accepted"
                                       : d.status == 204 ? "No content"
                                       : d.status == 302 ? "Found: the browser goes on to Location"
                                                         : "Success"}};
        if (d.media != nullptr) {
          const bool text = std::string(d.media).rfind("text/", 0) == 0;
          resp["content"][d.media] = {
              {"schema", text ? Str() : json{{"type", "string"}, {"format", "binary"}}}};
        } else if (d.schema != nullptr) {
          resp["content"]["application/json"] = {{"schema", Ref(d.schema)}};
        }
        if (d.status >= 300 && d.status < 400) {
          resp["headers"]["Location"] = {{"description", "where the browser goes next"},
                                         {"required", true},
                                         {"schema", Str()}};
        }
        if (d.schema != nullptr && r.doc.list_max > 0 && d.status == 200) {
          // Every list answers its body plus next_cursor, and the next page as a Link header.
          resp["content"]["application/json"]["schema"] = {
              {"allOf",
               {Ref(d.schema),
                Obj({{"next_cursor",
                      {{"type", "string"}, {"description", "absent on the last page"}}}},
                    json::array())}}};
          resp["headers"]["Link"] = {{"description", "<next page URL>; rel=\"next\""},
                                     {"required", false},
                                     {"schema", Str()}};
        }
        if (d.status == 201) {
          resp["headers"]["Location"] = {
              {"description", "the created resource's path under /api/v1"},
              {"required", true},
              {"schema", Str()}};
        }
        if (d.status == 201 && r.doc.idempotent) {
          resp["headers"]["Idempotent-Replayed"] = {
              {"description", "\"true\" on the replay of an earlier answer to the same key"},
              {"required", false},
              {"schema", Str()}};
        }
        if (r.doc.etag && (method == "get" || method == "patch") && d.status == 200) {
          resp["headers"]["ETag"] = {{"description", "the object's entity tag (strong)"},
                                     {"required", true},
                                     {"schema", Str()}};
        }
        responses[key] = resp;
      }
      std::set<int> errors(r.doc.errors.begin(), r.doc.errors.end());
      if (r.doc.etag && method != "get") errors.insert(412);
      if (r.doc.idempotent) errors.insert({409, 422});
      errors.insert(429);
      if (!r.doc.query.empty() || r.doc.list_max > 0 || has_body) errors.insert(400);
      if (has_body) errors.insert(413);
      // Raw bodies are taken whatever their Content-Type; JSON bodies must say application/json.
      if (has_body && r.doc.request_media == nullptr) errors.insert(415);
      // A session cookie sent without X-Bomvault-Csrf is refused on every write (api.cc).
      if (method != "get") errors.insert(403);
      if (r.auth != Auth::kNone) errors.insert({401, 403});
      if (has_path_ids) errors.insert(404);
      if (!r.while_sealed) errors.insert(503);
      for (int e : errors) responses[std::to_string(e)] = ErrorResponse(e);
    }
    if (r.doc.etag && method == "get") {
      responses["304"] = {
          {"description", "Not modified: If-None-Match names the current ETag"},
          {"headers",
           {{"ETag",
             {{"description", "the current entity tag"}, {"required", true}, {"schema", Str()}}}}}};
    }
    paths[r.path][method] = op;
    paths[r.path][method]["responses"] = responses;
  }
  static const std::map<std::string, const char*> kTagWhat = {
      {"audit", "The organisation's audit log"},
      {"backups", "Operator: verified, encrypted backups"},
      {"boms", "Bills of materials: create, import, read, views, share, transfer, attachments"},
      {"directory", "Colleagues of the organisation, to share with"},
      {"instance", "Operator: the instance's own events"},
      {"invitations", "Invitations by mail, and accepting them"},
      {"jobs", "Pulls from and sends to data sources, as jobs"},
      {"keys", "Operator: data-key rotation"},
      {"me", "The signed-in user: profile, tokens, second factors, passkeys, password"},
      {"metrics", "Operator: Prometheus metrics"},
      {"org", "The organisation's settings, block list, mappings, profiles and single sign-on"},
      {"orgs", "Operator: organisations, support reads, break-glass sessions"},
      {"ready", "Readiness probe"},
      {"sessions", "Sign-in (password, passkey), re-authentication, sign-out"},
      {"sources", "Data sources and each user's own connection to them"},
      {"sso", "Single sign-on through the organisation's OpenID Connect provider"},
      {"system", "Liveness, seal and unseal, this description"},
      {"users", "The organisation's accounts"},
      {"verify-email", "Verifying an address from its mailed link"},
      {"where-used", "The BOMs that use a part"}};
  json tag_list = json::array();
  for (const std::string& t : tags) {
    json tag = {{"name", t}};
    if (auto it = kTagWhat.find(t); it != kTagWhat.end()) tag["description"] = it->second;
    tag_list.push_back(tag);
  }
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "bomvault"},
        {"version", BOMVAULT_VERSION},
        {"description", "The JSON API of bomvault. Errors are {\"error\":{\"code\",\"message\"}}."},
        {"license",
         {{"name", "Apache-2.0"}, {"url", "https://www.apache.org/licenses/LICENSE-2.0"}}}}},
      {"servers", {{{"url", "/"}}}},
      {"tags", tag_list},
      {"components",
       {{"securitySchemes",
         {{"bearer",
           {{"type", "http"},
            {"scheme", "bearer"},
            {"description", "An API token or a session token (POST /api/v1/sessions)"}}},
          {"cookie",
           {{"type", "apiKey"},
            {"in", "cookie"},
            {"name", SessionCookieName(options_.tls)},
            {"description",
             "The session cookie; writes also need the header X-Bomvault-Csrf: 1"}}}}},
        {"schemas", OpenApiSchemas()}}},
      {"paths", paths}};
}

}  // namespace bomvault::http
