#include "service/users.h"

#include <algorithm>
#include <cctype>

#include "service/accounts.h"
#include "service/accounts_shared.h"
#include "service/audit.h"
#include "service/common_passwords.h"
#include "store/orgs_store.h"
#include "store/sessions_store.h"
#include "store/sources_store.h"
#include "store/users_store.h"
#include "util/clock.h"
#include "util/log.h"

namespace bomvault::service {

using access::Principal;
using access::PrincipalKind;
using util::Code;
using util::Status;

using accounts_detail::Allowed;
using accounts_detail::CodePoints;

namespace {

constexpr int kMaxListedUsers = 1000;

}  // namespace

util::Result<std::string> NormaliseEmail(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front()))) {
    email.remove_prefix(1);
  }
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back()))) {
    email.remove_suffix(1);
  }
  auto bad = Status::Invalid("invalid_email", "this is not a valid e-mail address");
  if (email.size() < 3 || email.size() > 254) return bad;
  size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || email.find('@', at + 1) != email.npos) {
    return bad;
  }
  std::string_view domain = email.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == domain.npos || domain.front() == '.' ||
      domain.back() == '.') {
    return bad;
  }
  std::string out;
  for (unsigned char c : email) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',' ||
        c == ';' || c == '(' || c == ')' || c == '[' || c == ']') {
      return bad;
    }
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

Status CheckPasswordPolicy(std::string_view password) {
  if (CodePoints(password) < 8) {
    return Status::Invalid("password_too_short", "the password must have at least 8 characters");
  }
  if (password.size() > 1024) {
    return Status::Invalid("password_too_long", "the password must have at most 1024 bytes");
  }
  if (IsCommonPassword(password)) {
    return Status::Invalid("password_common",
                           "this password is too common; choose one that is harder to guess");
  }
  return Status::Ok();
}

namespace {

// ASCII letters folded to lower case, other bytes kept; separators (ASCII that is neither a letter
// nor a digit) dropped when `squash`, else turned into one space between words.
std::string Fold(std::string_view text, bool squash) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x80 || std::isalnum(c) != 0) {
      out += static_cast<char>(std::tolower(c));
    } else if (!squash && !out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  return out;
}

}  // namespace

Status CheckPasswordContext(std::string_view password, const PasswordContext& context) {
  constexpr size_t kMinWord = 4;
  const std::string folded = Fold(password, true);
  const std::string local = context.email.substr(0, context.email.find('@'));
  struct Source {
    std::string_view text;
    const char* what;
  };
  for (const Source& s :
       {Source{"bomvault", "the product's name"}, Source{local, "the name of your e-mail address"},
        Source{context.display_name, "your display name"},
        Source{context.org_name, "your organisation's name"}}) {
    std::vector<std::string> words;
    std::string spaced = Fold(s.text, false);
    size_t pos = 0;
    while (pos < spaced.size()) {
      size_t end = spaced.find(' ', pos);
      if (end == std::string::npos) end = spaced.size();
      if (end - pos >= kMinWord) words.push_back(spaced.substr(pos, end - pos));
      pos = end + 1;
    }
    std::string whole = Fold(s.text, true);
    if (whole.size() >= kMinWord) words.push_back(std::move(whole));
    for (const auto& w : words) {
      if (folded.find(w) != std::string::npos) {
        return Status::Invalid("password_context_word",
                               std::string("the password contains ") + s.what +
                                   "; a password may not contain the name of your e-mail address, "
                                   "your display name, your organisation's name or \"bomvault\"");
      }
    }
  }
  return Status::Ok();
}

std::string OpenOrgName(store::Db& db, const OrgCrypto& org, const util::OrgId& id) {
  auto sealed = store::OrgNameSealed(db, id);
  if (!sealed) return "";
  return org.OpenText("org-name", id.str(), *sealed).value_or("");
}

crypto::Bytes Accounts::OrgEmailIndex(const util::OrgId& org,
                                      std::string_view normalised_email) const {
  std::string text = org.str() + "\n" + std::string(normalised_email);
  return crypto::KeyedHash(index_key_, "email-in-org", crypto::AsBytes(text));
}

Accounts::AddressUse Accounts::EmailUse(store::Db& db, const util::OrgId& org,
                                        std::string_view normalised_email) {
  crypto::Bytes global = EmailIndex(normalised_email);
  crypto::Bytes local = OrgEmailIndex(org, normalised_email);
  AddressUse use = AddressUse::kFree;
  for (const store::EmailIndexHit& hit : store::FindEmailIndex(db, global, local)) {
    if (hit.org_local || hit.org == org) return AddressUse::kMember;
    use = AddressUse::kElsewhere;
  }
  return use;
}

