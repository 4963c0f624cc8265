// ktpctl: the command-line client of ktp-gateway. Owns argument parsing, streaming
// one image file to KtpOcr.Read / ReadWithQualities, printing the response as JSON,
// saving the cropped photo and signature, and decoding google.rpc error details.
//
// Exit codes: 0 success, 1 the call failed (any non-OK gRPC status), 2 usage error,
// 3 local file error (input unreadable, or --save-images cannot be written).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "ktp/v1/ktp_ocr.grpc.pb.h"
#include "access/access_policy.h"
#include "access/client_auth.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRpcError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitFile = 3;

constexpr char kDefaultTarget[] = "localhost:50051";
constexpr double kDefaultTimeoutSeconds = 30;
// A day is far beyond any sane OCR call and keeps the deadline arithmetic in range.
constexpr double kMaxTimeoutSeconds = 24 * 60 * 60;
constexpr int64_t kDefaultChunkSize = int64_t{64} * 1024;
// Servers reject messages over 4 MiB by default; 1 MiB leaves ample headroom.
constexpr int64_t kMaxChunkSize = int64_t{1024} * 1024;
// The response carries the photo and signature; allow more than gRPC's 4 MiB default.
constexpr int kMaxResponseBytes = 32 * 1024 * 1024;

constexpr char kUsage[] =
    R"(ktpctl: command-line client for ktp-gateway (Indonesian ID card OCR).

Usage:
  ktpctl read FILE [flags]    Read the KTP image in FILE and print the result as JSON.
  ktpctl keygen [--client-id ID] [--tenant NAME]
                              Issue a client key: prints the key (hand it to the
                              client once; it is stored nowhere) and the SHA-256 to
                              put in the gateway's config file. Revoke a key by
                              removing its client or setting "disabled": true.
  ktpctl help | --help | -h   Show this help.

Flags for read:
  --qualities            Call ReadWithQualities (adds blur, glare, ... checks).
  --raw-text             Return each field's text before post-processing.
  --confidence-field     Return the confidence that each field label was found.
  --polygon              Return where each field is in the image.
  --target HOST:PORT     Gateway address (default: $KTP_TARGET, else localhost:50051).
  --request-id ID        Send this x-request-id (default: the gateway assigns one).
  --timeout SECONDS      Deadline for the whole call (default: 30; fractions allowed).
  --chunk-size BYTES     Upload chunk size (default: 65536; at most 1048576).
  --mime-type TYPE       Declare the media type: image/png, image/jpeg,
                         application/pdf or image/tiff (default: detected by the gateway).
  --save-images DIR      Write the cropped photo and signature to DIR/photo.jpg and
                         DIR/signature.jpg (created with owner-only permissions).
  --token TOKEN          Send "authorization: Bearer TOKEN" (default: $KTP_TOKEN).
  --tls-ca-file FILE     Connect with TLS, trusting this PEM CA for the gateway's
                         certificate (default: plaintext, e.g. through a mesh sidecar).
  --tls-cert-file FILE   With --tls-key-file: present this PEM client certificate (mTLS).
  --tls-key-file FILE    The client certificate's PEM private key.
  --tls-server-name NAME Expect this name in the gateway's certificate (default: the
                         target's host).
Flags also accept the --flag=VALUE form; "--" ends the flags.

Output:
  The response is printed to stdout as JSON, without the photo and signature bytes
  (their sizes go to stderr). The x-request-id and x-upstream-request-id response
  headers go to stderr. On failure, stderr gets
    error: CODE_NAME (code): message
  followed by the decoded google.rpc error details.

Exit codes:
  0  success
  1  the call failed (the gateway or the network returned an error)
  2  usage error
  3  local file error (FILE unreadable, or --save-images not writable)

The channel is plaintext (the service mesh provides mTLS).
)";

struct Options {
  std::string file;
  bool qualities = false;
  bool raw_text = false;
  bool confidence_field = false;
  bool polygon = false;
  std::string target;
  std::string request_id;
  double timeout_seconds = kDefaultTimeoutSeconds;
  int64_t chunk_size = kDefaultChunkSize;
  std::string mime_type;
  std::string save_images_dir;
  std::string token;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
};

