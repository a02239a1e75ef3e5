#include "service/common_passwords.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <unordered_set>

#include "util/embedded.h"

namespace bomvault::service {
namespace {

// Sorted, lower case, for binary search.
constexpr std::array kCommon = {
    "00000000",      "11111111",    "112233445",   "123123123",    "123321123",
    "12341234",      "123456123",   "12345678",    "123456789",    "1234567890",
    "1234qwer",      "123qweasd",   "12qwaszx",    "1a2b3c4d",     "1q2w3e4r",
    "1q2w3e4r5t",    "1qaz2wsx",    "1qazxsw2",    "555555555",    "666666666",
    "777777777",     "87654321",    "88888888",    "987654321",    "99999999",
    "999999999",     "a1b2c3d4",    "aaaaaaaa",    "abc12345",     "abc123456",
    "abcd1234",      "abcdefg1",    "abcdefgh",    "admin123",     "admin1234",
    "administrator", "apple123",    "arsenal1",    "asdf1234",     "asdfghjkl",
    "ashley12",      "autumn2024",  "autumn2025",  "autumn2026",   "babygirl1",
    "baseball",      "baseball1",   "batman123",   "blink182",     "bomvault",
    "bomvault1",     "bomvault123", "changeme",    "changeme1",    "charlie1",
    "chelsea1",      "company1",    "company123",  "computer",     "correcthorsebatterystaple",
    "corvette",      "default1",    "dragon123",   "eminem12",     "facebook1",
    "football",      "football1",   "fortnite1",   "freedom1",     "google123",
    "guest123",      "hello123",    "helloworld",  "iloveyou",     "iloveyou1",
    "iloveyou2",     "india123",    "internet",    "iphone12",     "jennifer",
    "jessica1",      "jordan23",    "letmein!",    "letmein1",     "letmein123",
    "linkedin1",     "liverpool",   "lkjhgfds",    "lovely123",    "loveyou1",
    "master123",     "maverick",    "mercedes",    "metallica",    "michael1",
    "microsoft",     "midnight",    "minecraft",   "mnbvcxz1",     "monkey123",
    "mustang1",      "p@ssw0rd",    "p@ssword",    "pakistan1",    "passpass",
    "passw0rd",      "password",    "password!",   "password01",   "password1",
    "password11",    "password12",  "password123", "password2024", "password2025",
    "password2026",  "poiuytre",    "pokemon123",  "princess",     "princess1",
    "q1w2e3r4",      "q1w2e3r4t5",  "qazwsx123",   "qazwsxedc",    "qweasdzxc",
    "qwerty12",      "qwerty123",   "qwerty1234",  "qwertyui",     "qwertyuiop",
    "samsung1",      "secret123",   "security1",   "shadow123",    "slipknot1",
    "spring2024",    "spring2025",  "spring2026",  "starwars",     "summer2024",
    "summer2025",    "summer2026",  "sunshine",    "sunshine1",    "superman",
    "superman1",     "target123",   "test1234",    "testtest",     "trustno1",
    "twitter1",      "walmart1",    "welcome!",    "welcome1",     "welcome123",
    "whatever1",     "whatever123", "winter2024",  "winter2025",   "winter2026",
    "xsw21qaz",      "youtube1",    "zaq12wsx",    "zxcv1234",     "zxcvbnm123",
};

// The embedded lists (John the Ripper's password.lst), lower-cased, entries of 8+ characters
// only (shorter ones fail the length rule anyway). Built once; read-only afterwards.
const std::unordered_set<std::string>& EmbeddedList() {
  static const auto* set = [] {
    auto* out = new std::unordered_set<std::string>();
    for (const util::EmbeddedFile* f = util::kPasswordLists; f->path != nullptr; ++f) {
      std::string_view text = f->view();
      size_t pos = 0;
      while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() < 8 || line.rfind("#!comment", 0) == 0) continue;
        std::string lower;
        for (unsigned char c : line) lower += static_cast<char>(std::tolower(c));
        out->insert(std::move(lower));
      }
    }
    return out;
  }();
  return *set;
}

}  // namespace

bool IsCommonPassword(std::string_view password) {
  if (password.size() > 64) return false;
  std::string lower;
  for (unsigned char c : password) lower += static_cast<char>(std::tolower(c));
  return std::binary_search(kCommon.begin(), kCommon.end(), lower,
                            [](std::string_view a, std::string_view b) { return a < b; }) ||
         EmbeddedList().count(lower) != 0;
}

}  // namespace bomvault::service
