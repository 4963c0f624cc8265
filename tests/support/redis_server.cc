// Child-process redis-server: fork + exec with PR_SET_PDEATHSIG so a crashed
// test never leaves a server behind; readiness by PING over a raw socket.
#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ktp::testing {
namespace {

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(const std::string& requirepass) {
  if (::access(kRedisServerPath, X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(kRedisServerPath, " is missing: run scripts/install-deps.sh "
                                       "(installs the redis-server package)"));
  }
  // Another process may grab the port between PickFreePort and redis binding
  // it; try a few ports.
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int port = PickFreePort();
    if (port <= 0) return absl::InternalError("cannot pick a free loopback port");
    std::unique_ptr<RedisServer> server(new RedisServer(port));
    server->requirepass_ = requirepass;
    last = server->Spawn();
    if (last.ok()) return server;
  }
  return last;
}

RedisServer::~RedisServer() { Kill(); }

absl::Status RedisServer::Spawn() {
  const std::string port = std::to_string(port_);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    const char* argv[] = {kRedisServerPath, "--port", port.c_str(), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--dir", "/tmp",
                          "--daemonize", "no", "--protected-mode", "no",
                          requirepass_.empty() ? nullptr : "--requirepass", requirepass_.c_str(), nullptr};
    execv(kRedisServerPath, const_cast<char* const*>(argv));
    _exit(127);
  }
  pid_ = pid;
  absl::Status ready = WaitReady(absl::Seconds(5));
  if (!ready.ok()) Kill();
  return ready;
}

absl::Status RedisServer::WaitReady(absl::Duration timeout) const {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      return absl::UnavailableError(
          absl::StrCat("redis-server exited at start (port ", port_, " taken?)"));
    }
    auto pong = Command("PING");
    if (pong.ok() && (*pong == "+PONG" || absl::StartsWith(*pong, "-NOAUTH"))) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("redis-server did not answer PING on port ", port_));
}

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void RedisServer::Pause() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void RedisServer::Resume() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

absl::Status RedisServer::Restart() {
  Kill();
  return Spawn();
}

absl::StatusOr<std::string> RedisServer::Command(const std::string& command) const {
  const int fd = ConnectLoopback(port_);
  if (fd < 0) return absl::UnavailableError("connect failed");
  const std::string line = command + "\r\n";
  if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    close(fd);
    return absl::UnavailableError("write failed");
  }
  std::string reply;
  char c = 0;
  while (read(fd, &c, 1) == 1) {
    if (c == '\n') break;
    if (c != '\r') reply.push_back(c);
  }
  close(fd);
  if (reply.empty()) return absl::UnavailableError("no reply");
  return reply;
}

}  // namespace ktp::testing
