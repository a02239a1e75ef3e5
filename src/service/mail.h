// Outgoing mail: invitation and verification messages, to the site's relay or to an outbox.
//
// With an SMTP URL (configured by the operator: smtp://host:port, which must offer STARTTLS, or
// smtps://host:port for implicit TLS) each message goes through libcurl over TLS 1.2+ with the
// relay's certificate verified (against the system CAs or --smtp-ca-file), authenticated when a
// user is configured. Plain-text SMTP is never used. Without a relay (the embedded default) each
// message is written as an RFC 5322 file DIR/outbox/<time>-<random>.eml, mode 0600, created
// under a temporary name and renamed, so a reader never sees half a message; an air-gapped
// evaluation works end to end that way. The outbox holds live links: it is for evaluation.
//
// The relay password is held in locked memory (SecureBuffer) and handed to libcurl per message;
// it never reaches a log or an error text. Logs name the transport and ids only, never addresses.
// Thread-safe: Send keeps no shared mutable state (one curl handle per message).
#pragma once

#include <memory>
#include <string>

#include "crypto/secure_buffer.h"
#include "util/status.h"

namespace bomvault::service {

struct MailOptions {
  std::string smtp_url;   // empty = write to outbox_dir
  std::string smtp_user;  // empty = no authentication
  std::shared_ptr<const crypto::SecureBuffer> smtp_password;
  std::string ca_file;  // extra CA bundle for the relay's certificate; empty = system CAs
  std::string from = "bomvault@localhost";
  std::string outbox_dir;
  int timeout_seconds = 30;
};

struct MailMessage {
  std::string to;  // a normalised address (no CR, LF or angle brackets)
  std::string subject;
  std::string body;  // plain text, lines separated by '\n'
};

// Checks an --smtp-url: scheme smtp or smtps, a host, nothing after the port.
util::Status ValidateSmtpUrl(const std::string& url);

class Mailer {
 public:
  explicit Mailer(MailOptions options);

  // Delivers to the relay or the outbox. Unavailable ("mail_unavailable") when the relay refuses
  // or cannot be reached, or the outbox cannot be written.
  util::Status Send(const MailMessage& message);

  bool uses_outbox() const { return options_.smtp_url.empty(); }

  // The RFC 5322 text of a message: CRLF line ends, UTF-8 plain text, 8bit.
  static std::string Compose(const std::string& from, const MailMessage& m, int64_t unix_time,
                             const std::string& message_id);

 private:
  util::Status SendSmtp(const std::string& text, const std::string& to);
  util::Status WriteOutbox(const std::string& text);

  MailOptions options_;
};

}  // namespace bomvault::service
