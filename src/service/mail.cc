#include "service/mail.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

#include "crypto/crypto.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using util::Code;
using util::Status;

namespace {

Status Unavailable() {
  return Status(Code::kUnavailable, "mail_unavailable",
                "the message could not be sent; try again later or ask the operator to check "
                "the mail relay");
}

// Header values come from our own constants and normalised addresses; strip line breaks anyway
// so no value can ever start a header of its own.
std::string HeaderValue(std::string_view v) {
  std::string out;
  for (char c : v) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

std::string RfcDate(int64_t unix_time) {
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

struct Upload {
  const std::string* text;
  size_t pos = 0;
};

size_t ReadChunk(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t room = size * count;
  size_t n = std::min(room, up->text->size() - up->pos);
  std::memcpy(buffer, up->text->data() + up->pos, n);
  up->pos += n;
  return n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

Status ValidateSmtpUrl(const std::string& url) {
  std::string_view rest;
  if (url.rfind("smtp://", 0) == 0) {
    rest = std::string_view(url).substr(7);
  } else if (url.rfind("smtps://", 0) == 0) {
    rest = std::string_view(url).substr(8);
  } else {
    return Status::Invalid("smtp_url", "--smtp-url must start with smtp:// (STARTTLS) or smtps://");
  }
  if (rest.find('@') != std::string_view::npos) {
    return Status::Invalid("smtp_url",
                           "--smtp-url must not hold credentials; use --smtp-user and "
                           "--smtp-password-file");
  }
  if (rest.empty() || rest.front() == ':' || rest.front() == '/') {
    return Status::Invalid("smtp_url", "--smtp-url needs a host");
  }
  for (char c : rest) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '/' || c == '[' || c == ']')) {
      return Status::Invalid("smtp_url", "--smtp-url holds a character that does not belong there");
    }
  }
  return Status::Ok();
}

Mailer::Mailer(MailOptions options) : options_(std::move(options)) {
  if (!options_.smtp_url.empty()) GlobalInit();
  util::log::Info("mail.configured")
      .Text("transport",
            options_.smtp_url.empty() ? util::log::Literal("outbox") : util::log::Literal("smtp"))
      .Num("authenticated", options_.smtp_user.empty() ? 0 : 1);
}

std::string Mailer::Compose(const std::string& from, const MailMessage& m, int64_t unix_time,
                            const std::string& message_id) {
  std::string out;
  out += "Date: " + RfcDate(unix_time) + "\r\n";
  out += "From: bomvault <" + HeaderValue(from) + ">\r\n";
  out += "To: <" + HeaderValue(m.to) + ">\r\n";
  out += "Subject: " + HeaderValue(m.subject) + "\r\n";
  out += "Message-ID: <" + HeaderValue(message_id) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  for (char c : m.body) {
    if (c == '\r') continue;
    if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

Status Mailer::Send(const MailMessage& message) {
  std::string domain = "bomvault.invalid";
  size_t at = options_.from.rfind('@');
  if (at != std::string::npos && at + 1 < options_.from.size()) {
    domain = options_.from.substr(at + 1);
  }
  std::string id = crypto::ToHex(crypto::RandomBytes(16)) + "@" + domain;
  std::string text = Compose(options_.from, message, util::NowUnix(), id);
  return options_.smtp_url.empty() ? WriteOutbox(text) : SendSmtp(text, message.to);
}

Status Mailer::SendSmtp(const std::string& text, const std::string& to) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Unavailable();
  std::string rcpt = "<" + HeaderValue(to) + ">";
  std::string from = "<" + HeaderValue(options_.from) + ">";
  curl_slist* rcpts = curl_slist_append(nullptr, rcpt.c_str());
  Upload up{&text, 0};
  curl_easy_setopt(curl, CURLOPT_URL, options_.smtp_url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  // STARTTLS is required on smtp://; smtps:// is TLS from the first byte. Never plain text.
  curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.smtp_user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.smtp_user.c_str());
    // libcurl wants a C string; the copy lives in locked memory and is wiped on return.
    const crypto::SecureBuffer& pw = *options_.smtp_password;
    crypto::SecureBuffer cstr(pw.size() + 1);
    std::memcpy(cstr.data(), pw.data(), pw.size());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, reinterpret_cast<const char*>(cstr.data()));
  }
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadChunk);
  curl_easy_setopt(curl, CURLOPT_READDATA, &up);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout_seconds));
  CURLcode rc = curl_easy_perform(curl);
  long smtp_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &smtp_status);
  curl_slist_free_all(rcpts);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    // The relay's own text may echo addresses: only the numeric codes are logged.
    util::log::Warn("mail.smtp_failed").Num("curl_code", rc).Num("smtp_status", smtp_status);
    return Unavailable();
  }
  util::log::Info("mail.sent").Text("transport", "smtp").Num("smtp_status", smtp_status);
  return Status::Ok();
}

Status Mailer::WriteOutbox(const std::string& text) {
  const std::string& dir = options_.outbox_dir;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    util::log::Error("mail.outbox_unwritable");
    return Unavailable();
  }
  std::string name =
      std::to_string(util::NowUnixMillis()) + "-" + crypto::ToHex(crypto::RandomBytes(6)) + ".eml";
  std::string tmp = dir + "/." + name + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    util::log::Error("mail.outbox_unwritable");
    return Unavailable();
  }
  ::fchmod(fd, 0600);
  size_t done = 0;
  bool ok = true;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0) {
    ::unlink(tmp.c_str());
    util::log::Error("mail.outbox_unwritable");
    return Unavailable();
  }
  util::log::Info("mail.sent").Text("transport", "outbox");
  return Status::Ok();
}

}  // namespace bomvault::service
