// Server assembly and graceful shutdown.
#include "service/gateway_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "telemetry/log.h"

namespace ktp::service {
namespace {

// Reflection on or off for one builder. Loading grpc++_reflection registers
// its plugin for every server of the process (a static initializer), so the
// switch must be able to remove it as well as add it.
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    const std::string name = grpc::reflection::ProtoServerReflectionPlugin().name();
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [&](const auto& plugin) { return plugin->name() == name; }),
                   plugins->end());
    if (enabled_) plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
  }

 private:
  const bool enabled_;
};

bool Readable(const std::string& path) { return std::ifstream(path).good(); }

// Plaintext, TLS, or mTLS with client certificates required and verified. The
// file watcher re-reads the PEM files, so renewals need no restart; gRPC's TLS
// stack negotiates TLS 1.2 or later.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(const std::optional<ListenerTls>& tls) {
  if (!tls) return grpc::InsecureServerCredentials();
  for (const std::string* file : {&tls->cert_file, &tls->key_file}) {
    if (file->empty() || !Readable(*file)) {
      return absl::FailedPreconditionError(absl::StrCat("TLS needs a readable certificate and key: ", *file));
    }
  }
  if (!tls->client_ca_file.empty() && !Readable(tls->client_ca_file)) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read the client CA file ", tls->client_ca_file));
  }
  const unsigned int refresh =
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(tls->reload_interval)));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls->key_file, tls->cert_file, tls->client_ca_file, refresh);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!tls->client_ca_file.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(const GatewayServerOptions& options,
                                                                    backend::OcrBackend* backend) {
  // Process-wide gRPC switch; must precede the builder.
  grpc::EnableDefaultHealthCheckService(true);

  std::unique_ptr<GatewayServer> server(new GatewayServer());
  CallEnvironment env;
  env.backend = backend;
  env.limits = options.limits;
  env.max_call_duration = options.max_call_duration;
  env.observer = options.observer;
  env.admission = options.admission;
  env.max_concurrent_calls = options.max_concurrent_calls;
  if (options.clock != nullptr) env.clock = options.clock;
  if (options.max_buffered_bytes > 0) {
    server->buffered_ = std::make_unique<ByteBudget>(options.max_buffered_bytes);
    env.buffered_bytes = server->buffered_.get();
  }
  if (options.stream_idle_timeout > absl::ZeroDuration() || options.max_upload_duration > absl::ZeroDuration()) {
    server->idle_timers_ = std::make_unique<TimerQueue>();
    env.stream_idle_timeout = options.stream_idle_timeout;
    env.max_upload_duration = options.max_upload_duration;
    env.timers = server->idle_timers_.get();
  }
  server->service_ = std::make_unique<KtpOcrService>(std::move(env));

  grpc::ServerBuilder builder;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = ListenerCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  builder.AddListeningPort(options.listen_address, *credentials, &server->port_);
  // Per server, not process-wide: a hardened deployment turns it off.
  builder.SetOption(std::make_unique<ReflectionOption>(options.reflection));
  if (options.max_streams_per_connection > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_streams_per_connection);
  }
  if (options.grpc_memory_bytes > 0) {
    grpc::ResourceQuota quota("ktp-gateway");
    quota.Resize(static_cast<size_t>(options.grpc_memory_bytes));
    builder.SetResourceQuota(quota);
  }
  builder.RegisterService(server->service_.get());
  // Room for the largest chunk plus the message's own framing; larger messages
  // are refused by gRPC itself (RESOURCE_EXHAUSTED) before they are buffered.
  const size_t max_message = options.limits.max_chunk_bytes + 64 * 1024;
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(max_message, INT32_MAX)));
  builder.SetMaxSendMessageSize(64 << 20);
  // Connection age and keepalive: gRPC takes milliseconds as int.
  const auto ms = [](absl::Duration d) {
    return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT32_MAX));
  };
  if (options.max_connection_age > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, ms(options.max_connection_age));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, ms(options.max_connection_age_grace));
  }
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, ms(options.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, ms(options.keepalive_timeout));
  // Accept client keepalive pings (also between calls) down to the interval;
  // faster pingers get GOAWAY (too_many_pings) as gRPC's abuse policy says.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             ms(options.min_client_ping_interval));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_address));
  }
  server->SetReady(options.start_ready);
  return server;
}

void GatewayServer::SetReady(bool ready) {
  absl::MutexLock lock(&health_mu_);
  if (shut_down_) return;
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus(kServiceName, ready);
  health->SetServingStatus("", ready);
  if (ready != ready_) log::Info("readiness changed", {{"serving", ready ? "true" : "false"}});
  ready_ = ready;
}

void GatewayServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&health_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    if (server_ == nullptr) return;  // Start failed before serving (e.g. TLS files, port taken)
    // Probes and meshes stop routing new calls here first. The health service's
    // own Shutdown makes every later status change NOT_SERVING too.
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->GetHealthCheckService()->Shutdown();
  }
  log::Info("draining", {{"active_calls", service_->active_calls()},
                         {"grace_seconds", absl::ToDoubleSeconds(grace)}});
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
  log::Info("drained");
}

GatewayServer::~GatewayServer() { Shutdown(absl::ZeroDuration()); }

}  // namespace ktp::service
