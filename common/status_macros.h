// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status: Abseil 20220623 ships none.
#ifndef KTP_COMMON_STATUS_MACROS_H_
#define KTP_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KTP_CONCAT_INNER_(a, b) a##b
#define KTP_CONCAT_(a, b) KTP_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    ::absl::Status ktp_status_ = (expr);         \
    if (!ktp_status_.ok()) return ktp_status_;   \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F())` declares x from an OK StatusOr or returns its status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(KTP_CONCAT_(ktp_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // KTP_COMMON_STATUS_MACROS_H_
