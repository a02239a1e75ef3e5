#include "store/invitations_store.h"

#include "store/rows.h"

namespace bomvault::store {

namespace {

// The columns InvitationFrom reads, in its order.
#define INVITATION_COLUMNS "id, org_id, inviter_id, email_sealed, role, created_at, expires_at"

InvitationRow InvitationFrom(SQLite::Statement& q) {
  InvitationRow r;
  r.id = util::InvitationId::FromTrusted(q.getColumn(0).getString());
  r.org = util::OrgId::FromTrusted(q.getColumn(1).getString());
  r.inviter = util::UserId::FromTrusted(q.getColumn(2).getString());
  r.email_sealed = Copy(q.getColumn(3));
  r.role = q.getColumn(4).getString();
  r.created_at = q.getColumn(5).getInt64();
  r.expires_at = q.getColumn(6).getInt64();
  return r;
}

}  // namespace

void PurgeExpiredInvitations(Db& db, const util::OrgId& org, int64_t expired_by) {
  SQLite::Statement d(db, "DELETE FROM invitations WHERE org_id = ? AND expires_at <= ?");
  d.bind(1, org.str());
  d.bind(2, expired_by);
  d.exec();
}

bool PendingInvitationExists(Db& db, const util::OrgId& org, const crypto::Bytes& email_bidx,
                             int64_t now) {
  SQLite::Statement q(db,
                      "SELECT 1 FROM invitations WHERE org_id = ? AND email_bidx = ? AND "
                      "expires_at > ?");
  q.bind(1, org.str());
  BindBlob(q, 2, email_bidx);
  q.bind(3, now);
  return q.executeStep();
}

PendingInvitations PendingByInviter(Db& db, const util::UserId& inviter, int64_t now) {
  SQLite::Statement q(db,
                      "SELECT count(*), min(expires_at) FROM invitations WHERE inviter_id = ? "
                      "AND expires_at > ?");
  q.bind(1, inviter.str());
  q.bind(2, now);
  q.executeStep();
  return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
}

int64_t CountPendingInvitations(Db& db, const util::OrgId& org, int64_t now) {
  SQLite::Statement q(db, "SELECT count(*) FROM invitations WHERE org_id = ? AND expires_at > ?");
  q.bind(1, org.str());
  q.bind(2, now);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

void InsertInvitation(Db& db, const InvitationRow& row, const crypto::Bytes& email_bidx,
                      const crypto::Bytes& token_hash) {
  SQLite::Statement ins(db,
                        "INSERT INTO invitations(id, org_id, inviter_id, email_bidx, "
                        "email_sealed, role, token_hash, created_at, expires_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?)");
  ins.bind(1, row.id.str());
  ins.bind(2, row.org.str());
  ins.bind(3, row.inviter.str());
  BindBlob(ins, 4, email_bidx);
  BindBlob(ins, 5, row.email_sealed);
  ins.bind(6, row.role);
  BindBlob(ins, 7, token_hash);
  ins.bind(8, row.created_at);
  ins.bind(9, row.expires_at);
  ins.exec();
}

std::vector<InvitationRow> ListInvitations(Db& db, const util::OrgId& org,
                                           const std::optional<util::InvitationId>& after,
                                           int limit) {
  SQLite::Statement q(db,
                      "SELECT " INVITATION_COLUMNS
                      " FROM invitations WHERE org_id = ?1 AND (?2 IS NULL OR (created_at, id) < "
                      "(SELECT created_at, id FROM invitations WHERE id = ?2 AND org_id = ?1)) "
                      "ORDER BY created_at DESC, id DESC LIMIT ?3");
  q.bind(1, org.str());
  if (after) {
    q.bind(2, after->str());
  } else {
    q.bind(2);
  }
  q.bind(3, limit);
  std::vector<InvitationRow> out;
  while (q.executeStep()) out.push_back(InvitationFrom(q));
  return out;
}

std::optional<InvitationRow> FindInvitationByToken(Db& db, const crypto::Bytes& token_hash) {
  SQLite::Statement q(db, "SELECT " INVITATION_COLUMNS " FROM invitations WHERE token_hash = ?");
  BindBlob(q, 1, token_hash);
  if (!q.executeStep()) return std::nullopt;
  return InvitationFrom(q);
}

void DeleteInvitation(Db& db, const util::InvitationId& id) {
  SQLite::Statement d(db, "DELETE FROM invitations WHERE id = ?");
  d.bind(1, id.str());
  d.exec();
}

bool DeleteOrgInvitation(Db& db, const util::OrgId& org, const util::InvitationId& id) {
  SQLite::Statement d(db, "DELETE FROM invitations WHERE id = ? AND org_id = ?");
  d.bind(1, id.str());
  d.bind(2, org.str());
  return d.exec() != 0;
}

std::optional<TakenInvitation> TakeNewestInvitation(Db& db, const util::OrgId& org,
                                                    const crypto::Bytes& email_bidx, int64_t now) {
  SQLite::Statement q(db,
                      "DELETE FROM invitations WHERE id = (SELECT id FROM invitations "
                      "WHERE org_id = ? AND email_bidx = ? AND expires_at > ? ORDER BY "
                      "created_at DESC LIMIT 1) RETURNING id, role");
  q.bind(1, org.str());
  BindBlob(q, 2, email_bidx);
  q.bind(3, now);
  if (!q.executeStep()) return std::nullopt;
  TakenInvitation t{util::InvitationId::FromTrusted(q.getColumn(0).getString()),
                    q.getColumn(1).getString()};
  while (q.executeStep()) {
  }
  return t;
}

std::optional<VerificationTarget> FindVerificationTarget(Db& db, const util::UserId& user) {
  SQLite::Statement q(db, "SELECT email_verified, email_sealed FROM users WHERE id = ?");
  q.bind(1, user.str());
  if (!q.executeStep()) return std::nullopt;
  return VerificationTarget{q.getColumn(0).getInt() != 0, Copy(q.getColumn(1))};
}

void MarkEmailVerified(Db& db, const util::UserId& user) {
  SQLite::Statement u(db, "UPDATE users SET email_verified = 1 WHERE id = ?");
  u.bind(1, user.str());
  u.exec();
}

std::optional<int64_t> LastVerificationAt(Db& db, const util::UserId& user) {
  SQLite::Statement q(db, "SELECT max(created_at) FROM email_verifications WHERE user_id = ?");
  q.bind(1, user.str());
  if (!q.executeStep() || q.getColumn(0).isNull()) return std::nullopt;
  return q.getColumn(0).getInt64();
}

void DeleteVerificationsOf(Db& db, const util::UserId& user, int64_t now) {
  SQLite::Statement d(db, "DELETE FROM email_verifications WHERE user_id = ? OR expires_at <= ?");
  d.bind(1, user.str());
  d.bind(2, now);
  d.exec();
}

void InsertVerification(Db& db, const crypto::Bytes& token_hash, const util::UserId& user,
                        int64_t now, int64_t expires_at) {
  SQLite::Statement ins(db,
                        "INSERT INTO email_verifications(token_hash, user_id, created_at, "
                        "expires_at) VALUES (?,?,?,?)");
  BindBlob(ins, 1, token_hash);
  ins.bind(2, user.str());
  ins.bind(3, now);
  ins.bind(4, expires_at);
  ins.exec();
}

void DeleteVerification(Db& db, const crypto::Bytes& token_hash) {
  SQLite::Statement d(db, "DELETE FROM email_verifications WHERE token_hash = ?");
  BindBlob(d, 1, token_hash);
  d.exec();
}

void DeleteUserVerifications(Db& db, const util::UserId& user) {
  SQLite::Statement d(db, "DELETE FROM email_verifications WHERE user_id = ?");
  d.bind(1, user.str());
  d.exec();
}

std::optional<VerificationRow> FindVerification(Db& db, const crypto::Bytes& token_hash) {
  SQLite::Statement q(db,
                      "SELECT v.user_id, u.org_id, v.expires_at FROM email_verifications v "
                      "JOIN users u ON u.id = v.user_id WHERE v.token_hash = ?");
  BindBlob(q, 1, token_hash);
  if (!q.executeStep()) return std::nullopt;
  return VerificationRow{util::UserId::FromTrusted(q.getColumn(0).getString()),
                         util::OrgId::FromTrusted(q.getColumn(1).getString()),
                         q.getColumn(2).getInt64()};
}

}  // namespace bomvault::store
