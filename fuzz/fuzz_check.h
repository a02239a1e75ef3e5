// FUZZ_CHECK: the invariant check of the fuzz targets. Unlike assert() it is on in release
// builds too (the corpus replay runs in the optimised build), and it aborts with the failed
// condition so libFuzzer records the input as a crash. Header-only, no state.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)