// What the command line asks for.
struct ParseResult {
  enum Kind { kRun, kHelp, kUsageError } kind = kUsageError;
  Options options;
  std::string error;  // for kUsageError; never contains the token
};

const char* CodeName(int code) {
  static constexpr const char* kNames[] = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  if (code < 0 || code >= static_cast<int>(std::size(kNames))) return "UNKNOWN_CODE";
  return kNames[code];
}

// Server-provided text goes to a terminal: escape control bytes so a hostile or
// broken server cannot inject escape sequences. UTF-8 passes through.
std::string Printable(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

// gRPC metadata values must be printable ASCII; anything else fails the call obscurely.
bool IsValidMetadataValue(absl::string_view value) {
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

ParseResult UsageError(std::string message) {
  ParseResult result;
  result.kind = ParseResult::kUsageError;
  result.error = std::move(message);
  return result;
}

ParseResult ParseArgs(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return UsageError("missing command");
  // Help wins wherever it appears, so "ktpctl read --help" works too.
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") return ParseResult{ParseResult::kHelp, {}, {}};
  }
  if (args[0] == "help") {
    if (args.size() > 1) return UsageError("help takes no arguments");
    return ParseResult{ParseResult::kHelp, {}, {}};
  }
  if (args[0] != "read") return UsageError(absl::StrCat("unknown command '", Printable(args[0]), "'"));

  ParseResult result;
  result.kind = ParseResult::kRun;
  Options& options = result.options;
  options.target = GetEnv("KTP_TARGET");
  if (options.target.empty()) options.target = kDefaultTarget;
  options.token = GetEnv("KTP_TOKEN");
  bool token_from_flag = false;

  std::vector<std::string> positional;
  bool flags_done = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    // Split --flag=value; only the flag name is ever echoed back (the value may be a token).
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    std::optional<std::string> inline_value;
    if (eq != std::string::npos) inline_value = arg.substr(eq + 1);

    auto boolean = [&](bool& target) -> bool {
      if (inline_value) return false;
      target = true;
      return true;
    };
    if (name == "--qualities" || name == "--raw-text" || name == "--confidence-field" ||
        name == "--polygon") {
      bool& flag = name == "--qualities"  ? options.qualities
                   : name == "--raw-text" ? options.raw_text
                   : name == "--polygon"  ? options.polygon
                                          : options.confidence_field;
      if (!boolean(flag)) return UsageError(absl::StrCat(name, " takes no value"));
      continue;
    }
    if (name != "--target" && name != "--request-id" && name != "--timeout" &&
        name != "--chunk-size" && name != "--mime-type" && name != "--save-images" &&
        name != "--token" && name != "--tls-ca-file" && name != "--tls-cert-file" &&
        name != "--tls-key-file" && name != "--tls-server-name") {
      return UsageError(absl::StrCat("unknown flag '", Printable(name), "'"));
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return UsageError(absl::StrCat(name, " needs a value"));
    }

    if (name == "--target") {
      if (value.empty()) return UsageError("--target must not be empty");
      options.target = value;
    } else if (name == "--request-id") {
      if (value.empty() || !IsValidMetadataValue(value)) {
        return UsageError("--request-id must be non-empty printable ASCII");
      }
      options.request_id = value;
    } else if (name == "--timeout") {
      double seconds = 0;
      if (!absl::SimpleAtod(value, &seconds) || !std::isfinite(seconds) || seconds <= 0 ||
          seconds > kMaxTimeoutSeconds) {
        return UsageError(absl::StrCat("--timeout must be a number of seconds in (0, ",
                                       kMaxTimeoutSeconds, "], got '", Printable(value), "'"));
      }
      options.timeout_seconds = seconds;
    } else if (name == "--chunk-size") {
      int64_t bytes = 0;
      if (!absl::SimpleAtoi(value, &bytes) || bytes < 1 || bytes > kMaxChunkSize) {
        return UsageError(absl::StrCat("--chunk-size must be an integer in [1, ", kMaxChunkSize,
                                       "], got '", Printable(value), "'"));
      }
      options.chunk_size = bytes;
    } else if (name == "--mime-type") {
      if (!IsValidMetadataValue(value)) return UsageError("--mime-type must be printable ASCII");
      options.mime_type = value;
    } else if (name == "--save-images") {
      if (value.empty()) return UsageError("--save-images must not be empty");
      options.save_images_dir = value;
    } else if (name == "--tls-ca-file" || name == "--tls-cert-file" || name == "--tls-key-file" ||
               name == "--tls-server-name") {
      if (value.empty()) return UsageError(absl::StrCat(name, " must not be empty"));
      std::string& field = name == "--tls-ca-file"     ? options.tls_ca_file
                           : name == "--tls-cert-file" ? options.tls_cert_file
                           : name == "--tls-key-file"  ? options.tls_key_file
                                                       : options.tls_server_name;
      field = value;
    } else {  // --token
      options.token = value;
      token_from_flag = true;
    }
  }

  if (positional.empty()) return UsageError("read needs a FILE");
  if (positional.size() > 1) {
    return UsageError(absl::StrCat("unexpected argument '", Printable(positional[1]), "'"));
  }
  options.file = positional[0];
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return UsageError("--tls-cert-file and --tls-key-file go together");
  }
  if (!options.tls_cert_file.empty() && options.tls_ca_file.empty()) {
    return UsageError("a client certificate (mTLS) needs --tls-ca-file for the gateway's certificate");
  }
  if (token_from_flag && options.token.empty()) return UsageError("--token must not be empty");
  if (!IsValidMetadataValue(options.token)) {
    return UsageError(token_from_flag ? "--token must be printable ASCII"
                                      : "KTP_TOKEN must be printable ASCII");
  }
  return result;
}

