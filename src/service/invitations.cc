#include "service/invitations.h"

#include <algorithm>
#include <cctype>

#include "crypto/crypto.h"
#include "service/audit.h"
#include "store/blocked_entries_store.h"
#include "store/invitations_store.h"
#include "store/orgs_store.h"
#include "store/users_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Function;
using access::Principal;
using util::Code;
using util::Status;

namespace {

constexpr int64_t kPurgeExpiredAfterSeconds = 30 * util::kSecondsPerDay;

Status Allowed(const Principal& p, Function f) {
  return access::Refusal(p, f, access::MayUse(p, f));
}

crypto::Bytes InvitationTokenHash(std::string_view token) {
  return crypto::Hash("bomvault-invitation", crypto::AsBytes(token));
}

crypto::Bytes VerificationTokenHash(std::string_view token) {
  return crypto::Hash("bomvault-verification", crypto::AsBytes(token));
}

Status AddressBlocked() {
  return Status(Code::kForbidden, "address_blocked",
                "this address or its domain is blocked by your organisation");
}

Status InvitationInvalid() {
  return Status::Invalid(
      "invitation_invalid",
      "this invitation link is not valid: it was used, revoked or never existed");
}

Status VerificationInvalid() {
  return Status::Invalid("verification_invalid",
                         "this verification link is not valid: it was used, replaced or never "
                         "existed");
}

// Text from an org (its name) inside a mail body: one line, printable.
std::string OneLine(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  return out;
}

bool ValidDomain(std::string_view d) {
  if (d.size() < 3 || d.size() > 253 || d.find('.') == std::string_view::npos) return false;
  size_t start = 0;
  while (start <= d.size()) {
    size_t end = d.find('.', start);
    if (end == std::string_view::npos) end = d.size();
    std::string_view label = d.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!(std::islower(static_cast<unsigned char>(c)) ||
            std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
        return false;
      }
    }
    start = end + 1;
  }
  return true;
}

struct ParsedEntry {
  std::string kind;   // "address" | "domain"
  std::string value;  // normalised
  std::string Key() const { return kind + ":" + value; }
};

util::Result<ParsedEntry> ParseEntry(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  size_t at = text.find('@');
  if (at != std::string_view::npos && at > 0) {
    auto email = NormaliseEmail(text);
    if (!email.ok()) return email.status();
    return ParsedEntry{"address", email.value()};
  }
  if (at == 0) text.remove_prefix(1);
  std::string domain;
  for (char c : text) domain += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!ValidDomain(domain)) {
    return Status::Invalid("invalid_entry",
                           "give an e-mail address (name@example.com) or a domain (example.com)");
  }
  return ParsedEntry{"domain", domain};
}

crypto::Bytes EntryIndex(const OrgCrypto& org, const std::string& key) {
  return org.BlindIndex("blocked", key);
}

bool EntryExists(store::Db& db, const OrgCrypto& org, const std::string& key) {
  return store::BlockedEntryExists(db, org.org(), EntryIndex(org, key));
}

}  // namespace

bool IsAddressBlocked(store::Db& db, const OrgCrypto& org, std::string_view normalised_email) {
  std::string email(normalised_email);
  if (EntryExists(db, org, "address:" + email)) return true;
  size_t at = email.rfind('@');
  if (at == std::string::npos) return false;
  // The domain and every parent domain that still has a dot: blocking example.com also blocks
  // mail.example.com, but a lone top-level label is never an entry.
  std::string domain = email.substr(at + 1);
  while (domain.find('.') != std::string::npos) {
    if (EntryExists(db, org, "domain:" + domain)) return true;
    domain = domain.substr(domain.find('.') + 1);
  }
  return false;
}

bool IsUserBlocked(store::Db& db, const OrgCrypto& org, const util::UserId& user) {
  auto sealed = store::UserEmailSealed(db, org.org(), user);
  if (!sealed) return false;
  auto email = org.OpenText("email", user.str(), *sealed);
  // An address that does not open is treated as blocked: refusing is the safe side.
  return !email || IsAddressBlocked(db, org, *email);
}

