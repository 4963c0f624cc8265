// Single-threaded epoll HTTP server with canned answers.
#include "tests/support/epoll_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <strings.h>
#include <unordered_map>

namespace ktp::testing {
namespace {

struct Connection {
  std::string in;
  std::string out;
  size_t out_offset = 0;
  long pending_answers = 0;  // held requests on this connection
  uint64_t generation = 0;   // tells a reused fd number from the connection that held it
};

struct Held {
  std::chrono::steady_clock::time_point due;
  int fd;
  uint64_t generation;
};

// Returns the total length (headers + body) of the first complete request in
// `in`, or 0 if it has not fully arrived.
size_t CompleteRequestLength(const std::string& in) {
  const size_t header_end = in.find("\r\n\r\n");
  if (header_end == std::string::npos) return 0;
  size_t content_length = 0;
  size_t pos = 0;
  while (pos < header_end) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos || eol > header_end) eol = header_end;
    const char* line = in.data() + pos;
    if (eol - pos > 15 && strncasecmp(line, "content-length:", 15) == 0) {
      content_length = std::strtoul(line + 15, nullptr, 10);
    }
    pos = eol + 2;
  }
  const size_t total = header_end + 4 + content_length;
  return in.size() >= total ? total : 0;
}

}  // namespace

EpollUpstream::EpollUpstream(Options options) : options_(std::move(options)) {
  response_ = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nRequest-Id: epoll-upstream\r\n"
              "Content-Length: " + std::to_string(options_.body.size()) + "\r\n\r\n" + options_.body;
}

EpollUpstream::~EpollUpstream() { Stop(); }

bool EpollUpstream::Start() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;
  if (listen(listen_fd_, 4096) != 0) return false;
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { Run(); });
  return true;
}

void EpollUpstream::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  close(listen_fd_);
  close(epoll_fd_);
  close(wake_fd_);
}

void EpollUpstream::Run() {
  std::unordered_map<int, Connection> connections;
  std::deque<Held> held;  // due times are monotonic: every request gets the same delay
  epoll_event events[256];

  auto close_connection = [&](int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    connections.erase(fd);
  };
  auto flush = [&](int fd, Connection& c) {
    while (c.out_offset < c.out.size()) {
      ssize_t n = send(fd, c.out.data() + c.out_offset, c.out.size() - c.out_offset, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN) break;
        return false;
      }
      c.out_offset += static_cast<size_t>(n);
    }
    if (c.out_offset == c.out.size()) {
      c.out.clear();
      c.out_offset = 0;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | (c.out.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT));
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    return true;
  };
  uint64_t next_generation = 1;
  auto answer = [&](int fd, uint64_t generation) {
    auto it = connections.find(fd);
    if (it == connections.end() || it->second.generation != generation) return;  // client went away
    it->second.pending_answers--;
    it->second.out += response_;
    answered_++;
    if (!flush(fd, it->second)) close_connection(fd);
  };

  while (!stop_) {
    int timeout_ms = 50;
    if (!held.empty()) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(held.front().due -
                                                                        std::chrono::steady_clock::now());
      timeout_ms = static_cast<int>(std::max<long>(0, std::min<long>(wait.count(), 50)));
    }
    const int n = epoll_wait(epoll_fd_, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) continue;
      if (fd == listen_fd_) {
        while (true) {
          int client = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (client < 0) break;
          int one = 1;
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = client;
          epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, client, &ev);
          connections[client].generation = next_generation++;
        }
        continue;
      }
      auto it = connections.find(fd);
      if (it == connections.end()) continue;
      Connection& c = it->second;
      if (events[i].events & EPOLLOUT) {
        if (!flush(fd, c)) {
          close_connection(fd);
          continue;
        }
      }
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        char buffer[65536];
        bool closed = false;
        while (true) {
          ssize_t r = recv(fd, buffer, sizeof(buffer), 0);
          if (r > 0) {
            c.in.append(buffer, static_cast<size_t>(r));
            continue;
          }
          if (r == 0 || errno != EAGAIN) closed = true;
          break;
        }
        bool gone = false;
        while (size_t len = CompleteRequestLength(c.in)) {
          c.in.erase(0, len);
          received_++;
          c.pending_answers++;
          if (options_.delay.count() == 0) {
            answer(fd, c.generation);
            if (connections.find(fd) == connections.end()) {  // answer() closed it: `c` is gone
              gone = true;
              break;
            }
          } else {
            held.push_back({std::chrono::steady_clock::now() + options_.delay, fd, c.generation});
          }
        }
        if (closed && !gone) close_connection(fd);
      }
    }
    const auto now = std::chrono::steady_clock::now();
    while (!held.empty() && held.front().due <= now) {
      const Held h = held.front();
      held.pop_front();
      answer(h.fd, h.generation);
    }
  }
  for (auto& [fd, c] : connections) close(fd);
}

}  // namespace ktp::testing
