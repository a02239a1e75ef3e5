// bomvault: one executable serving a bundled UI and a JSON API over an encrypted SQLite store.
#include "app/app.h"

int main(int argc, char** argv) { return bomvault::app::Run(argc, argv); }
