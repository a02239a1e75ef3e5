// CheckPasswordContext: the context-specific words barred from passwords (ASVS 6.1.2, 6.2.11).
#include <doctest/doctest.h>

#include "service/accounts.h"

namespace bomvault::service {
namespace {

bool Refused(std::string_view password, const PasswordContext& context) {
  util::Status st = CheckPasswordContext(password, context);
  return !st.ok() && st.machine_code() == "password_context_word";
}

}  // namespace

TEST_CASE("password context: each barred source is refused, ignoring case and separators") {
  PasswordContext c{"jane.doe@acme.example", "Jane Q. Doe-Smith", "Acme Engineering"};
  CHECK(Refused("my BOMVAULT secret 42", c));     // the product
  CHECK(Refused("Bom-Vault-and-more-words", c));  // separators dropped
  CHECK(Refused("janedoe-rocks-2026", c));        // the whole local part
  CHECK(Refused("smith family garden", c));       // a word of the display name
  CHECK(Refused("I work at ACME, really", c));    // a word of the org's name
  CHECK(Refused("acmeengineering!!", c));         // the whole org name, squashed
  CHECK(Refused("xx-jane-yy-zz-qq", c));          // "jane" is a word of the local part
  CHECK_FALSE(Refused("Correct-Horse-Battery-9", c));
  // Words shorter than 4 bytes are not barred ("doe" and "q" stay usable inside other words).
  CHECK_FALSE(Refused("doe a deer, a female deer", PasswordContext{"do@x.example", "Do", "Qa"}));
}

TEST_CASE("password context: the message names the rule, never the word") {
  PasswordContext c{"kim@site.example", "", "Globex"};
  util::Status st = CheckPasswordContext("globex is great", c);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("organisation's name") != std::string::npos);
  CHECK(st.message().find("globex") == std::string::npos);
  CHECK(st.message().find("Globex") == std::string::npos);
}

TEST_CASE("password context: non-ASCII names are kept whole and matched as bytes") {
  PasswordContext c{"jörg@werk.example", "Jörg Müller", "Müller Werke"};
  CHECK(Refused("herr müller 2026", c));
  CHECK(Refused("werke-und-mehr", c));
  CHECK_FALSE(Refused("Correct-Horse-Battery-9", c));
  // An empty context bars only the product name.
  CHECK(Refused("bomvault", PasswordContext{}));
  CHECK_FALSE(Refused("some long passphrase", PasswordContext{}));
}

}  // namespace bomvault::service