std::optional<std::string> FindMetadata(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata, absl::string_view key) {
  const auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

// Prints the request ids the gateway sent, from initial metadata or else trailers
// (an early failure may carry them only in trailers).
void PrintRequestIds(const grpc::ClientContext& context) {
  for (const char* key : {"x-request-id", "x-upstream-request-id"}) {
    std::optional<std::string> value = FindMetadata(context.GetServerInitialMetadata(), key);
    if (!value) value = FindMetadata(context.GetServerTrailingMetadata(), key);
    if (value) std::cerr << key << ": " << Printable(*value) << "\n";
  }
}

std::string FormatDelay(const google::protobuf::Duration& delay) {
  return absl::FormatDuration(absl::Seconds(delay.seconds()) + absl::Nanoseconds(delay.nanos()));
}

// One line (or a few) per google.rpc detail; unknown types are named by type URL.
void PrintDetail(const google::protobuf::Any& detail) {
  if (google::rpc::ErrorInfo info; detail.Is<google::rpc::ErrorInfo>() && detail.UnpackTo(&info)) {
    std::cerr << "  ErrorInfo: reason=" << Printable(info.reason())
              << " domain=" << Printable(info.domain()) << "\n";
    // Protobuf maps are unordered; sort for stable output.
    std::vector<std::pair<std::string, std::string>> entries(info.metadata().begin(),
                                                             info.metadata().end());
    std::sort(entries.begin(), entries.end());
    for (const auto& [key, value] : entries) {
      std::cerr << "    " << Printable(key) << "=" << Printable(value) << "\n";
    }
  } else if (google::rpc::RetryInfo retry;
             detail.Is<google::rpc::RetryInfo>() && detail.UnpackTo(&retry)) {
    std::cerr << "  RetryInfo: retry after " << FormatDelay(retry.retry_delay()) << "\n";
  } else if (google::rpc::BadRequest bad;
             detail.Is<google::rpc::BadRequest>() && detail.UnpackTo(&bad)) {
    for (const auto& violation : bad.field_violations()) {
      std::cerr << "  BadRequest: " << Printable(violation.field()) << ": "
                << Printable(violation.description()) << "\n";
    }
  } else if (google::rpc::QuotaFailure quota;
             detail.Is<google::rpc::QuotaFailure>() && detail.UnpackTo(&quota)) {
    for (const auto& violation : quota.violations()) {
      std::cerr << "  QuotaFailure: " << Printable(violation.subject()) << ": "
                << Printable(violation.description()) << "\n";
    }
  } else if (google::rpc::PreconditionFailure precondition;
             detail.Is<google::rpc::PreconditionFailure>() && detail.UnpackTo(&precondition)) {
    for (const auto& violation : precondition.violations()) {
      std::cerr << "  PreconditionFailure: " << Printable(violation.type()) << " "
                << Printable(violation.subject()) << ": " << Printable(violation.description())
                << "\n";
    }
  } else if (google::rpc::RequestInfo request;
             detail.Is<google::rpc::RequestInfo>() && detail.UnpackTo(&request)) {
    std::cerr << "  RequestInfo: request_id=" << Printable(request.request_id()) << "\n";
  } else if (google::rpc::Help help; detail.Is<google::rpc::Help>() && detail.UnpackTo(&help)) {
    for (const auto& link : help.links()) {
      std::cerr << "  Help: " << Printable(link.description()) << ": " << Printable(link.url())
                << "\n";
    }
  } else if (google::rpc::LocalizedMessage localized;
             detail.Is<google::rpc::LocalizedMessage>() && detail.UnpackTo(&localized)) {
    std::cerr << "  LocalizedMessage (" << Printable(localized.locale())
              << "): " << Printable(localized.message()) << "\n";
  } else {
    std::cerr << "  detail of type " << Printable(detail.type_url()) << " (" << detail.value().size()
              << " bytes, not decoded)\n";
  }
}

void PrintError(const grpc::Status& status, const grpc::ClientContext& context) {
  const int code = static_cast<int>(status.error_code());
  std::cerr << "error: " << CodeName(code) << " (" << code
            << "): " << Printable(status.error_message()) << "\n";
  if (!status.error_details().empty()) {
    google::rpc::Status rpc_status;
    if (!rpc_status.ParseFromString(status.error_details())) {
      std::cerr << "  (error details present but not a valid google.rpc.Status)\n";
    } else {
      for (const google::protobuf::Any& detail : rpc_status.details()) PrintDetail(detail);
    }
  }
  PrintRequestIds(context);
}

// Creates DIR (owner-only when we create it) before the call, so a bad path fails
// before the upstream OCR work is paid for.
bool PrepareImageDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return true;
  if (fs::exists(dir, ec)) {
    std::cerr << "error: --save-images " << Printable(dir) << " is not a directory\n";
    return false;
  }
  if (!fs::create_directories(dir, ec) && ec) {
    std::cerr << "error: cannot create " << Printable(dir) << ": " << ec.message() << "\n";
    return false;
  }
  // Card photos are personal data: keep the new directory private.
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  return true;
}

