// Routes that keep the instance itself running: health, unseal, seal, the API description.
#include "http/api.h"

namespace bomvault::http {

using util::Result;
using util::Status;

namespace {

nlohmann::json UnsealJson(const service::UnsealStatus& s) {
  return {{"sealed", s.sealed},
          {"progress", s.progress},
          {"threshold", s.threshold},
          {"shares", s.shares},
          {"shares_in", s.shares_in}};
}

// A key share, or {reset: true, share} from a holder whose share was given, to start over.
struct UnsealIn {
  std::string share;
  bool reset = false;
};
const BodySpec<UnsealIn> kUnseal{"UnsealRequest",
                                 4096,
                                 {Text("share", &UnsealIn::share, Need::kRequired),
                                  Flag("reset", &UnsealIn::reset, Need::kOptional)}};

}  // namespace

void RegisterSystemRoutes(Api& api) {
  api.Route({"GET",
             "/api/v1/health",
             "health",
             Auth::kNone,
             true,
             "Liveness and seal state",
             {.responses = {{200, "Health"}}}},
            [](Ctx& c) -> Result<Reply> {
              return Reply::Json(200, {{"status", "ok"},
                                       {"sealed", c.instance.sealed()},
                                       {"version", BOMVAULT_VERSION}});
            });

  api.Route({"GET",
             "/api/v1/unseal",
             "unseal.status",
             Auth::kNone,
             true,
             "Unseal progress: shares given so far (and their numbers), the threshold and the "
             "shares issued",
             {.responses = {{200, "UnsealStatus"}}}},
            [](Ctx& c) -> Result<Reply> {
              return Reply::Json(200, UnsealJson(c.instance.SealStatus()));
            });

  api.Route({"POST",
             "/api/v1/unseal",
             "unseal.submit",
             Auth::kNone,
             true,
             "Submit one key share ({\"share\"}), or {\"reset\":true,\"share\"} with a share "
             "already given to discard the shares given",
             {.responses = {{200, "UnsealStatus"}}, .errors = {403}}},
            kUnseal, [](Ctx& c, UnsealIn& in) -> Result<Reply> {
              if (in.reset) {
                // Only a key holder whose share was given may discard the ceremony.
                BV_ASSIGN_OR_RETURN(auto state, c.instance.ResetUnseal(in.share));
                return Reply::Json(200, UnsealJson(state));
              }
              // The hold taken by Dispatch would block the unseal's exclusive lock.
              c.services.reset();
              BV_ASSIGN_OR_RETURN(auto state, c.instance.SubmitShare(in.share));
              return Reply::Json(200, UnsealJson(state));
            });

  api.Route({"POST",
             "/api/v1/seal",
             "seal",
             Auth::kSignedIn,
             false,
             "Operator: seal now; every key leaves memory",
             {.responses = {{200, "Sealed"}}},
             access::Function::kSeal},
            [](Ctx& c) -> Result<Reply> {
              c.services.reset();  // release our hold so Seal can take the exclusive lock
              c.instance.Seal("operator");
              return Reply::Json(200, {{"sealed", true}});
            });

  api.Route({"GET",
             "/api/v1/openapi.json",
             "openapi",
             Auth::kNone,
             true,
             "This API description",
             {.responses = {{200, "OpenApiDocument"}}}},
            [&api](Ctx&) -> Result<Reply> { return Reply::Json(200, api.OpenApi()); });
}

}  // namespace bomvault::http