util::Result<util::UserId> Accounts::InsertUser(store::Db& db, const OrgCrypto& org,
                                                const std::string& email,
                                                const std::string& pw_hash, access::Role role,
                                                bool verified, bool shadow_if_elsewhere) {
  crypto::Bytes bidx = EmailIndex(email);
  switch (EmailUse(db, org.org(), email)) {
    case AddressUse::kFree:
      break;
    case AddressUse::kMember:
      return Status::Conflict("email_taken", "an account with this e-mail address exists");
    case AddressUse::kElsewhere:
      if (!shadow_if_elsewhere) {
        return Status::Conflict("email_taken", "an account with this e-mail address exists");
      }
      bidx = OrgEmailIndex(org.org(), email);
      break;
  }
  if (!pw_hash.empty()) {
    // An org with local passwords off (service/oidc.h) stores no password for anyone.
    if (!store::LoadOrgSettings(db, org.org()).local_passwords) {
      return Status::Conflict("local_passwords_off",
                              "this organisation signs in through its identity provider only");
    }
  }
  store::NewUserRow row;
  row.id = util::UserId::Generate();
  row.org = org.org();
  row.email_index = std::move(bidx);
  row.email_sealed = org.SealText("email", row.id.str(), email);
  row.password_hash = pw_hash;  // empty: no local password (single sign-on only)
  row.role = std::string(access::RoleName(role));
  row.email_verified = verified;
  row.now = util::NowUnix();
  store::InsertUser(db, row);
  return row.id;
}

