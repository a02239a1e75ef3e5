// Status and Result: how every layer below http/ reports failure.
//
// A Status carries a coarse Code (mapped to an HTTP status by http/ only), a stable machine code
// string that clients may switch on (e.g. "invalid_share"), and a human message. Messages are
// shown to callers, so they never contain secrets, SQL, file paths or another tenant's data.
// Result<T> is a value or a Status. Both are plain values, safe to move across threads.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace bomvault::util {

// Coarse failure classes; http/ maps each to one HTTP status.
enum class Code {
  kOk,
  kInvalid,               // 400: malformed or out-of-range input
  kUnauthenticated,       // 401
  kForbidden,             // 403: a function the caller may not use
  kNotFound,              // 404: missing, or not visible to the caller
  kConflict,              // 409
  kPreconditionFailed,    // 412: If-Match names a version that is no longer current
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415: a body in a media type the route does not take
  kUnprocessable,         // 422: well-formed but semantically wrong (e.g. a cycle in a BOM)
  kTooManyRequests,       // 429
  // 424: a system this request depends on (a data source) could not be reached, timed out or
  // asked to slow down. Not a fault of bomvault, so not a 5xx (docs/sources.md).
  kFailedDependency,
  kSealed,       // 503 "sealed"
  kUnavailable,  // 503
  kInternal,     // 500: a bug or a storage fault; message is generic
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string machine_code, std::string message)
      : code_(code), machine_code_(std::move(machine_code)), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Invalid(std::string machine_code, std::string message) {
    return Status(Code::kInvalid, std::move(machine_code), std::move(message));
  }
  static Status NotFound(std::string message = "not found") {
    return Status(Code::kNotFound, "not_found", std::move(message));
  }
  static Status Forbidden(std::string message = "you may not do this") {
    return Status(Code::kForbidden, "forbidden", std::move(message));
  }
  static Status Unauthenticated(std::string message = "sign-in required") {
    return Status(Code::kUnauthenticated, "unauthenticated", std::move(message));
  }
  static Status Conflict(std::string machine_code, std::string message) {
    return Status(Code::kConflict, std::move(machine_code), std::move(message));
  }
  static Status Unprocessable(std::string machine_code, std::string message) {
    return Status(Code::kUnprocessable, std::move(machine_code), std::move(message));
  }
  static Status PreconditionFailed() {
    return Status(Code::kPreconditionFailed, "precondition_failed",
                  "the object changed since it was read (If-Match); read it again");
  }
  static Status Internal(std::string message = "internal error") {
    return Status(Code::kInternal, "internal", std::move(message));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& machine_code() const { return machine_code_; }
  const std::string& message() const { return message_; }
  // For kTooManyRequests: seconds until a retry may succeed (sent as Retry-After).
  long long retry_after() const { return retry_after_; }
  Status& WithRetryAfter(long long seconds) {
    retry_after_ = seconds;
    return *this;
  }

 private:
  Code code_ = Code::kOk;
  std::string machine_code_;
  std::string message_;
  long long retry_after_ = 0;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() & { return std::get<T>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace bomvault::util

// Early returns for functions that return a Status or a Result<T> (as Abseil's and LevelDB's
// callers write them): a failed Status or Result is returned as it is; otherwise the value is
// moved into `decl` (a declaration such as `auto x` or an existing lvalue). At most one per line.
#define BV_STATUS_CONCAT_INNER(a, b) a##b
#define BV_STATUS_CONCAT(a, b) BV_STATUS_CONCAT_INNER(a, b)
#define BV_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::bomvault::util::Status bv_status_ = (expr); \
    if (!bv_status_.ok()) return bv_status_;      \
  } while (false)
#define BV_ASSIGN_OR_RETURN(decl, expr) \
  BV_ASSIGN_OR_RETURN_IMPL(BV_STATUS_CONCAT(bv_result_, __LINE__), decl, expr)
#define BV_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  decl = std::move(tmp).value()
