// What the account route files share (routes_accounts.cc, routes_users.cc, routes_sessions.cc,
// routes_mfa.cc, routes_settings.cc): the access check a handler runs before it reads the body,
// and a user's JSON, which the operator's support read shows too. No state; any request thread.
#pragma once

#include <nlohmann/json.hpp>

#include "access/permissions.h"
#include "http/api.h"
#include "service/accounts.h"

namespace bomvault::http {

// True if the principal may use `f`; else sends access::Refusal's error and returns false.
bool Require(Ctx& c, access::Function f);
// GET /users/{id}'s body (routes_users.cc).
nlohmann::json UserJson(const service::UserView& u);

}  // namespace bomvault::http
