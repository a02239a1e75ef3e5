#include <doctest/doctest.h>

#include <string>

#include "bom/sniff.h"

using bomvault::bom::AttachmentKind;
using bomvault::bom::AttachmentLimits;
using bomvault::bom::SniffAttachment;
using bomvault::bom::ValidateAttachmentName;

namespace {

std::string Be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string Png(uint32_t w, uint32_t h) {
  return std::string("\x89PNG\r\n\x1A\n", 8) + Be32(13) + "IHDR" + Be32(w) + Be32(h) +
         std::string("\x08\x06\x00\x00\x00", 5) + "crc!";
}

std::string Jpeg(uint16_t w, uint16_t h) {
  std::string app0 =
      std::string("\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
  std::string sof = std::string("\xFF\xC0\x00\x11\x08", 5);
  sof += static_cast<char>(h >> 8);
  sof += static_cast<char>(h & 0xFF);
  sof += static_cast<char>(w >> 8);
  sof += static_cast<char>(w & 0xFF);
  sof += std::string(10, '\x01');
  return std::string("\xFF\xD8", 2) + app0 + sof + std::string("\xFF\xD9", 2);
}

std::string WebpVp8x(uint32_t w, uint32_t h) {
  std::string b =
      "RIFF" + std::string(4, '\0') + "WEBPVP8X" + std::string(4, '\x0A') + std::string(4, '\0');
  for (uint32_t v : {w - 1, h - 1}) {
    b += static_cast<char>(v & 0xFF);
    b += static_cast<char>((v >> 8) & 0xFF);
    b += static_cast<char>((v >> 16) & 0xFF);
  }
  return b;
}

std::string Type(std::string_view bytes, AttachmentKind kind = AttachmentKind::kDerivative) {
  auto t = SniffAttachment(bytes, kind);
  return t.ok() ? t->media_type : "refused:" + t.status().machine_code();
}

}  // namespace

TEST_CASE("sniff: images carry their pixel size from their own headers") {
  auto png = SniffAttachment(Png(640, 480), AttachmentKind::kThumbnail);
  REQUIRE(png.ok());
  CHECK(png->media_type == "image/png");
  CHECK(png->width == 640);
  CHECK(png->height == 480);
  auto jpg = SniffAttachment(Jpeg(300, 200), AttachmentKind::kThumbnail);
  REQUIRE(jpg.ok());
  CHECK(jpg->media_type == "image/jpeg");
  CHECK(jpg->width == 300);
  CHECK(jpg->height == 200);
  auto webp = SniffAttachment(WebpVp8x(1024, 768), AttachmentKind::kThumbnail);
  REQUIRE(webp.ok());
  CHECK(webp->media_type == "image/webp");
  CHECK(webp->width == 1024);
  CHECK(webp->height == 768);
}

TEST_CASE("sniff: thumbnails are bounded images only") {
  CHECK(Type(Png(4097, 10), AttachmentKind::kThumbnail) == "refused:attachment_type");
  CHECK(Type(Png(0, 10), AttachmentKind::kThumbnail) == "refused:attachment_type");
  CHECK(Type("%PDF-1.7\n...", AttachmentKind::kThumbnail) == "refused:attachment_type");
  AttachmentLimits small;
  small.max_thumbnail_bytes = 16;
  auto big = SniffAttachment(Png(10, 10), AttachmentKind::kThumbnail, small);
  CHECK(big.status().machine_code() == "attachment_too_large");
  // A JPEG that ends before any frame header has no size to check: refused.
  CHECK(Type(std::string("\xFF\xD8\xFF\xD9", 4), AttachmentKind::kThumbnail) ==
        "refused:attachment_type");
}

TEST_CASE("sniff: derivatives are PDF, images, STEP, IGES, STL or DXF") {
  CHECK(Type("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj") == "application/pdf");
  CHECK(Type("\xEF\xBB\xBF  ISO-10303-21;\nHEADER;") == "model/step");
  CHECK(Type("solid part\n facet normal 0 0 1\n") == "model/stl");
  std::string stl(84 + 50 * 2, '\0');
  stl[80] = 2;
  CHECK(Type(stl) == "model/stl");
  stl.push_back('x');  // one byte more than the triangle count says
  CHECK(Type(stl) == "refused:attachment_type");
  std::string iges = std::string(72, ' ') + "S      1\n";
  CHECK(Type(iges) == "model/iges");
  CHECK(Type("  0\nSECTION\n  2\nHEADER\n") == "image/vnd.dxf");
  CHECK(Type(Png(10, 10)) == "image/png");
}

TEST_CASE("sniff: everything else is refused, whatever it claims to be") {
  CHECK(Type("") == "refused:attachment_empty");
  CHECK(Type("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>") ==
        "refused:attachment_type");
  CHECK(Type("<!DOCTYPE html><html>") == "refused:attachment_type");
  CHECK(Type("MZ\x90\x00 an executable") == "refused:attachment_type");
  CHECK(Type("PK\x03\x04 a zip") == "refused:attachment_type");
  CHECK(Type("%PDF") == "refused:attachment_type");
  // Truncated headers never read past the end (ASan would notice).
  for (size_t n = 0; n < 30; ++n) {
    (void)SniffAttachment(Png(10, 10).substr(0, n), AttachmentKind::kThumbnail);
    (void)SniffAttachment(Jpeg(10, 10).substr(0, n), AttachmentKind::kThumbnail);
    (void)SniffAttachment(WebpVp8x(10, 10).substr(0, n), AttachmentKind::kThumbnail);
  }
  AttachmentLimits small;
  small.max_derivative_bytes = 4;
  CHECK(SniffAttachment("%PDF-1.4", AttachmentKind::kDerivative, small).status().machine_code() ==
        "attachment_too_large");
}

TEST_CASE("sniff: attachment names") {
  CHECK(ValidateAttachmentName("bracket drawing rev B.pdf").ok());
  CHECK(ValidateAttachmentName("Zeichnung Größe.pdf").ok());
  CHECK(!ValidateAttachmentName("").ok());
  CHECK(!ValidateAttachmentName("../etc/passwd").ok());
  CHECK(!ValidateAttachmentName("a/b.pdf").ok());
  CHECK(!ValidateAttachmentName("a\\b.pdf").ok());
  CHECK(!ValidateAttachmentName(".hidden").ok());
  CHECK(!ValidateAttachmentName("line\nbreak.pdf").ok());
  CHECK(!ValidateAttachmentName("bad\xC3.pdf").ok());
  CHECK(!ValidateAttachmentName(std::string(201, 'a')).ok());
}

TEST_CASE("sniff: names cannot disguise themselves with direction overrides or C1 controls") {
  CHECK(!ValidateAttachmentName("invoice\xE2\x80\xAEgpj.exe").ok());  // U+202E
  CHECK(!ValidateAttachmentName("a\xE2\x81\xA6"
                                "b.pdf")
             .ok());  // U+2066
  CHECK(!ValidateAttachmentName("a\xC2\x85"
                                "b.pdf")
             .ok());  // U+0085 (C1)
  CHECK(!ValidateAttachmentName("\xEF\xBB\xBF"
                                "a.pdf")
             .ok());                                                   // U+FEFF
  CHECK(ValidateAttachmentName("\xE5\x9B\xB3\xE9\x9D\xA2.pdf").ok());  // 図面.pdf
}

TEST_CASE("sniff: the name's extension must fit the sniffed type") {
  using bomvault::bom::CheckNameMatchesType;
  auto pdf = SniffAttachment("%PDF-1.7\n", AttachmentKind::kDerivative);
  REQUIRE(pdf.ok());
  CHECK(CheckNameMatchesType("Drawing Rev B.PDF", *pdf).ok());
  CHECK(CheckNameMatchesType("setup.exe", *pdf).message() ==
        "the file is application/pdf, so its name must end in .pdf");
  CHECK(!CheckNameMatchesType("drawing", *pdf).ok());
  CHECK(!CheckNameMatchesType("drawing.pdf.exe", *pdf).ok());
  auto jpg = SniffAttachment(Jpeg(10, 10), AttachmentKind::kThumbnail);
  REQUIRE(jpg.ok());
  CHECK(CheckNameMatchesType("photo.jpeg", *jpg).ok());
  CHECK(CheckNameMatchesType("photo.JPG", *jpg).ok());
  CHECK(!CheckNameMatchesType("photo.png", *jpg).ok());
}
