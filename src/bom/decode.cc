#include "bom/decode.h"

#include <iconv.h>

#include <cerrno>
#include <cstring>

#include "bom/item.h"

namespace bomvault::bom {
namespace {

// iconv with its descriptor closed on every path.
util::Result<std::string> Convert(std::string_view bytes, const std::string& from) {
  iconv_t cd = iconv_open("UTF-8", from.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return util::Status::Invalid("invalid_charset", "charset " + QuoteForMessage(from) +
                                                        " is not known; use a name such as "
                                                        "WINDOWS-1252, WINDOWS-1251 or MACINTOSH");
  }
  std::string out;
  out.resize(bytes.size() * 2 + 16);
  char* in_p = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  size_t done = 0;
  util::Status status = util::Status::Ok();
  while (in_left > 0) {
    char* out_p = out.data() + done;
    size_t out_left = out.size() - done;
    const size_t r = iconv(cd, &in_p, &in_left, &out_p, &out_left);
    done = out.size() - out_left;
    if (r != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    const size_t offset = bytes.size() - in_left;
    status = util::Status::Invalid(
        "invalid_encoding", "the file is not valid " + from + " at byte " + std::to_string(offset) +
                                (errno == EINVAL ? " (it ends inside a character)" : "") +
                                "; give its encoding with ?charset=");
    break;
  }
  iconv_close(cd);
  if (!status.ok()) return status;
  out.resize(done);
  return out;
}

std::string LowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

}  // namespace

util::Result<Decoded> DecodeText(std::string_view bytes, std::string_view charset) {
  Decoded d;
  if (!charset.empty()) {
    if (charset.size() > 40) {
      return util::Status::Invalid("invalid_charset", "the charset name is too long");
    }
    std::string name(charset);
    for (char& c : name) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    // A mark that matches the charset is not text.
    if ((name == "UTF-8" || name == "UTF8") && StartsWith(bytes, "\xEF\xBB\xBF")) {
      bytes.remove_prefix(3);
    }
    auto text = Convert(bytes, name);
    if (!text.ok()) return text.status();
    d.text = std::move(text.value());
    d.encoding = LowerAscii(name);
  } else if (StartsWith(bytes, "\xEF\xBB\xBF")) {
    bytes.remove_prefix(3);
    if (const size_t bad = Utf8ErrorOffset(bytes); bad != std::string_view::npos) {
      return util::Status::Invalid("invalid_encoding",
                                   "the file starts with a UTF-8 mark but is not valid UTF-8 at "
                                   "byte " +
                                       std::to_string(bad + 3));
    }
    d.text = std::string(bytes);
    d.encoding = "utf-8-bom";
  } else if (StartsWith(bytes, "\xFF\xFE") || StartsWith(bytes, "\xFE\xFF")) {
    const bool le = bytes[0] == '\xFF';
    bytes.remove_prefix(2);
    d.encoding = le ? "utf-16le-bom" : "utf-16be-bom";
    auto text = Convert(bytes, le ? "UTF-16LE" : "UTF-16BE");
    if (!text.ok()) return text.status();
    d.text = std::move(text.value());
  } else if (Utf8ErrorOffset(bytes) == std::string_view::npos) {
    d.text = std::string(bytes);
    d.encoding = "utf-8";
  } else {
    d.encoding = "windows-1252";
    auto text = Convert(bytes, "WINDOWS-1252");
    if (!text.ok()) return text.status();
    d.text = std::move(text.value());
  }
  if (const size_t nul = d.text.find('\0'); nul != std::string::npos) {
    return util::Status::Invalid(
        "invalid_encoding",
        "the text holds a NUL character (after " + std::to_string(nul) +
            " bytes): a UTF-16 file without its byte-order mark? Give ?charset=UTF-16LE");
  }
  return d;
}

}  // namespace bomvault::bom
