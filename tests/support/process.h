// A child process for tests: spawned with posix_spawn, stdout and stderr
// captured to a temporary file, killed (SIGKILL) if still running when destroyed.
#ifndef KTP_TESTS_SUPPORT_PROCESS_H_
#define KTP_TESTS_SUPPORT_PROCESS_H_

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

extern char** environ;

namespace ktp::testing {

// A child process with stdout+stderr captured to a file.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {}) {
    char path_template[] = "/tmp/ktp-process-XXXXXX";
    int fd = mkstemp(path_template);
    output_path_ = path_template;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fd, 1);
    posix_spawn_file_actions_adddup2(&actions, fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_storage;
    for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
    for (const auto& e : extra_env) env_storage.push_back(e);
    std::vector<char*> env;
    for (auto& e : env_storage) env.push_back(e.data());
    env.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fd);
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    unlink(output_path_.c_str());
  }
  void Signal(int sig) { kill(pid_, sig); }
  pid_t pid() const { return pid_; }
  // Exit code, or -1 on a timeout, 128+N when killed by signal N.
  int Wait(absl::Duration timeout = absl::Seconds(20)) {
    const absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }
  std::string Output() const {
    std::ifstream in(output_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Waits until the output contains `needle`.
  bool WaitForOutput(const std::string& needle, absl::Duration timeout = absl::Seconds(10)) const {
    const absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      if (Output().find(needle) != std::string::npos) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }
  // ktp-gateway's gRPC port from its "ktp-gateway serving" log line
  // ({"port":N}); 0 when the line does not appear within `timeout`.
  int WaitForGatewayPort(absl::Duration timeout = absl::Seconds(10)) const {
    if (!WaitForOutput("\"port\":", timeout)) return 0;
    const std::string out = Output();
    return std::atoi(out.c_str() + out.find("\"port\":") + 7);
  }
  bool ok() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string output_path_;
};

}  // namespace ktp::testing

#endif  // KTP_TESTS_SUPPORT_PROCESS_H_
