// Routes for people: the signed-in user's own account (GET/PATCH /me), the org directory and the
// Administrators' user management (service/users.h). Each handler asks access:: (Require, or the
// service) before it reads the body's data.
#include "http/account_routes.h"
#include "http/api.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using access::Function;
using util::Status;

nlohmann::json UserJson(const service::UserView& u) {
  return {{"id", u.id.str()},
          {"org_id", u.org.str()},
          {"email", u.email},
          {"display_name", u.display_name},
          {"role", access::RoleName(u.role)},
          {"email_verified", u.email_verified},
          {"disabled", u.disabled},
          {"mfa_enabled", u.mfa_enabled},
          {"recovery_codes_left", u.recovery_codes_left},
          {"passkeys", u.passkeys},
          {"created_at", util::FormatUtc(u.created_at)},
          {"last_active_at", util::FormatUtc(u.last_active_at)}};
}

void RegisterUserRoutes(Api& api) {
  // --- The signed-in user ---
  api.Route({"GET",
             "/api/v1/me",
             "me.get",
             Auth::kSignedIn,
             false,
             "Who am I",
             {.responses = {{200, "Me"}}, .etag = true}},
            [](Ctx& c) {
              if (c.principal.kind == access::PrincipalKind::kOperator) {
                // The operator's answer never changes: one tag, so it is conditional like the rest.
                if (Fresh(c, util::EntityTag(0, "operator"))) return;
                SendJson(c, 200, {{"operator", true}});
                return;
              }
              auto r = c.s().accounts->GetUser(c.principal, c.principal.user);
              if (!r.ok()) return SendError(c, r.status());
              if (Fresh(c, service::MeEtag(r->version, c.principal))) return;
              nlohmann::json j = UserJson(r.value());
              j["operator"] = false;
              j["read_only"] = c.principal.read_only;
              j["mfa_enrolment_required"] = c.principal.mfa_enrolment_only;
              SendJson(c, 200, j);
            });

  api.Route({"PATCH",
             "/api/v1/me",
             "me.update",
             Auth::kSignedIn,
             false,
             "Change this user's own profile {display_name: str (0-100 characters; empty "
             "clears it)}",
             {.request = "MeChange", .responses = {{200, "User"}}, .etag = true},
             Function::kSelfManage},
            [](Ctx& c) {
              auto body = JsonBody(c, 4096);
              if (!body) return;
              auto name = StringField(c, *body, "display_name", true);
              if (!name) return;
              Status st = c.s().accounts->SetDisplayName(c.principal, *name, IfMatchOf(c));
              if (!st.ok()) return SendError(c, st);
              auto r = c.s().accounts->GetUser(c.principal, c.principal.user);
              if (!r.ok()) return SendError(c, r.status());
              c.res.set_header("ETag", service::MeEtag(r->version, c.principal));
              SendJson(c, 200, UserJson(r.value()));
            });

  api.Route(
      {"GET",
       "/api/v1/directory",
       "directory.search",
       Auth::kSignedIn,
       false,
       "Every member: colleagues in this organisation {people: [{id, display_name, "
       "email}]} whose name or address contains q (case-insensitive), by name; limit "
       "1-200 (default 20); disabled accounts and other organisations never appear",
       {.responses = {{200, "People"}},
        .query = {{"q", "string", "name or address contains (at most 254 characters)"},
                  {"limit", "integer", "at most this many (default 20)", 1, 200}}},
       Function::kDirectoryRead},
      [](Ctx& c) {
        auto limit = IntParam(c, "limit", 1, 200, 20);
        if (!limit) return;
        std::string q = c.req.get_param_value("q");
        if (q.size() > 254) {
          return SendError(
              c, Status::Invalid("invalid_parameter", "\"q\" has at most 254 characters"));
        }
        auto r = c.s().accounts->Directory(c.principal, q, static_cast<size_t>(*limit));
        if (!r.ok()) return SendError(c, r.status());
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : r.value()) {
          out.push_back({{"id", e.id.str()}, {"display_name", e.display_name}, {"email", e.email}});
        }
        SendJson(c, 200, {{"people", out}});
      });

  // --- Users (org Administrators) ---
  api.Route({"POST",
             "/api/v1/users",
             "users.create",
             Auth::kRecent,
             false,
             "Administrator: add a local account {email, password, role}",
             {.request = "UserCreate",
              .responses = {{201, "UserCreated"}},
              .errors = {409},
              .idempotent = true},
             Function::kUserCreate},
            [](Ctx& c) {
              auto body = JsonBody(c, 8192);
              if (!body) return;
              auto email = StringField(c, *body, "email", true);
              if (!email) return;
              auto password = StringField(c, *body, "password", true);
              if (!password) return;
              auto role = StringField(c, *body, "role", true);
              if (!role) return;
              auto r = c.s().accounts->CreateUser(c.principal, *email, *password, *role);
              if (!r.ok()) return SendError(c, r.status());
              SendCreated(c, "/api/v1/users/" + r->str(), {{"id", r->str()}});
            });

  api.Route({"GET",
             "/api/v1/users",
             "users.list",
             Auth::kSignedIn,
             false,
             "Administrator: the organisation's users, oldest first",
             {.responses = {{200, "Users"}}, .list_max = 1000},
             Function::kUserList},
            [](Ctx& c) {
              auto page = PageParams(c, 1000, 1000);
              if (!page) return;
              auto r = c.s().accounts->ListUsers(c.principal);
              if (!r.ok()) return SendError(c, r.status());
              std::optional<std::string> next;
              auto rows = Paginate<service::UserView>(
                  std::move(r.value()),
                  [](const service::UserView& u) { return TimeIdKey(u.created_at, u.id.str()); },
                  false, *page, &next);
              nlohmann::json out = nlohmann::json::array();
              for (const auto& u : rows) out.push_back(UserJson(u));
              nlohmann::json body = {{"users", out}};
              AddNextPage(c, body, next);
              SendJson(c, 200, body);
            });

  api.Route(
      {"PATCH",
       "/api/v1/users/{id}",
       "users.update",
       Auth::kRecent,
       false,
       "Administrator: change a user's role or disable them {role?, disabled?}",
       {.request = "UserChange", .responses = {{200, "User"}}, .errors = {409}, .etag = true},
       Function::kUserUpdate},
      [](Ctx& c) {
        auto id = PathId<util::UserId>(c, 1);
        if (!id) return;
        auto body = JsonBody(c, 4096);
        if (!body) return;
        std::optional<std::string> role;
        std::optional<bool> disabled;
        if (body->contains("role")) {
          auto r = StringField(c, *body, "role", true);
          if (!r) return;
          role = *r;
        }
        if (body->contains("disabled")) {
          if (!(*body)["disabled"].is_boolean()) {
            return SendError(c, Status::Invalid("invalid_field", "\"disabled\" must be a boolean"));
          }
          disabled = (*body)["disabled"].get<bool>();
        }
        Status st = c.s().accounts->UpdateUser(c.principal, *id, role, disabled, IfMatchOf(c));
        if (!st.ok()) return SendError(c, st);
        auto u = c.s().accounts->GetUser(c.principal, *id);
        if (!u.ok()) return SendError(c, u.status());
        c.res.set_header("ETag", service::UserEtag(u.value()));
        SendJson(c, 200, UserJson(u.value()));
      });

  api.Route({"GET",
             "/api/v1/users/{id}",
             "users.get",
             Auth::kSignedIn,
             false,
             "Administrator: one user of the organisation (any member: themselves), with its "
             "ETag for a conditional PATCH",
             {.responses = {{200, "User"}}, .etag = true},
             Function::kUserList,
             OnUser(1, Function::kSelf)},
            [](Ctx& c) {
              auto id = PathId<util::UserId>(c, 1);
              if (!id) return;
              auto u = c.s().accounts->GetUser(c.principal, *id);
              if (!u.ok()) return SendError(c, u.status());
              if (Fresh(c, service::UserEtag(u.value()))) return;
              SendJson(c, 200, UserJson(u.value()));
            });
}

}  // namespace bomvault::http
