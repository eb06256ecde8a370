// Invariant checks. Our Abseil (20220623) ships no absl/log, so these print the failed
// condition with its location and abort. TALLY_CHECK is always on; TALLY_DCHECK only in
// debug builds. Both are for programmer errors, never for anything user input can trigger.
#pragma once

#include <cstdio>
#include <cstdlib>

#define TALLY_CHECK(cond)                                                               \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

#ifdef NDEBUG
#define TALLY_DCHECK(cond) \
  do {                     \
  } while (false && (cond))
#else
#define TALLY_DCHECK(cond) TALLY_CHECK(cond)
#endif
