// Server assembly and graceful shutdown.
#include "service/gateway_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace ktp::service {

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(const GatewayServerOptions& options,
                                                                    upstream::OcrBackend* backend) {
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
  server->service_ = std::make_unique<KtpOcrService>(std::move(env));

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(server->service_.get());
  // Room for the largest chunk plus the message's own framing; larger messages
  // are refused by gRPC itself (RESOURCE_EXHAUSTED) before they are buffered.
  const size_t max_message = options.limits.max_chunk_bytes + 64 * 1024;
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(max_message, INT32_MAX)));
  builder.SetMaxSendMessageSize(64 << 20);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_address));
  }
  auto* health = server->server_->GetHealthCheckService();
  health->SetServingStatus(kServiceName, true);
  health->SetServingStatus(true);
  return server;
}

void GatewayServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  // Probes and meshes stop routing new calls here first.
  server_->GetHealthCheckService()->SetServingStatus(false);
  log::Info("draining", {{"active_calls", service_->active_calls()},
                         {"grace_seconds", absl::ToDoubleSeconds(grace)}});
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
  log::Info("drained");
}

GatewayServer::~GatewayServer() { Shutdown(absl::ZeroDuration()); }

}  // namespace ktp::service
