// Decode: the first import stage. Turns the bytes of an uploaded text export into UTF-8, whatever
// encoding the exporting tool chose, and says which encoding that was.
//
// Rules, in order: a UTF-8 byte-order mark → UTF-8 (mark dropped); a UTF-16 LE or BE mark (EasyEDA,
// Excel's "Unicode text") → UTF-16 converted; no mark but valid UTF-8 → UTF-8; otherwise a legacy
// single-byte encoding (Excel in European, Russian and Mac locales writes those): `charset` when
// given, else Windows-1252. Charset names are the ones iconv knows (WINDOWS-1251, MACINTOSH,
// ISO-8859-15…); an unknown name is Status::Invalid("invalid_charset"). A `charset` given for a
// file that is valid UTF-8 or carries a mark still wins, since the user said so. Conversion uses
// glibc's iconv rather than hand-written tables: it is maintained, complete and already linked.
// A file that does not convert (a byte with no character in the chosen charset, a broken UTF-16
// pair) is Status::Invalid("invalid_encoding") naming the byte offset.
// NUL characters are refused as "invalid_encoding": no text export holds them, and a UTF-16 file
// without its mark shows up exactly that way, so the message says so.
// Pure function, no shared state (each call opens its own iconv descriptor): thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace bomvault::bom {

struct Decoded {
  std::string text;  // UTF-8, no byte-order mark
  // "utf-8", "utf-8-bom", "utf-16le-bom", "utf-16be-bom", "windows-1252" (the default legacy
  // charset) or the charset given, lowercased.
  std::string encoding;
};

util::Result<Decoded> DecodeText(std::string_view bytes, std::string_view charset = {});

}  // namespace bomvault::bom
