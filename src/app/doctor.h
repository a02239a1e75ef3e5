// `bomvault doctor`: the air-gap self-check an operator runs on the server machine.
//
// Reads the data directory, the flags the server is started with (the same flags as `serve`, so
// `bomvault doctor --data DIR $BOMVAULT_OPTS` checks the real configuration) and, when it
// answers, the running server. It reports every feature that would reach outside the machine (mail
// relay, data sources, identity providers) and whether it is configured, data-directory and
// key-file permissions, whether the store is encrypted, TLS (certificate dates, key-file mode),
// seal status, clock sanity, backup age and free disk space. Each finding is one line starting
// with "ok", "WARN" or "FAIL"; the exit status is 1 if any FAIL. Needs no key and changes nothing.
// Single-threaded; for the CLI only.
#pragma once

namespace bomvault::app {

int CmdDoctor(int argc, char** argv);

}  // namespace bomvault::app
