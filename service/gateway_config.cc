// The flag table and its parser.
#include "service/gateway_config.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"

namespace ktp::service {
namespace {

using Setter = std::function<absl::Status(GatewayConfig&, absl::string_view)>;

struct FlagSpec {
  const char* name;  // without the leading "--"
  const char* env;
  const char* default_text;
  const char* help;
  Setter set;
};

absl::Status SetString(std::string& field, absl::string_view value) {
  field = std::string(value);
  return absl::OkStatus();
}

absl::Status SetBytes(int64_t& field, absl::string_view value, int64_t max) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n <= 0 || n > max) {
    return absl::InvalidArgumentError(absl::StrCat("must be a whole number of bytes from 1 to ", max));
  }
  field = n;
  return absl::OkStatus();
}

// Accepts Go-style durations ("25s", "1m30s", "500ms") or plain seconds ("25").
absl::Status SetDuration(absl::Duration& field, absl::string_view value) {
  double seconds = 0;
  absl::Duration d;
  if (absl::SimpleAtod(value, &seconds)) {
    d = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(value, &d)) {
    return absl::InvalidArgumentError("must be a duration such as 30s, 1m or 500ms");
  }
  if (d < absl::ZeroDuration() || d > absl::Hours(24)) {
    return absl::InvalidArgumentError("must be between 0 and 24h");
  }
  field = d;
  return absl::OkStatus();
}

const std::vector<FlagSpec>& Flags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {"listen", "KTP_LISTEN", "0.0.0.0:50051", "gRPC listen address host:port (port 0 picks one)",
       [](GatewayConfig& c, absl::string_view v) { return SetString(c.listen, v); }},
      {"upstream-url", "KTP_UPSTREAM_URL", "https://api.vision.glair.ai",
       "base URL of the GLAIR Vision API (http:// only for local test servers)",
       [](GatewayConfig& c, absl::string_view v) { return SetString(c.upstream_url, v); }},
      {"credentials-dir", "KTP_CREDENTIALS_DIR", "",
       "directory holding files username, password and api_key (a Kubernetes Secret volume); "
       "when empty, KTP_UPSTREAM_USERNAME, KTP_UPSTREAM_PASSWORD and KTP_UPSTREAM_API_KEY are used",
       [](GatewayConfig& c, absl::string_view v) { return SetString(c.credentials_dir, v); }},
      {"upstream-ca-file", "KTP_UPSTREAM_CA_FILE", "",
       "extra PEM CA bundle to trust for the upstream; TLS verification is always on",
       [](GatewayConfig& c, absl::string_view v) { return SetString(c.upstream_ca_file, v); }},
      {"max-image-bytes", "KTP_MAX_IMAGE_BYTES", "10485760", "largest accepted image (sum of chunks)",
       [](GatewayConfig& c, absl::string_view v) { return SetBytes(c.max_image_bytes, v, int64_t{1} << 32); }},
      {"max-chunk-bytes", "KTP_MAX_CHUNK_BYTES", "4194304", "largest accepted chunk (one stream message)",
       [](GatewayConfig& c, absl::string_view v) { return SetBytes(c.max_chunk_bytes, v, int64_t{1} << 30); }},
      {"upstream-timeout", "KTP_UPSTREAM_TIMEOUT", "60s",
       "upper bound on one upstream call, also when the caller sets no deadline "
       "(a shorter gRPC deadline always wins)",
       [](GatewayConfig& c, absl::string_view v) { return SetDuration(c.upstream_timeout, v); }},
      {"connect-timeout", "KTP_CONNECT_TIMEOUT", "5s", "upstream connect timeout (TCP and TLS)",
       [](GatewayConfig& c, absl::string_view v) { return SetDuration(c.connect_timeout, v); }},
      {"max-upstream-response-bytes", "KTP_MAX_UPSTREAM_RESPONSE_BYTES", "16777216",
       "largest accepted upstream answer",
       [](GatewayConfig& c, absl::string_view v) {
         return SetBytes(c.max_upstream_response_bytes, v, int64_t{1} << 30);
       }},
      {"shutdown-grace", "KTP_SHUTDOWN_GRACE", "25s",
       "on SIGTERM/SIGINT, how long in-flight calls may run before they are cancelled",
       [](GatewayConfig& c, absl::string_view v) { return SetDuration(c.shutdown_grace, v); }},
      {"log-level", "KTP_LOG_LEVEL", "info", "debug, info, warn or error",
       [](GatewayConfig& c, absl::string_view v) {
         log::Level level;
         if (!log::ParseLevel(v, &level)) {
           return absl::InvalidArgumentError("must be debug, info, warn or error");
         }
         return SetString(c.log_level, v);
       }},
  };
  return *flags;
}

}  // namespace

absl::StatusOr<GatewayConfig> ParseGatewayConfig(const std::vector<std::string>& args,
                                                 const EnvLookup& env) {
  GatewayConfig config;
  for (const FlagSpec& flag : Flags()) {
    const char* value = env ? env(flag.env) : nullptr;
    if (value == nullptr || *value == '\0') continue;
    if (absl::Status s = flag.set(config, value); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(flag.env, ": ", s.message()));
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--help" || arg == "-h" || arg == "--helpfull") {
      config.help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    arg.remove_prefix(2);
    absl::string_view name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
      has_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& flag : Flags()) {
      if (name == flag.name) spec = &flag;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = args[++i];
    }
    if (absl::Status s = spec->set(config, value); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", s.message()));
    }
  }
  return config;
}

std::string GatewayUsage() {
  std::string out =
      "ktp-gateway: gRPC gateway for the GLAIR Vision KTP OCR API.\n\n"
      "Usage: ktp-gateway [--flag=value ...]\n\n"
      "Every flag can also be set by the environment variable shown; the command line wins.\n"
      "Upstream secrets are never flags: see --credentials-dir.\n\nFlags:\n";
  for (const FlagSpec& flag : Flags()) {
    absl::StrAppendFormat(&out, "  --%s (env %s, default \"%s\")\n      %s\n", flag.name, flag.env,
                          flag.default_text, flag.help);
  }
  absl::StrAppend(&out, "  --help\n      print this text and exit\n");
  return out;
}

}  // namespace ktp::service
