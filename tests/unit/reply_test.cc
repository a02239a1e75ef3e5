// Reply (http/reply.h): what each constructor writes into an httplib response, and when a body is
// compressed or streamed.
#include "http/reply.h"

#include <doctest/doctest.h>

#include <string>

#include "util/status.h"

namespace bomvault::http {
namespace {

httplib::Response Write(Reply reply, const std::string& accept_encoding = "") {
  httplib::Request req;
  if (!accept_encoding.empty()) req.set_header("Accept-Encoding", accept_encoding);
  httplib::Response res;
  std::move(reply).WriteTo(req, res);
  return res;
}

TEST_CASE("a JSON reply names its charset, so httplib never compresses it on its own") {
  auto res = Write(Reply::Json(200, {{"token", "secret"}}), "gzip");
  CHECK(res.status == 200);
  CHECK(res.get_header_value("Content-Type") == "application/json; charset=utf-8");
  CHECK(res.body == R"({"token":"secret"})");
  CHECK_FALSE(res.has_header("Content-Encoding"));
  CHECK_FALSE(res.has_header("Vary"));
}

TEST_CASE("Created carries Location, NoContent and NotModified carry no body") {
  auto created = Write(Reply::Created("/api/v1/boms/x", {{"id", "x"}}));
  CHECK(created.status == 201);
  CHECK(created.get_header_value("Location") == "/api/v1/boms/x");
  auto none = Write(Reply::NoContent());
  CHECK(none.status == 204);
  CHECK(none.body.empty());
  CHECK_FALSE(none.has_header("Content-Type"));
  auto same = Write(Reply::NotModified("\"v7\""));
  CHECK(same.status == 304);
  CHECK(same.get_header_value("ETag") == "\"v7\"");
  CHECK(same.body.empty());
  auto moved =
      Write(Reply::Redirect("/#/account").With("Set-Cookie", "a=1").With("Set-Cookie", "b=2"));
  CHECK(moved.status == 302);
  CHECK(moved.get_header_value("Location") == "/#/account");
  CHECK(moved.get_header_value_count("Set-Cookie") == 2);
}

TEST_CASE("a compressible reply is gzipped only for a client that takes gzip and a large body") {
  const std::string big(4096, 'a');
  auto plain = Write(Reply::CompressibleJson(200, "\"" + big + "\""));
  CHECK_FALSE(plain.has_header("Content-Encoding"));
  CHECK(plain.get_header_value("Vary") == "Accept-Encoding");
  CHECK(plain.body.size() == big.size() + 2);

  auto packed = Write(Reply::CompressibleJson(200, "\"" + big + "\""), "gzip, br");
  CHECK(packed.get_header_value("Content-Encoding") == "gzip");
  CHECK(packed.content_length_ > 0);
  CHECK(packed.content_length_ < big.size() / 10);

  auto small = Write(Reply::Compressible(200, "short", "text/csv"), "gzip");
  CHECK_FALSE(small.has_header("Content-Encoding"));
  CHECK(small.body == "short");
}

TEST_CASE("a large body is streamed from the reply's own buffer, not copied into the response") {
  auto res = Write(Reply::Bytes(200, std::string(300u << 10, 'x'), "application/pdf"));
  CHECK(res.body.empty());
  CHECK(res.content_length_ == (300u << 10));
  CHECK(res.get_header_value("Content-Type") == "application/pdf");
}

util::Result<int> Half(int n) {
  if (n % 2 != 0) return util::Status::Invalid("odd", "not even");
  return n / 2;
}

util::Result<int> Quarter(int n) {
  BV_ASSIGN_OR_RETURN(int half, Half(n));
  BV_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

util::Status CheckEven(int n) {
  BV_RETURN_IF_ERROR(Half(n).status());
  return util::Status::Ok();
}

TEST_CASE("BV_ASSIGN_OR_RETURN and BV_RETURN_IF_ERROR return the first failure as it is") {
  CHECK(Quarter(8).value() == 2);
  CHECK(Quarter(6).status().machine_code() == "odd");  // 6 → 3, odd on the second step
  CHECK(Quarter(5).status().machine_code() == "odd");
  CHECK(CheckEven(4).ok());
  CHECK(CheckEven(3).machine_code() == "odd");
}

}  // namespace
}  // namespace bomvault::http
