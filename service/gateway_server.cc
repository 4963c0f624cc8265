// Server assembly and graceful shutdown.
#include "service/gateway_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "telemetry/log.h"

namespace ktp::service {

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(const GatewayServerOptions& options,
                                                                    backend::OcrBackend* backend) {
  // Process-wide gRPC switches; must precede the builder.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

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
  if (options.stream_idle_timeout > absl::ZeroDuration()) {
    server->idle_timers_ = std::make_unique<TimerQueue>();
    env.stream_idle_timeout = options.stream_idle_timeout;
    env.timers = server->idle_timers_.get();
  }
  server->service_ = std::make_unique<KtpOcrService>(std::move(env));

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &server->port_);
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