// Writes one image with mode 0600 (it is biometric personal data).
bool WriteImage(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::cerr << "error: cannot write " << Printable(path) << ": " << std::strerror(errno) << "\n";
    return false;
  }
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::cerr << "error: cannot write " << Printable(path) << ": " << std::strerror(errno)
                << "\n";
      ::close(fd);
      return false;
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    std::cerr << "error: cannot write " << Printable(path) << ": " << std::strerror(errno) << "\n";
    return false;
  }
  return true;
}

// Prints the response without the image bytes, then reports or saves the images.
template <typename Response>
int HandleResponse(const Options& options, const Response& response) {
  const std::string& photo = response.images().photo();
  const std::string& signature = response.images().signature();

  Response printable = response;
  // The bytes would print as pages of base64; their sizes go to stderr instead.
  printable.clear_images();
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.add_whitespace = true;
  json_options.preserve_proto_field_names = true;
  std::string json;
  const auto json_status = google::protobuf::util::MessageToJsonString(printable, &json, json_options);
  if (!json_status.ok()) {
    std::cerr << "error: cannot print the response as JSON: " << json_status.ToString() << "\n";
    return kExitRpcError;
  }
  std::cout << json;
  if (json.empty() || json.back() != '\n') std::cout << "\n";
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "error: cannot write to stdout\n";
    return kExitRpcError;
  }

  if (photo.empty() && signature.empty()) {
    std::cerr << "no photo or signature returned\n";
    return kExitOk;
  }
  if (options.save_images_dir.empty()) {
    std::cerr << "photo: " << photo.size() << " bytes, signature: " << signature.size()
              << " bytes (use --save-images DIR to write them)\n";
    return kExitOk;
  }
  bool ok = true;
  const std::pair<const char*, const std::string*> images[] = {{"photo.jpg", &photo},
                                                                {"signature.jpg", &signature}};
  for (const auto& [name, bytes] : images) {
    if (bytes->empty()) {
      std::cerr << name << ": not returned\n";
      continue;
    }
    const std::string path = (std::filesystem::path(options.save_images_dir) / name).string();
    if (WriteImage(path, *bytes)) {
      std::cerr << "wrote " << Printable(path) << " (" << bytes->size() << " bytes)\n";
    } else {
      ok = false;
    }
  }
  return ok ? kExitOk : kExitFile;
}

