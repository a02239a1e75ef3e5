// Routes for people: the signed-in user's own account (GET/PATCH /me), the org directory and the
// Administrators' user management (service/users.h). Each handler asks access:: (Require, or the
// service) before it reads the body's data.
#include "http/account_routes.h"
#include "http/api.h"
#include "http/paging.h"
#include "util/clock.h"

namespace bomvault::http {

using access::Function;
using util::Result;
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

namespace {

struct MeChangeIn {
  std::string display_name;
};
const BodySpec<MeChangeIn> kMeChange{"MeChange",
                                     4096,
                                     {Text("display_name", &MeChangeIn::display_name,
                                           Need::kRequired, 0, 100, "invalid_display_name")}};

struct UserCreateIn {
  std::string email, password, role;
};
const BodySpec<UserCreateIn> kUserCreate{
    "UserCreate",
    8192,
    {Text("email", &UserCreateIn::email, Need::kRequired),
     Text("password", &UserCreateIn::password, Need::kRequired),
     RoleName("role", &UserCreateIn::role, Need::kRequired)}};

struct UserChangeIn {
  std::optional<std::string> role;
  std::optional<bool> disabled;
};
const BodySpec<UserChangeIn> kUserChange{
    "UserChange",
    4096,
    {RoleName("role", &UserChangeIn::role, Need::kOptional),
     Flag("disabled", &UserChangeIn::disabled, Need::kOptional)}};

}  // namespace

void RegisterUserRoutes(Api& api) {
  // --- The signed-in user ---
  api.Route({"GET",
             "/api/v1/me",
             "me.get",
             Auth::kSignedIn,
             false,
             "Who am I",
             {.responses = {{200, "Me"}}, .etag = true}},
            [](Ctx& c) -> Result<Reply> {
              if (c.principal.kind == access::PrincipalKind::kOperator) {
                // The operator's answer never changes: one tag, so it is conditional like the rest.
                const std::string tag = util::EntityTag(0, "operator");
                if (IsFresh(c.req, tag)) return Reply::NotModified(tag);
                return Reply::Json(200, {{"operator", true}}).With("ETag", tag);
              }
              BV_ASSIGN_OR_RETURN(auto me, c.s().accounts->GetUser(c.principal, c.principal.user));
              const std::string tag = service::MeEtag(me.version, c.principal);
              if (IsFresh(c.req, tag)) return Reply::NotModified(tag);
              nlohmann::json j = UserJson(me);
              j["operator"] = false;
              j["read_only"] = c.principal.read_only;
              j["mfa_enrolment_required"] = c.principal.mfa_enrolment_only;
              return Reply::Json(200, j).With("ETag", tag);
            });

  api.Route({"PATCH",
             "/api/v1/me",
             "me.update",
             Auth::kSignedIn,
             false,
             "Change this user's own profile {display_name: str (0-100 characters; empty "
             "clears it)}",
             {.responses = {{200, "User"}}, .etag = true},
             Function::kSelfManage},
            kMeChange, [](Ctx& c, MeChangeIn& in) -> Result<Reply> {
              BV_RETURN_IF_ERROR(
                  c.s().accounts->SetDisplayName(c.principal, in.display_name, IfMatchOf(c)));
              BV_ASSIGN_OR_RETURN(auto me, c.s().accounts->GetUser(c.principal, c.principal.user));
              return Reply::Json(200, UserJson(me))
                  .With("ETag", service::MeEtag(me.version, c.principal));
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
      [](Ctx& c) -> Result<Reply> {
        BV_ASSIGN_OR_RETURN(int64_t limit, IntParam(c.req, "limit", 1, 200, 20));
        std::string q = c.req.get_param_value("q");
        if (q.size() > 254) {
          return Status::Invalid("invalid_parameter", "\"q\" has at most 254 characters");
        }
        BV_ASSIGN_OR_RETURN(auto people,
                            c.s().accounts->Directory(c.principal, q, static_cast<size_t>(limit)));
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : people) {
          out.push_back({{"id", e.id.str()}, {"display_name", e.display_name}, {"email", e.email}});
        }
        return Reply::Json(200, {{"people", out}});
      });

  // --- Users (org Administrators) ---
  api.Route({"POST",
             "/api/v1/users",
             "users.create",
             Auth::kRecent,
             false,
             "Administrator: add a local account {email, password, role}",
             {.responses = {{201, "UserCreated"}}, .errors = {409}, .idempotent = true},
             Function::kUserCreate},
            kUserCreate, [](Ctx& c, UserCreateIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(
                  auto id, c.s().accounts->CreateUser(c.principal, in.email, in.password, in.role));
              return Reply::Created("/api/v1/users/" + id.str(), {{"id", id.str()}});
            });

  api.Route({"GET",
             "/api/v1/users",
             "users.list",
             Auth::kSignedIn,
             false,
             "Administrator: the organisation's users, oldest first",
             {.responses = {{200, "Users"}}, .list_max = 1000},
             Function::kUserList},
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto page, PageParams(c.req, 1000, 1000));
              BV_ASSIGN_OR_RETURN(auto users, c.s().accounts->ListUsers(c.principal));
              return ListPage<service::UserView>(
                  c.req, "users", std::move(users),
                  [](const service::UserView& u) { return TimeIdKey(u.created_at, u.id.str()); },
                  false, page, UserJson);
            });

  api.Route({"PATCH",
             "/api/v1/users/{id}",
             "users.update",
             Auth::kRecent,
             false,
             "Administrator: change a user's role or disable them {role?, disabled?}",
             {.responses = {{200, "User"}}, .errors = {409}, .etag = true},
             Function::kUserUpdate},
            kUserChange, [](Ctx& c, UserChangeIn& in) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::UserId>(1));
              BV_RETURN_IF_ERROR(
                  c.s().accounts->UpdateUser(c.principal, id, in.role, in.disabled, IfMatchOf(c)));
              BV_ASSIGN_OR_RETURN(auto user, c.s().accounts->GetUser(c.principal, id));
              return Reply::Json(200, UserJson(user)).With("ETag", service::UserEtag(user));
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
            [](Ctx& c) -> Result<Reply> {
              BV_ASSIGN_OR_RETURN(auto id, c.PathId<util::UserId>(1));
              BV_ASSIGN_OR_RETURN(auto user, c.s().accounts->GetUser(c.principal, id));
              const std::string tag = service::UserEtag(user);
              if (IsFresh(c.req, tag)) return Reply::NotModified(tag);
              return Reply::Json(200, UserJson(user)).With("ETag", tag);
            });
}

}  // namespace bomvault::http
