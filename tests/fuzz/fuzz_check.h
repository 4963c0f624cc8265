// FUZZ_CHECK: a harness invariant. Aborts with the failed condition so
// libFuzzer (and the CTest corpus runner) report the input as a crash.
#ifndef KTP_TESTS_FUZZ_FUZZ_CHECK_H_
#define KTP_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

#endif  // KTP_TESTS_FUZZ_FUZZ_CHECK_H_