// Streams the file (metadata first, then chunks) over `start(context, response)`
// and handles the outcome. Shared by Read and ReadWithQualities.
template <typename Request, typename Response, typename StartCall>
int StreamFile(const Options& options, std::ifstream& file, const ktp::v1::ImageMetadata& metadata,
               StartCall start) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(
                           std::chrono::duration<double>(options.timeout_seconds)));
  if (!options.request_id.empty()) context.AddMetadata("x-request-id", options.request_id);
  if (!options.token.empty()) context.AddMetadata("authorization", "Bearer " + options.token);

  Response response;
  std::unique_ptr<grpc::ClientWriter<Request>> writer = start(&context, &response);

  // A failed Write means the server already ended the call; Finish() reports why.
  bool stream_ok = true;
  {
    Request request;
    *request.mutable_metadata() = metadata;
    stream_ok = writer->Write(request);
  }
  int read_errno = -1;  // set when reading the file fails
  std::vector<char> buffer(static_cast<size_t>(options.chunk_size));
  while (stream_ok) {
    file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = file.gcount();
    if (got > 0) {
      Request request;
      request.set_chunk(buffer.data(), static_cast<size_t>(got));
      stream_ok = writer->Write(request);
    }
    if (file.eof()) break;
    if (!file) {
      read_errno = errno;  // libstdc++ reads with read(2), so errno says why
      break;
    }
  }
  if (read_errno >= 0) {
    // Cancel so the gateway never treats a truncated image as a complete one.
    context.TryCancel();
    writer->Finish();
    std::cerr << "error: cannot read " << Printable(options.file) << ": "
              << (read_errno > 0 ? std::strerror(read_errno) : "read failed") << "\n";
    return kExitFile;
  }
  if (stream_ok) writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) {
    PrintError(status, context);
    return kExitRpcError;
  }
  PrintRequestIds(context);
  return HandleResponse(options, response);
}

