// The composition root: parses the command line, wires store, vault, services and HTTP, owns
// their lifetimes and the in-process timers. The only module (with main.cc) that sees them all.
//
// Commands: version, init, serve, unseal, check, audit verify (see README). Run() returns the
// process exit code. Called once from main(), on the main thread.
#pragma once

namespace bomvault::app {

int Run(int argc, char** argv);

}  // namespace bomvault::app