util::Result<util::UserId> Accounts::CreateUser(const Principal& actor, std::string_view email,
                                                std::string_view password,
                                                std::string_view role_text) {
  if (Status st = Allowed(actor, access::Function::kUserCreate); !st.ok()) return st;
  auto norm = NormaliseEmail(email);
  if (!norm.ok()) return norm.status();
  auto role = access::ParseRole(role_text);
  if (!role) {
    return Status::Invalid("invalid_role", "role must be administrator, editor or viewer");
  }
  Status st = CheckPasswordPolicy(password);
  if (!st.ok()) return st;
  PasswordContext context{norm.value(), "", ""};
  st = db_.Read([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    context.org_name = OpenOrgName(db, *org.value(), actor.org);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  st = CheckPasswordContext(password, context);
  if (!st.ok()) return st;
  auto hash = HashPassword(password);
  if (!hash.ok()) return hash.status();
  util::UserId created;
  st = db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    auto id = InsertUser(db, *org.value(), norm.value(), hash.value(), *role, true, true);
    if (!id.ok()) return id.status();
    created = id.value();
    RecordAudit(db, org.value().get(),
                {"user:" + created.str(),
                 actor.user.str(),
                 "user.create",
                 {{"role", access::RoleName(*role)}, {"email_verified", true}}});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  util::log::Info("user.created").Ref("org_id", actor.org).Ref("user_id", created);
  return created;
}

util::Result<std::vector<UserView>> Accounts::ListUsers(const Principal& actor) {
  if (Status st = Allowed(actor, access::Function::kUserList); !st.ok()) return st;
  return ListOrgUsers(actor.org);
}

util::Result<std::vector<UserView>> Accounts::ListOrgUsers(const util::OrgId& org_id) {
  Principal actor;
  actor.org = org_id;
  std::vector<UserView> out;
  Status st = db_.Read([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    for (const store::UserRow& row : store::ListUsers(db, actor.org, kMaxListedUsers)) {
      UserView u;
      u.id = row.id;
      u.org = actor.org;
      auto email = org.value()->OpenText("email", u.id.str(), row.email_sealed);
      if (!email) return Status::Internal("an account could not be opened");
      u.email = *email;
      u.role = access::ParseRole(row.role).value_or(access::Role::kViewer);
      u.email_verified = row.email_verified;
      u.disabled = row.disabled;
      u.mfa_enabled = row.totp_enabled;
      u.created_at = row.created_at;
      u.last_active_at = row.last_active_at;
      u.recovery_codes_left = row.recovery_codes;
      if (row.display_name_sealed) {
        auto name = org.value()->OpenText("display-name", u.id.str(), *row.display_name_sealed);
        if (!name) return Status::Internal("an account could not be opened");
        u.display_name = *name;
      }
      u.passkeys = row.passkeys;
      u.version = row.version;
      out.push_back(std::move(u));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

util::Result<UserView> Accounts::GetUser(const Principal& actor, const util::UserId& id) {
  // A user may read their own account; Administrators any in their org.
  if (actor.kind != PrincipalKind::kUser) return Status::Forbidden();
  Status st = Allowed(
      actor, access::UserFunction(actor, id, access::Function::kSelf, access::Function::kUserList));
  if (!st.ok()) return st;
  auto all = ListOrgUsers(actor.org);
  if (!all.ok()) return all.status();
  for (auto& u : all.value()) {
    if (u.id == id) return u;
  }
  return Status::NotFound();
}

Status Accounts::UpdateUser(const Principal& actor, const util::UserId& id,
                            std::optional<std::string> role_text, std::optional<bool> disabled,
                            const util::IfMatch& if_match) {
  if (Status st = Allowed(actor, access::Function::kUserUpdate); !st.ok()) return st;
  std::optional<access::Role> role;
  if (role_text) {
    role = access::ParseRole(*role_text);
    if (!role)
      return Status::Invalid("invalid_role", "role must be administrator, editor or viewer");
  }
  if (actor.user == id &&
      ((role && *role != access::Role::kAdministrator) || disabled.value_or(false))) {
    return Status::Conflict("self_demotion",
                            "you cannot demote or disable yourself; ask another Administrator");
  }
  Status st = db_.Write([&](store::Db& db) -> Status {
    auto before = store::FindUser(db, actor.org, id);
    if (!before) return Status::NotFound();
    if (!if_match.Holds(util::EntityTag(before->version))) return Status::PreconditionFailed();
    const std::string& before_role = before->role;
    const bool before_disabled = before->disabled;
    AuditChange change;
    if (role && access::RoleName(*role) != before_role) {
      change.Set("role", {{"before", before_role}, {"after", access::RoleName(*role)}});
      // Revoked privileges: the address must be verified again before sharing (seed rule).
      bool demoted = (before_role == "administrator") ||
                     (before_role == "editor" && *role == access::Role::kViewer);
      store::SetUserRole(db, id, std::string(access::RoleName(*role)), demoted);
    }
    if (disabled && *disabled != before_disabled) {
      change.Set("disabled", {{"before", before_disabled}, {"after", *disabled}});
      store::SetUserDisabled(db, id, *disabled);
      if (*disabled) {
        store::DeleteUserSessions(db, id);
        // Their own connections to data sources go too (service/sources.h): a disabled user's
        // credentials must not outlive the account's use.
        if (int n = store::DeleteUserSourceConnections(db, id); n > 0) {
          change.Set("source_connections_deleted", n);
        }
      }
    }
    if (change.empty()) return Status::Ok();
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    RecordAudit(db, org.value().get(),
                {"user:" + id.str(), actor.user.str(), "user.update", change});
    return Status::Ok();
  });
  ForgetCachedPrincipals();
  return st;
}

Status Accounts::SetDisplayName(const Principal& actor, std::string_view name,
                                const util::IfMatch& if_match) {
  if (Status st = Allowed(actor, access::Function::kSelfManage); !st.ok()) return st;
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (CodePoints(name) > 100) {
    return Status::Invalid("invalid_display_name", "a display name has at most 100 characters");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return Status::Invalid("invalid_display_name",
                             "a display name cannot hold control characters");
    }
  }
  return db_.Write([&](store::Db& db) -> Status {
    auto org = Org(db, actor.org);
    if (!org.ok()) return org.status();
    if (!if_match.header.empty()) {
      auto user = store::FindUser(db, actor.org, actor.user);
      if (!user) return Status::NotFound();
      if (!if_match.Holds(MeEtag(user->version, actor))) return Status::PreconditionFailed();
    }
    std::optional<crypto::Bytes> sealed;
    if (!name.empty()) sealed = org.value()->SealText("display-name", actor.user.str(), name);
    if (!store::SetDisplayNameSealed(db, actor.user, sealed)) return Status::NotFound();
    // The name itself stays out of the audit: the entry says only that it changed.
    RecordAudit(db, org.value().get(),
                {"user:" + actor.user.str(), actor.user.str(), "user.display_name", {}});
    return Status::Ok();
  });
}

util::Result<std::vector<DirectoryEntry>> Accounts::Directory(const Principal& actor,
                                                              std::string_view query,
                                                              size_t limit) {
  if (Status st = Allowed(actor, access::Function::kDirectoryRead); !st.ok()) return st;
  // ASCII and Latin-1 letters (À-Þ, two UTF-8 bytes C3 80-9E) fold to lower case: enough for the
  // names of most Western European languages without a Unicode library.
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (size_t i = 0; i < out.size(); ++i) {
      auto c = static_cast<unsigned char>(out[i]);
      if (c == 0xC3 && i + 1 < out.size()) {
        auto next = static_cast<unsigned char>(out[i + 1]);
        if (next >= 0x80 && next <= 0x9E && next != 0x97)
          out[i + 1] = static_cast<char>(next + 0x20);
        ++i;
        continue;
      }
      out[i] = static_cast<char>(std::tolower(c));
    }
    return out;
  };
  const std::string needle = lower(query);
  auto all = ListOrgUsers(actor.org);
  if (!all.ok()) return all.status();
  std::vector<DirectoryEntry> out;
  for (auto& u : all.value()) {
    if (u.disabled) continue;
    if (!needle.empty() && lower(u.email).find(needle) == std::string::npos &&
        lower(u.display_name).find(needle) == std::string::npos) {
      continue;
    }
    out.push_back({u.id, std::move(u.display_name), std::move(u.email)});
  }
  auto key = [&](const DirectoryEntry& e) {
    return lower(e.display_name.empty() ? e.email : e.display_name);
  };
  std::sort(out.begin(), out.end(),
            [&](const DirectoryEntry& a, const DirectoryEntry& b) { return key(a) < key(b); });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace bomvault::service
