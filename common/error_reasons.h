// Every ErrorInfo.reason the gateway answers with, in one place: producers and
// the code that classifies errors (retries, circuit breaker, fallback, metrics)
// name these constants instead of repeating string literals, so a renamed or
// mistyped reason is a compile error. The values are wire contract (clients
// switch on them; docs/status-mapping.md documents each): never change one.
#ifndef KTP_COMMON_ERROR_REASONS_H_
#define KTP_COMMON_ERROR_REASONS_H_

namespace ktp::reasons {

// The caller's upload.
inline constexpr char kNoFile[] = "NO_FILE";
inline constexpr char kFileInvalidFormat[] = "FILE_INVALID_FORMAT";
inline constexpr char kImageTooLarge[] = "IMAGE_TOO_LARGE";
inline constexpr char kUploadProtocolViolation[] = "UPLOAD_PROTOCOL_VIOLATION";
inline constexpr char kStreamIdleTimeout[] = "STREAM_IDLE_TIMEOUT";
inline constexpr char kUploadTooSlow[] = "UPLOAD_TOO_SLOW";
inline constexpr char kCancelled[] = "CANCELLED";

// Who the caller is and what it may do.
inline constexpr char kUnauthenticated[] = "UNAUTHENTICATED";
inline constexpr char kPermissionDenied[] = "PERMISSION_DENIED";
inline constexpr char kClientDisabled[] = "CLIENT_DISABLED";
inline constexpr char kMethodNotAllowed[] = "METHOD_NOT_ALLOWED";

// Limits: the access policy's, then the process's own.
inline constexpr char kRateLimited[] = "RATE_LIMITED";
inline constexpr char kRateLimiterUnavailable[] = "RATE_LIMITER_UNAVAILABLE";
inline constexpr char kPolicyConcurrencyLimit[] = "POLICY_CONCURRENCY_LIMIT";
inline constexpr char kTenantConcurrencyLimit[] = "TENANT_CONCURRENCY_LIMIT";
inline constexpr char kTooManyConcurrentCalls[] = "TOO_MANY_CONCURRENT_CALLS";
inline constexpr char kGatewayOverloaded[] = "GATEWAY_OVERLOADED";

// The card read contradicts itself and the tenant asked for reject_inconsistent.
inline constexpr char kIdentityInconsistent[] = "IDENTITY_INCONSISTENT";

// The gateway itself.
inline constexpr char kGatewayShuttingDown[] = "GATEWAY_SHUTTING_DOWN";
inline constexpr char kGatewayInternal[] = "GATEWAY_INTERNAL";
inline constexpr char kCredentialsUnavailable[] = "CREDENTIALS_UNAVAILABLE";

// The GLAIR REST engine.
inline constexpr char kUpstreamConnectFailed[] = "UPSTREAM_CONNECT_FAILED";
inline constexpr char kUpstreamConnectionFailed[] = "UPSTREAM_CONNECTION_FAILED";
inline constexpr char kUpstreamTlsFailed[] = "UPSTREAM_TLS_FAILED";
inline constexpr char kUpstreamTimeout[] = "UPSTREAM_TIMEOUT";
inline constexpr char kUpstreamUnavailable[] = "UPSTREAM_UNAVAILABLE";
inline constexpr char kUpstreamCircuitOpen[] = "UPSTREAM_CIRCUIT_OPEN";
inline constexpr char kUpstreamQuotaExceeded[] = "UPSTREAM_QUOTA_EXCEEDED";
inline constexpr char kUpstreamAuthenticationFailed[] = "UPSTREAM_AUTHENTICATION_FAILED";
inline constexpr char kUpstreamAccessDenied[] = "UPSTREAM_ACCESS_DENIED";
inline constexpr char kUpstreamRejectedRequest[] = "UPSTREAM_REJECTED_REQUEST";
inline constexpr char kUpstreamResponseTooLarge[] = "UPSTREAM_RESPONSE_TOO_LARGE";
inline constexpr char kUpstreamBadResponse[] = "UPSTREAM_BAD_RESPONSE";
inline constexpr char kUpstreamUnexpectedStatus[] = "UPSTREAM_UNEXPECTED_STATUS";

// The offline reader.
inline constexpr char kLocalEngineBusy[] = "LOCAL_ENGINE_BUSY";
inline constexpr char kLocalEngineTimeout[] = "LOCAL_ENGINE_TIMEOUT";
inline constexpr char kLocalEngineError[] = "LOCAL_ENGINE_ERROR";

}  // namespace ktp::reasons

#endif  // KTP_COMMON_ERROR_REASONS_H_
