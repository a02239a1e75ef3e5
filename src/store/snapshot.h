// Consistent copies of the encrypted store, for backups.
//
// CopyLive copies the live SQLCipher file into a new file with SQLite's online backup API. Both
// connections are keyed with the same raw database key, so every page is decrypted and
// re-encrypted with a fresh IV on its way through memory and the copy is ciphertext from its first
// byte; the file's salt is copied too, so the copy opens with the same key. The source connection
// holds one read transaction for the whole copy, so the copy is exactly one committed state (WAL
// readers see a fixed snapshot) while the server keeps writing; pages go over in steps, so a large
// store never holds a writer back.
//
// Detach turns a fresh copy into a stand-alone snapshot: rollback journal instead of WAL (one
// file), the org_keys and org_keys_retired rows deleted (their wrapped keys live only in the backup
// directory's key file, see service/backups.h), secure_delete plus VACUUM so no freed page keeps a
// copy of them, then the SQLite, SQLCipher page-HMAC and foreign-key checks.
//
// Plain functions; each opens and closes its own connections, so any thread may call them.
#pragma once

#include <string>
#include <vector>

#include "crypto/secure_buffer.h"
#include "util/status.h"

namespace bomvault::store {

// `dst` must not exist. On failure the partial `dst` is removed.
util::Status CopyLive(const std::string& src, const std::string& dst,
                      const crypto::SecureBuffer& key);

// Removes the org_keys and org_keys_retired rows and makes `path` a single-file database; problems
// found by the integrity checks afterwards are appended to `problems`.
util::Status Detach(const std::string& path, const crypto::SecureBuffer& key,
                    std::vector<std::string>* problems);

// fsync of a file (and, with dir=true, of a directory entry list).
bool SyncPath(const std::string& path, bool dir = false);

}  // namespace bomvault::store