int RunRead(const Options& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status file_status = fs::status(options.file, ec);
  if (ec) {
    std::cerr << "error: cannot read " << Printable(options.file) << ": " << ec.message() << "\n";
    return kExitFile;
  }
  if (fs::is_directory(file_status)) {
    std::cerr << "error: cannot read " << Printable(options.file) << ": is a directory\n";
    return kExitFile;
  }
  std::ifstream file(options.file, std::ios::binary);
  if (!file) {
    std::cerr << "error: cannot read " << Printable(options.file) << ": " << std::strerror(errno)
              << "\n";
    return kExitFile;
  }

  ktp::v1::ImageMetadata metadata;
  metadata.set_file_name(fs::path(options.file).filename().string());
  if (!options.mime_type.empty()) metadata.set_mime_type(options.mime_type);
  // Pipes and devices have no size up front; size_bytes is optional.
  if (fs::is_regular_file(file_status)) {
    const uintmax_t size = fs::file_size(options.file, ec);
    if (!ec) metadata.set_size_bytes(static_cast<int64_t>(size));
  }
  if (options.raw_text || options.confidence_field || options.polygon) {
    ktp::v1::ReadOptions* read_options = metadata.mutable_options();
    read_options->set_with_raw_text(options.raw_text);
    read_options->set_with_confidence_field(options.confidence_field);
    read_options->set_with_polygon(options.polygon);
  }

  if (!options.save_images_dir.empty() && !PrepareImageDir(options.save_images_dir)) {
    return kExitFile;
  }

  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(kMaxResponseBytes);
  channel_args.SetUserAgentPrefix("ktpctl");
  // Plaintext unless told otherwise: in a mesh the sidecar provides mTLS.
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.tls_ca_file.empty()) {
    grpc::SslCredentialsOptions tls;
    std::string* fields[] = {&tls.pem_root_certs, &tls.pem_cert_chain, &tls.pem_private_key};
    const std::string* files[] = {&options.tls_ca_file, &options.tls_cert_file, &options.tls_key_file};
    for (int i = 0; i < 3; ++i) {
      if (files[i]->empty()) continue;
      std::ifstream in(*files[i], std::ios::binary);
      if (!in) {
        std::cerr << "ktpctl: cannot read " << *files[i] << "\n";
        return kExitFile;
      }
      fields[i]->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    credentials = grpc::SslCredentials(tls);
    if (!options.tls_server_name.empty()) channel_args.SetSslTargetNameOverride(options.tls_server_name);
  }
  const std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.target, credentials, channel_args);
  const std::unique_ptr<ktp::v1::KtpOcr::Stub> stub = ktp::v1::KtpOcr::NewStub(channel);

  if (options.qualities) {
    return StreamFile<ktp::v1::ReadWithQualitiesRequest, ktp::v1::ReadWithQualitiesResponse>(
        options, file, metadata,
        [&](grpc::ClientContext* context, ktp::v1::ReadWithQualitiesResponse* response) {
          return stub->ReadWithQualities(context, response);
        });
  }
  return StreamFile<ktp::v1::ReadRequest, ktp::v1::ReadResponse>(
      options, file, metadata, [&](grpc::ClientContext* context, ktp::v1::ReadResponse* response) {
        return stub->Read(context, response);
      });
}

// `ktpctl keygen`: a new client key and the config entry that admits it.
int RunKeygen(int argc, char** argv) {
  std::string client_id = "my-client", tenant = "default";
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string* target = arg == "--client-id" ? &client_id : arg == "--tenant" ? &tenant : nullptr;
    if (target == nullptr || i + 1 >= argc) {
      std::cerr << "error: usage: ktpctl keygen [--client-id ID] [--tenant NAME]\n";
      return kExitUsage;
    }
    *target = argv[++i];
  }
  const std::string key = ktp::access::GenerateClientKey();
  const std::string digest = ktp::access::Sha256Hex(key);
  std::cout << "key:    " << key << "\n"
            << "sha256: " << digest << "\n"
            << "config: {\"id\": \"" << client_id << "\", \"tenant\": \"" << tenant
            << "\", \"apiKeySha256\": \"" << digest << "\"}\n"
            << "The client sends: authorization: Bearer <key>   (ktpctl read --token <key>)\n";
  return kExitOk;
}

int Run(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "keygen") return RunKeygen(argc, argv);
  const ParseResult parsed = ParseArgs(argc, argv);
  switch (parsed.kind) {
    case ParseResult::kHelp:
      std::cout << kUsage;
      return kExitOk;
    case ParseResult::kUsageError:
      std::cerr << "error: " << parsed.error << "\n"
                << "usage: ktpctl read FILE [flags]; run 'ktpctl --help' for details\n";
      return kExitUsage;
    case ParseResult::kRun:
      break;
  }
  return RunRead(parsed.options);
}

}  // namespace

int main(int argc, char** argv) {
  // Nothing may escape main: report and fail instead of std::terminate.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "error: unexpected failure\n";
  }
  return kExitRpcError;
}
