// What the account route files share (routes_accounts.cc, routes_users.cc, routes_sessions.cc,
// routes_mfa.cc, routes_settings.cc): a user's JSON, which the operator's support read shows too.
// (A route's function is checked by the dispatcher from its RouteSpec::permission.) No state; any
// request thread.
#pragma once

#include <nlohmann/json.hpp>

#include "access/permissions.h"
#include "http/api.h"
#include "service/accounts.h"

namespace bomvault::http {

// GET /users/{id}'s body (routes_users.cc).
nlohmann::json UserJson(const service::UserView& u);

}  // namespace bomvault::http
