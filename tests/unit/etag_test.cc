#include "util/etag.h"

#include <doctest/doctest.h>

using bomvault::util::EntityTag;
using bomvault::util::IfMatch;
using bomvault::util::TagListMatches;

TEST_CASE("entity tags are quoted versions with an optional variant") {
  CHECK(EntityTag(7) == "\"7\"");
  CHECK(EntityTag(12, "edit") == "\"12-edit\"");
}

TEST_CASE("If-Match uses the strong comparison, If-None-Match the weak one") {
  const std::string tag = "\"3-owner\"";
  CHECK(TagListMatches("\"3-owner\"", tag, false));
  CHECK(TagListMatches("  \"1\" , \"3-owner\"", tag, false));
  CHECK(TagListMatches("*", tag, false));
  CHECK(TagListMatches(" * ", tag, true));
  CHECK_FALSE(TagListMatches("W/\"3-owner\"", tag, false));
  CHECK(TagListMatches("W/\"3-owner\"", tag, true));
  CHECK_FALSE(TagListMatches("\"3\"", tag, false));
  CHECK_FALSE(TagListMatches("\"3-owner", tag, false));          // unterminated
  CHECK_FALSE(TagListMatches("3-owner", tag, false));            // unquoted
  CHECK_FALSE(TagListMatches("\"1\" \"3-owner\"", tag, false));  // no comma: malformed list
  CHECK_FALSE(TagListMatches("*, \"1\"", tag, false));
  CHECK_FALSE(TagListMatches("", tag, true));
}

TEST_CASE("an absent If-Match holds; a present one must name the current tag") {
  CHECK(IfMatch{}.Holds("\"1\""));
  CHECK(IfMatch{"\"1\""}.Holds("\"1\""));
  CHECK_FALSE(IfMatch{"\"1\""}.Holds("\"2\""));
  CHECK(IfMatch{"*"}.Holds("\"2\""));
}
