// A minimal, fast HTTP/1.1 stand-in for the upstream: one epoll thread, any
// number of keep-alive connections, a canned answer to every complete request.
// Unlike the scriptable FakeUpstream (thread per request), it can hold
// thousands of requests open at once and adds almost no latency, so tests use
// it for concurrency and the benchmarks use it as the "fast upstream".
#ifndef KTP_TESTS_SUPPORT_EPOLL_UPSTREAM_H_
#define KTP_TESTS_SUPPORT_EPOLL_UPSTREAM_H_

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace ktp::testing {

class EpollUpstream {
 public:
  struct Options {
    // Body of every 200 answer (a JSON document in the upstream's shape).
    std::string body;
    // How long each request is held before it is answered.
    std::chrono::milliseconds delay{0};
  };
  explicit EpollUpstream(Options options);
  ~EpollUpstream();

  // Binds 127.0.0.1 on a free port and starts the thread. False on failure.
  bool Start();
  void Stop();

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Requests whose body has fully arrived / that were answered.
  long requests_received() const { return received_.load(); }
  long requests_answered() const { return answered_.load(); }
  // Requests fully received and not yet answered.
  long held() const { return received_.load() - answered_.load(); }

 private:
  void Run();

  Options options_;
  std::string response_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<long> received_{0};
  std::atomic<long> answered_{0};
};

}  // namespace ktp::testing

#endif  // KTP_TESTS_SUPPORT_EPOLL_UPSTREAM_H_