std::string Invitations::Link(std::string_view page, const std::string& token) const {
  // The token travels in the fragment: browsers send it neither to the server's access logs nor
  // in a Referer header; the page reads it and posts it.
  return options_.public_url + "/" + std::string(page) + "#token=" + token;
}

util::Result<InvitationView> Invitations::Invite(const Principal& actor, std::string_view email,
                                                 std::string_view role_text) {
  if (Status st = Allowed(actor, Function::kInvitationWrite); !st.ok()) return st;
  auto norm = NormaliseEmail(email);
  if (!norm.ok()) return norm.status();
  auto role = access::ParseRole(role_text);
  if (!role) return Status::Invalid("invalid_role", "role must be administrator, editor or viewer");
  std::string token = crypto::RandomToken();
  crypto::Bytes token_hash = InvitationTokenHash(token);
  InvitationView v;
  v.id = util::InvitationId::Generate();
  v.email = norm.value();
  v.role = *role;
  v.inviter = actor.user;
  v.created_at = util::NowUnix();
  v.expires_at = v.created_at + options_.invitation_ttl_seconds;
  std::string org_name;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    const int64_t now = v.created_at;
    store::PurgeExpiredInvitations(db, actor.org, now - kPurgeExpiredAfterSeconds);
    if (IsAddressBlocked(db, *org.value(), v.email)) return AddressBlocked();
    crypto::Bytes bidx = accounts_.EmailIndex(v.email);
    // Only this org's own members are refused. An address with an account in another org is
    // invited exactly like a fresh one (the org must learn nothing about other orgs' members);
    // its owner learns at acceptance that the address already has an account.
    if (accounts_.EmailUse(db, actor.org, v.email) == Accounts::AddressUse::kMember) {
      return Status::Conflict("email_taken", "an account with this e-mail address exists");
    }
    if (store::PendingInvitationExists(db, actor.org, bidx, now)) {
      return Status::Conflict("already_invited",
                              "this address has a pending invitation; revoke it to send a new one");
    }
    if (auto mine = store::PendingByInviter(db, actor.user, now);
        mine.count >= kMaxPendingPerInviter) {
      return Status(Code::kTooManyRequests, "invitation_limit_inviter",
                    "you have " + std::to_string(kMaxPendingPerInviter) +
                        " pending invitations; wait for them to be accepted or expire, or "
                        "revoke some")
          .WithRetryAfter(std::max<int64_t>(1, mine.first_expiry - now));
    }
    if (store::CountPendingInvitations(db, actor.org, now) >= kMaxPendingPerOrg) {
      return Status::Conflict("invitation_limit_org",
                              "your organisation has " + std::to_string(kMaxPendingPerOrg) +
                                  " pending invitations; revoke some before inviting more");
    }
    store::InvitationRow row{v.id,
                             actor.org,
                             actor.user,
                             org.value()->SealText("invitation-email", v.id.str(), v.email),
                             std::string(access::RoleName(v.role)),
                             v.created_at,
                             v.expires_at};
    store::InsertInvitation(db, row, bidx, token_hash);
    if (auto name = store::OrgNameSealed(db, actor.org)) {
      org_name = org.value()->OpenText("org-name", actor.org.str(), *name).value_or("");
    }
    RecordAudit(db, org.value().get(),
                {"invitation:" + v.id.str(),
                 actor.user.str(),
                 "invitation.create",
                 {{"role", access::RoleName(v.role)}, {"expires_at", v.expires_at}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  MailMessage m;
  m.to = v.email;
  m.subject = "Your invitation to bomvault";
  m.body = "Hello,\n\nYou have been invited to join the organisation \"" + OneLine(org_name) +
           "\" on bomvault as " + std::string(access::RoleName(v.role)) +
           ".\n\nTo accept, open this link and choose a password. The link works once and "
           "expires at " +
           util::FormatUtc(v.expires_at) + ":\n\n" + Link("invitation", token) +
           "\n\nIf you did not expect this invitation, you can ignore this message.\n";
  crypto::Wipe(token);
  st = mailer_.Send(m);
  if (!st.ok()) {
    // Nobody can accept an invitation whose link never left: take it back.
    Status taken_back = db_.Write([&](store::Db& db) -> Status {
      store::DeleteInvitation(db, v.id);
      return Status::Ok();
    });
    if (!taken_back.ok())
      util::log::Error("invitation.take_back_failed").Ref("invitation_id", v.id);
    util::log::Warn("invitation.mail_failed").Ref("invitation_id", v.id).Ref("org_id", actor.org);
    return st;
  }
  util::log::Info("invitation.created")
      .Ref("invitation_id", v.id)
      .Ref("org_id", actor.org)
      .Ref("inviter_id", actor.user);
  return v;
}

util::Result<InvitationPage> Invitations::List(const Principal& actor, int limit,
                                               const std::optional<util::InvitationId>& after) {
  if (Status st = Allowed(actor, Function::kInvitationRead); !st.ok()) return st;
  limit = std::clamp(limit, 1, 100);
  InvitationPage page;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto org = keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    const int64_t now = util::NowUnix();
    for (const auto& r : store::ListInvitations(db, actor.org, after, limit)) {
      InvitationView v;
      v.id = r.id;
      auto email = org.value()->OpenText("invitation-email", v.id.str(), r.email_sealed);
      if (!email) return Status::Internal("an invitation could not be opened");
      v.email = *email;
      v.role = access::ParseRole(r.role).value_or(access::Role::kViewer);
      v.inviter = r.inviter;
      v.created_at = r.created_at;
      v.expires_at = r.expires_at;
      v.expired = v.expires_at <= now;
      page.invitations.push_back(std::move(v));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (static_cast<int>(page.invitations.size()) == limit)
    page.next_after = page.invitations.back().id;
  return page;
}

Status Invitations::Revoke(const Principal& actor, const util::InvitationId& id) {
  if (Status st = Allowed(actor, Function::kInvitationWrite); !st.ok()) return st;
  Status st = db_.Write([&](store::Db& db) -> Status {
    if (!store::DeleteOrgInvitation(db, actor.org, id)) return Status::NotFound();
    auto org = keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    RecordAudit(db, org.value().get(),
                {"invitation:" + id.str(), actor.user.str(), "invitation.revoke", {}});
    return Status::Ok();
  });
  if (st.ok())
    util::log::Info("invitation.revoked").Ref("invitation_id", id).Ref("org_id", actor.org);
  return st;
}

util::Result<AcceptedInvitation> Invitations::Accept(std::string_view token,
                                                     std::string_view password) {
  if (token.empty() || token.size() > 256) return InvitationInvalid();
  crypto::Bytes token_hash = InvitationTokenHash(token);
  auto load = [&](store::Db& db) { return store::FindInvitationByToken(db, token_hash); };
  auto expired = [] {
    return Status::Invalid("invitation_expired",
                           "this invitation has expired; ask your Administrator for a new one");
  };
  // Check the token before spending a password hash on the request.
  std::optional<store::InvitationRow> row;
  PasswordContext context;
  Status st = db_.Read([&](store::Db& db) -> Status {
    row = load(db);
    if (!row) return Status::Ok();
    auto org = keys_.Get(db, row->org);
    if (!org.ok()) return org.status();
    context.email =
        org.value()->OpenText("invitation-email", row->id.str(), row->email_sealed).value_or("");
    context.org_name = OpenOrgName(db, *org.value(), row->org);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!row) return InvitationInvalid();
  if (row->expires_at <= util::NowUnix()) return expired();
  st = CheckPasswordPolicy(password);
  if (!st.ok()) return st;
  st = CheckPasswordContext(password, context);
  if (!st.ok()) return st;
  auto hash = accounts_.HashPassword(password);
  if (!hash.ok()) return hash.status();
  AcceptedInvitation out;
  st = db_.Write([&](store::Db& db) -> Status {
    auto r = load(db);  // again: another request may have used it meanwhile
    if (!r) return InvitationInvalid();
    if (r->expires_at <= util::NowUnix()) return expired();
    auto org = keys_.Get(db, r->org);
    if (!org.ok()) return org.status();
    auto email = org.value()->OpenText("invitation-email", r->id.str(), r->email_sealed);
    if (!email) return Status::Internal("the invitation could not be opened");
    if (IsAddressBlocked(db, *org.value(), *email)) return AddressBlocked();
    auto role = access::ParseRole(r->role).value_or(access::Role::kViewer);
    auto user = accounts_.InsertUser(db, *org.value(), *email, hash.value(), role, true);
    if (!user.ok()) return user.status();
    store::DeleteInvitation(db, r->id);
    out.user = user.value();
    out.org = r->org;
    out.role = role;
    RecordAudit(db, org.value().get(),
                {"invitation:" + r->id.str(),
                 out.user.str(),
                 "invitation.accept",
                 {{"user_id", out.user.str()}}});
    RecordAudit(db, org.value().get(),
                {"user:" + out.user.str(),
                 out.user.str(),
                 "user.create",
                 {{"role", access::RoleName(role)},
                  {"email_verified", true},
                  {"invitation_id", r->id.str()}}});
    row = std::move(r);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  util::log::Info("invitation.accepted")
      .Ref("invitation_id", row->id)
      .Ref("user_id", out.user)
      .Ref("org_id", out.org);
  return out;
}

Status Invitations::RequestVerification(const Principal& actor) {
  if (Status st = Allowed(actor, Function::kSelfManage); !st.ok()) return st;
  std::string token = crypto::RandomToken();
  crypto::Bytes token_hash = VerificationTokenHash(token);
  std::string email;
  const int64_t now = util::NowUnix();
  const int64_t expires_at = now + options_.verification_ttl_seconds;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    auto target = store::FindVerificationTarget(db, actor.user);
    if (!target) return Status::NotFound();
    if (target->email_verified) {
      return Status::Conflict("already_verified", "your address is already verified");
    }
    auto opened = org.value()->OpenText("email", actor.user.str(), target->email_sealed);
    if (!opened) return Status::Internal("the account could not be opened");
    email = *opened;
    if (auto last = store::LastVerificationAt(db, actor.user)) {
      int64_t since = now - *last;
      if (since < kVerificationResendSeconds) {
        return Status(Code::kTooManyRequests, "verification_recently_sent",
                      "a verification link was sent a moment ago; check your mail")
            .WithRetryAfter(kVerificationResendSeconds - since);
      }
    }
    // One link at a time: a new one replaces the old.
    store::DeleteVerificationsOf(db, actor.user, now);
    store::InsertVerification(db, token_hash, actor.user, now, expires_at);
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(), actor.user.str(), "user.verify_email_request", {}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  MailMessage m;
  m.to = email;
  m.subject = "Confirm your e-mail address for bomvault";
  m.body =
      "Hello,\n\nTo confirm that this address is yours, open this link. It works once and "
      "expires at " +
      util::FormatUtc(expires_at) + ":\n\n" + Link("verify-email", token) +
      "\n\nIf you did not ask for this, you can ignore this message.\n";
  crypto::Wipe(token);
  st = mailer_.Send(m);
  if (!st.ok()) {
    Status taken_back = db_.Write([&](store::Db& db) -> Status {
      store::DeleteVerification(db, token_hash);
      return Status::Ok();
    });
    if (!taken_back.ok())
      util::log::Error("user.verify_email_take_back_failed").Ref("user_id", actor.user);
    util::log::Warn("user.verify_email_mail_failed").Ref("user_id", actor.user);
    return st;
  }
  util::log::Info("user.verify_email_sent").Ref("user_id", actor.user);
  return Status::Ok();
}

Status Invitations::Verify(std::string_view token) {
  if (token.empty() || token.size() > 256) return VerificationInvalid();
  crypto::Bytes token_hash = VerificationTokenHash(token);
  util::UserId user;
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto link = store::FindVerification(db, token_hash);
    if (!link) return VerificationInvalid();
    user = link->user;
    if (link->expires_at <= util::NowUnix()) {
      return Status::Invalid("verification_expired",
                             "this verification link has expired; ask for a new one");
    }
    store::MarkEmailVerified(db, user);
    store::DeleteUserVerifications(db, user);
    auto org = keys_.Get(db, link->org);
    if (!org.ok()) return org.status();
    RecordAudit(
        db, org.value().get(),
        {"user:" + user.str(), user.str(), "user.verify_email", {{"email_verified", true}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  accounts_.ForgetCachedPrincipals();
  util::log::Info("user.email_verified").Ref("user_id", user);
  return Status::Ok();
}

util::Result<std::vector<BlockedEntry>> Invitations::Blocked(const Principal& actor) {
  if (Status st = Allowed(actor, Function::kBlockListRead); !st.ok()) return st;
  std::vector<BlockedEntry> out;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto org = keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    for (auto& r : store::ListBlocked(db, actor.org, kMaxBlockedEntries)) {
      BlockedEntry e;
      e.kind = std::move(r.kind);
      auto text = org.value()->OpenText("blocked", crypto::ToHex(r.entry_bidx), r.entry_sealed);
      if (!text) return Status::Internal("a block list entry could not be opened");
      e.entry = *text;
      e.created_by = std::move(r.created_by);
      e.created_at = r.created_at;
      out.push_back(std::move(e));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<BlockedEntry> Invitations::Block(const Principal& actor, std::string_view text) {
  if (Status st = Allowed(actor, Function::kBlockListWrite); !st.ok()) return st;
  auto parsed = ParseEntry(text);
  if (!parsed.ok()) return parsed.status();
  BlockedEntry e{parsed->value, parsed->kind, actor.user.str(), util::NowUnix()};
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    if (store::CountBlocked(db, actor.org) >= kMaxBlockedEntries) {
      return Status::Conflict("block_list_full", "the block list holds " +
                                                     std::to_string(kMaxBlockedEntries) +
                                                     " entries; remove some first");
    }
    crypto::Bytes bidx = EntryIndex(*org.value(), parsed->Key());
    if (store::BlockedEntryExists(db, actor.org, bidx))
      return Status::Conflict("already_blocked", "this entry is already blocked");
    store::InsertBlocked(
        db, actor.org,
        {e.kind, bidx, org.value()->SealText("blocked", crypto::ToHex(bidx), e.entry), e.created_by,
         e.created_at});
    RecordAudit(db, org.value().get(),
                {"blocklist:" + actor.org.str(),
                 actor.user.str(),
                 "blocklist.add",
                 {{"kind", e.kind}, {"entry", e.entry}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  util::log::Info("blocklist.added").Ref("org_id", actor.org).Ref("user_id", actor.user);
  return e;
}

Status Invitations::Unblock(const Principal& actor, std::string_view text) {
  if (Status st = Allowed(actor, Function::kBlockListWrite); !st.ok()) return st;
  auto parsed = ParseEntry(text);
  if (!parsed.ok()) return parsed.status();
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto org = keys_.Get(db, actor.org);
    if (!org.ok()) return org.status();
    crypto::Bytes bidx = EntryIndex(*org.value(), parsed->Key());
    if (!store::DeleteBlocked(db, actor.org, bidx)) {
      return Status(Code::kNotFound, "not_blocked", "this entry is not on the block list");
    }
    RecordAudit(db, org.value().get(),
                {"blocklist:" + actor.org.str(),
                 actor.user.str(),
                 "blocklist.remove",
                 {{"kind", parsed->kind}, {"entry", parsed->value}}});
    return Status::Ok();
  });
  if (st.ok())
    util::log::Info("blocklist.removed").Ref("org_id", actor.org).Ref("user_id", actor.user);
  return st;
}

}  // namespace bomvault::service
