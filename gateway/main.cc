// ktp-gateway: the server binary. Parses flags (each also settable by an
// environment variable), hardens the process, builds the gateway through the
// composition root (gateway/gateway.h), waits for SIGTERM/SIGINT and drains.
#include <signal.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "gateway/gateway.h"
#include "gateway/gateway_config.h"
#include "telemetry/log.h"

namespace {

int Fail(absl::string_view message) {
  ktp::log::Error(message);
  return 1;
}

// Removes --allow-core-dumps[=true|false] from `args` (a switch, so it stays out of
// the value-flag table); KTP_ALLOW_CORE_DUMPS=true|1 sets it too. Default false.
bool TakeAllowCoreDumps(std::vector<std::string>& args) {
  const char* env = std::getenv("KTP_ALLOW_CORE_DUMPS");
  bool allow = env != nullptr && (absl::string_view(env) == "true" || absl::string_view(env) == "1");
  args.erase(std::remove_if(args.begin(), args.end(),
                            [&](const std::string& arg) {
                              if (arg == "--allow-core-dumps" || arg == "--allow-core-dumps=true") {
                                allow = true;
                                return true;
                              }
                              if (arg == "--allow-core-dumps=false") {
                                allow = false;
                                return true;
                              }
                              return false;
                            }),
             args.end());
  return allow;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Debian's abseil checks every Mutex acquisition for lock-order cycles (a global
  // graph, GraphCycles), in release builds too: a few % of the CPU per call (issue 14).
  // Debug builds and the sanitizer presets keep the check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  std::vector<std::string> args(argv + 1, argv + argc);
  // Before any secret is in memory: no core dumps, no ptrace/proc-mem access by
  // other processes of the same user, so neither can lift the upstream secrets.
  const bool allow_core_dumps = TakeAllowCoreDumps(args);
  const int dumpable_error = allow_core_dumps || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : errno;
  auto parsed = ktp::gateway::ParseGatewayConfig(args, [](const char* name) { return std::getenv(name); });
  if (!parsed.ok()) {
    std::cerr << "ktp-gateway: " << parsed.status().message() << "\n";
    return 2;
  }
  const ktp::gateway::GatewayConfig& config = *parsed;
  if (config.help) {
    std::cout << ktp::gateway::GatewayUsage()
              << "  --allow-core-dumps (env KTP_ALLOW_CORE_DUMPS, default false)\n"
                 "      keep the process dumpable (core dumps, ptrace) for debugging; dumps then "
                 "hold the upstream secrets\n";
    return 0;
  }
  ktp::log::Level level = ktp::log::Level::kInfo;
  ktp::log::ParseLevel(config.log_level, &level);
  ktp::log::SetLevel(level);
  if (allow_core_dumps) {
    ktp::log::Warn("core dumps allowed (--allow-core-dumps): a dump holds the upstream secrets");
  } else if (dumpable_error != 0) {
    ktp::log::Warn("could not make the process non-dumpable", {{"error", strerror(dumpable_error)}});
  }

  // Block the stop signals in every thread; main waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto gateway = ktp::gateway::Gateway::Build(config);
  if (!gateway.ok()) return Fail(gateway.status().message());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  ktp::log::Info("stop signal received", {{"signal", signal_number}});
  (*gateway)->Shutdown(config.shutdown_grace);
  gateway->reset();
  ktp::log::Info("ktp-gateway stopped");
  return 0;
}
