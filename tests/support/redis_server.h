// A throwaway redis-server for tests: started as a child process on a free
// loopback port (no persistence), killable and restartable on the same port so
// tests can simulate an outage. Needs /usr/bin/redis-server
// (scripts/install-deps.sh installs it).
#ifndef KTP_TESTS_SUPPORT_REDIS_SERVER_H_
#define KTP_TESTS_SUPPORT_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ktp::testing {

inline constexpr char kRedisServerPath[] = "/usr/bin/redis-server";

class RedisServer {
 public:
  // Picks a free port, starts redis-server and waits until it answers PING.
  // Fails with a message naming the missing binary when it is not installed.
  // A non-empty `requirepass` makes clients AUTH first.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(const std::string& requirepass = "");
  // Kills the server (SIGKILL) if it runs.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  bool running() const { return pid_ > 0; }

  // SIGKILL (no shutdown, no goodbye to clients) and reap.
  void Kill();
  // SIGSTOP / SIGCONT: a server that accepts connections but never answers.
  void Pause();
  void Resume();
  // Starts it again on the same port (after Kill) and waits until it answers.
  absl::Status Restart();
  // Sends one inline command (e.g. "SCRIPT FLUSH") on a new connection and
  // returns the first reply line ("+OK", "-ERR ...", ":1"...).
  absl::StatusOr<std::string> Command(const std::string& command) const;

 private:
  explicit RedisServer(int port) : port_(port) {}
  absl::Status Spawn();
  absl::Status WaitReady(absl::Duration timeout) const;

  std::string requirepass_;
  int port_;
  pid_t pid_ = -1;
};

// A loopback TCP port that was free a moment ago (bind port 0, read, close).
int PickFreePort();

}  // namespace ktp::testing

#endif  // KTP_TESTS_SUPPORT_REDIS_SERVER_H_
