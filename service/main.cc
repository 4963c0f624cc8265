// ktp-gateway: the server binary. Parses flags (each also settable by an
// environment variable), loads credentials, starts the upstream client and the
// gRPC server, and drains gracefully on SIGTERM/SIGINT.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "service/gateway_config.h"
#include "service/gateway_server.h"
#include "upstream/credentials.h"
#include "upstream/curl_client.h"

namespace {

int Fail(absl::string_view message) {
  ktp::log::Error(message);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = ktp::service::ParseGatewayConfig(args, [](const char* name) { return std::getenv(name); });
  if (!parsed.ok()) {
    std::cerr << "ktp-gateway: " << parsed.status().message() << "\n";
    return 2;
  }
  const ktp::service::GatewayConfig& config = *parsed;
  if (config.help) {
    std::cout << ktp::service::GatewayUsage();
    return 0;
  }
  ktp::log::Level level = ktp::log::Level::kInfo;
  ktp::log::ParseLevel(config.log_level, &level);
  ktp::log::SetLevel(level);

  // Block the stop signals in every thread; main waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const std::string credentials_dir = config.credentials_dir;
  auto credentials = credentials_dir.empty() ? ktp::upstream::LoadCredentialsFromEnv()
                                             : ktp::upstream::LoadCredentialsFromDir(credentials_dir);
  if (!credentials.ok()) return Fail(absl::StrCat("no upstream credentials: ", credentials.status().message()));

  ktp::upstream::CurlClientOptions client_options;
  client_options.base_url = config.upstream_url;
  client_options.credentials =
      std::make_shared<ktp::upstream::StaticCredentialSource>(*std::move(credentials));
  client_options.connect_timeout = config.connect_timeout;
  client_options.max_call_timeout = config.upstream_timeout;
  client_options.max_response_bytes =
      static_cast<size_t>(config.max_upstream_response_bytes);
  client_options.ca_file = config.upstream_ca_file;
  auto backend = ktp::upstream::CurlOcrBackend::Create(std::move(client_options));
  if (!backend.ok()) return Fail(absl::StrCat("upstream client: ", backend.status().message()));

  ktp::service::GatewayServerOptions server_options;
  server_options.listen_address = config.listen;
  server_options.limits.max_image_bytes = static_cast<size_t>(config.max_image_bytes);
  server_options.limits.max_chunk_bytes = static_cast<size_t>(config.max_chunk_bytes);
  server_options.max_call_duration = config.upstream_timeout;
  auto server = ktp::service::GatewayServer::Start(server_options, backend->get());
  if (!server.ok()) return Fail(server.status().message());
  ktp::log::Info("ktp-gateway serving",
                 {{"listen", server_options.listen_address},
                  {"port", (*server)->port()},
                  {"upstream", config.upstream_url}});

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  ktp::log::Info("stop signal received", {{"signal", signal_number}});
  (*server)->Shutdown(config.shutdown_grace);
  server->reset();
  backend->reset();
  ktp::log::Info("ktp-gateway stopped");
  return 0;
}
