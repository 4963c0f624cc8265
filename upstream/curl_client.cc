// libcurl multi-interface client for the upstream REST API.
//
// Threading: Start() and Cancel() may run on any thread; they only push a
// command onto a lock-free MPSC list and wake the loop. Everything that touches
// curl handles runs on the event (loop) thread, and that thread does nothing
// else: a finished transfer (HTTP status, headers and body, moved and never
// copied) is handed to a small fixed pool of completion threads, which maps it
// (JSON → OcrResult, base64 images) and runs the caller's callback. A large
// answer or a slow callback (one that starts a local fallback read) so never
// holds up the other transfers. The loop runs curl's multi_socket API on
// epoll: each wake-up touches only the transfers whose socket moved (or whose
// timer fired), so its cost does not grow with the calls in flight.
//
// Shutdown: once the event thread is gone the command list is closed; a push
// that finds it closed fails, and its Start completes inline with
// GATEWAY_SHUTTING_DOWN. So no call is ever left on a list nobody reads.
#include "upstream/curl_client.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/error_details.h"
#include "common/error_reasons.h"
#include "telemetry/log.h"
#include "upstream/http_outcome.h"

namespace ktp::upstream {
namespace {

class CurlCall;

// A unit of work for the loop thread.
struct Command {
  enum class Kind { kStart, kCancel } kind;
  std::shared_ptr<CurlCall> call;
  Command* next = nullptr;
};

// Multi-producer single-consumer list: producers push with one CAS, the loop
// takes the whole list at once and reverses it into arrival order. No locks on
// the serving path, and no ABA problem since the consumer never pops singly.
// Close() swaps in a marker that every later Push sees: a command is either
// in what TakeAll or Close returned, or its Push failed. Never both, never
// neither.
class CommandList {
 public:
  // Takes ownership of `command`, or returns false (and leaves it to the
  // caller) once the list is closed.
  bool Push(Command* command) {
    Command* head = head_.load(std::memory_order_relaxed);
    do {
      if (head == closed()) return false;
      command->next = head;
    } while (!head_.compare_exchange_weak(head, command, std::memory_order_release,
                                          std::memory_order_relaxed));
    return true;
  }
  // Returns the commands pushed so far, oldest first (nothing once closed).
  Command* TakeAll() {
    Command* list = head_.load(std::memory_order_relaxed);
    do {
      if (list == nullptr || list == closed()) return nullptr;
    } while (!head_.compare_exchange_weak(list, nullptr, std::memory_order_acquire,
                                          std::memory_order_relaxed));
    return Reverse(list);
  }
  // Refuses every later Push; returns the commands pushed and not yet taken,
  // oldest first.
  Command* Close() {
    Command* list = head_.exchange(closed(), std::memory_order_acq_rel);
    return list == closed() ? nullptr : Reverse(list);
  }

 private:
  static Command* Reverse(Command* list) {
    Command* fifo = nullptr;
    while (list != nullptr) {
      Command* next = list->next;
      list->next = fifo;
      fifo = list;
      list = next;
    }
    return fifo;
  }
  Command* closed() { return &closed_marker_; }

  std::atomic<Command*> head_{nullptr};
  Command closed_marker_{Command::Kind::kCancel, nullptr, nullptr};  // its address marks a closed list
};

// The calls whose transfer ended, waiting for a completion thread. Workers
// keep popping after Close() until it is empty.
class CompletionQueue {
 public:
  void Push(std::shared_ptr<CurlCall> call) {
    absl::MutexLock lock(&mu_);
    calls_.push_back(std::move(call));
  }
  // The oldest call, waiting for one; nullptr once closed and empty.
  std::shared_ptr<CurlCall> Pop() {
    absl::MutexLock lock(&mu_, absl::Condition(this, &CompletionQueue::Ready));
    if (calls_.empty()) return nullptr;
    std::shared_ptr<CurlCall> call = std::move(calls_.front());
    calls_.pop_front();
    return call;
  }
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

 private:
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || !calls_.empty(); }

  absl::Mutex mu_;
  std::deque<std::shared_ptr<CurlCall>> calls_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

absl::Status ShuttingDown() {
  return MakeError(absl::StatusCode::kUnavailable, reasons::kGatewayShuttingDown,
                   "the gateway is shutting down");
}

// Keeps a header value safe to echo into gRPC metadata: printable ASCII, bounded.
std::string SanitizeHeaderValue(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  std::string out;
  for (char c : value.substr(0, 128)) {
    if (c >= 0x21 && c <= 0x7e) out.push_back(c);
  }
  return out;
}

bool IsSafeHeader(absl::string_view name, absl::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

TransportFailure ClassifyCurlError(CURLcode code, bool response_too_large, bool connected) {
  if (response_too_large || code == CURLE_FILESIZE_EXCEEDED) return TransportFailure::kResponseTooLarge;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return TransportFailure::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      // A timeout before the connection was up is a connect failure, not the deadline.
      return connected ? TransportFailure::kTimeout : TransportFailure::kConnect;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
      return TransportFailure::kTls;
    case CURLE_ABORTED_BY_CALLBACK:
      return TransportFailure::kCancelled;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return TransportFailure::kInternal;
    default:
      return TransportFailure::kNetwork;
  }
}

// The observer's bounded label for a transport failure.
const char* TransportCauseName(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kConnect: return "connect";
    case TransportFailure::kTimeout: return "timeout";
    case TransportFailure::kTls: return "tls";
    case TransportFailure::kNetwork: return "network";
    case TransportFailure::kResponseTooLarge: return "response_too_large";
    case TransportFailure::kCancelled: return "cancelled";
    case TransportFailure::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace

// The event loop: owns the multi handle and every in-flight transfer, and the
// completion threads that finished transfers go to.
class CurlOcrBackend::Loop : public std::enable_shared_from_this<CurlOcrBackend::Loop> {
 public:
  explicit Loop(CurlClientOptions options);
  ~Loop();

  absl::Status Init();
  void StartThreads();
  // Idempotent; concurrent callers return once the first one is done.
  void Stop();

  // Any thread. False once the command list is closed (shutdown).
  bool Push(Command::Kind kind, std::shared_ptr<CurlCall> call);
  std::shared_ptr<backend::OcrCall> Start(backend::OcrRequest request, backend::OcrCallback done);
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  std::thread::id event_thread_id() const { return event_thread_id_; }
  int completion_threads() const { return completion_threads_; }

  const CurlClientOptions& options() const { return options_; }

 private:
  void Run();
  void DoStop();
  void Wake();
  // curl's socket and timer callbacks (multi_socket API): the loop waits on
  // epoll for exactly the sockets curl asks about, and curl touches only the
  // transfers whose socket moved, not every transfer on every wake-up.
  static int OnSocket(CURL* easy, curl_socket_t socket, int what, void* loop, void* socket_data);
  static int OnTimer(CURLM* multi, long timeout_ms, void* loop);
  // Milliseconds epoll may wait: until curl's timer, at most a second.
  int WaitMillis() const;
  // `begin` false: fail new calls with GATEWAY_SHUTTING_DOWN instead of starting them.
  void ProcessCommands(bool begin);
  void ReapFinished();
  void Begin(const std::shared_ptr<CurlCall>& call);
  // Ends `call`'s transfer and hands the call to the completion threads: with
  // `error`, or with the HTTP answer in call->answer_ when `error` is OK.
  // `failure_cause` non-null marks a request that went to curl: the observer
  // hears of it (see UpstreamObserver for the values); null reports nothing.
  // The event thread only (or Stop once that thread is joined).
  void Finish(const std::shared_ptr<CurlCall>& call, absl::Status error,
              const char* failure_cause = nullptr);
  void Release(CurlCall& call);
  // A completion thread: maps the outcome and runs the caller's callback.
  void CompletionWorker();
  void Complete(CurlCall& call);
  const std::string& UrlFor(backend::Endpoint endpoint, const v1::ReadOptions& options) const;

  CurlClientOptions options_;
  std::string urls_[2][8];  // [endpoint][raw_text|confidence_field|polygon bits]
  CURLM* multi_ = nullptr;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Push and Stop wake the loop through it
  // Loop thread only: when curl wants CURL_SOCKET_TIMEOUT (none when unset).
  bool timer_armed_ = false;
  std::chrono::steady_clock::time_point timer_due_;
  std::thread thread_;
  std::thread::id event_thread_id_;
  int completion_threads_ = 1;
  std::vector<std::thread> workers_;
  CommandList commands_;
  CompletionQueue completions_;
  std::atomic<bool> stopping_{false};
  std::once_flag stop_once_;
  std::atomic<int> in_flight_{0};
  // Loop thread only.
  std::unordered_map<CurlCall*, std::shared_ptr<CurlCall>> active_;
  std::vector<CURL*> idle_handles_;
};

namespace {

// One upstream request. Fields below `// Loop thread only` are touched only by
// the loop until Finish hands the call to a completion thread; from then on
// only by that thread (the queue's lock orders the two).
class CurlCall final : public backend::OcrCall, public std::enable_shared_from_this<CurlCall> {
 public:
  CurlCall(std::weak_ptr<CurlOcrBackend::Loop> loop, backend::OcrRequest request, backend::OcrCallback done,
           std::shared_ptr<const Credentials> credentials)
      : request_(std::move(request)),
        done_(std::move(done)),
        credentials_(std::move(credentials)),
        loop_(std::move(loop)) {}

  void Cancel() override {
    if (cancel_requested_.exchange(true, std::memory_order_acq_rel)) return;
    if (auto loop = loop_.lock()) loop->Push(Command::Kind::kCancel, shared_from_this());
  }

  bool cancel_requested() const { return cancel_requested_.load(std::memory_order_acquire); }

  // Loop thread only.
  backend::OcrRequest request_;
  backend::OcrCallback done_;
  std::shared_ptr<const Credentials> credentials_;
  bool finished_ = false;
  CURL* easy_ = nullptr;
  curl_mime* mime_ = nullptr;
  curl_slist* headers_ = nullptr;
  HttpAnswer answer_;
  bool response_too_large_ = false;
  size_t max_response_bytes_ = 0;
  // Upload position within the Cord.
  absl::Cord::ChunkIterator chunk_;
  size_t chunk_offset_ = 0;
  size_t sent_ = 0;
  absl::Time begun_;  // when the request was handed to curl (for the observer)
  // Set by Finish: OK when answer_ holds an HTTP answer to map, else the error.
  absl::Status error_;
  const char* failure_cause_ = nullptr;
  absl::Duration elapsed_;  // begun_ until the transfer ended

  static size_t OnRead(char* buffer, size_t size, size_t nitems, void* arg);
  static int OnSeek(void* arg, curl_off_t offset, int origin);
  static size_t OnWrite(char* data, size_t size, size_t nmemb, void* arg);
  static size_t OnHeader(char* data, size_t size, size_t nitems, void* arg);

 private:
  std::weak_ptr<CurlOcrBackend::Loop> loop_;
  std::atomic<bool> cancel_requested_{false};
};

// Copies the next bytes of the image straight from the Cord's chunks into
// curl's send buffer: the only copy the upload makes.
size_t CurlCall::OnRead(char* buffer, size_t size, size_t nitems, void* arg) {
  auto* call = static_cast<CurlCall*>(arg);
  const size_t want = size * nitems;
  size_t n = 0;
  const auto end = call->request_.image.chunk_end();
  while (n < want && call->chunk_ != end) {
    absl::string_view chunk = *call->chunk_;
    const size_t take = std::min(want - n, chunk.size() - call->chunk_offset_);
    std::memcpy(buffer + n, chunk.data() + call->chunk_offset_, take);
    n += take;
    call->chunk_offset_ += take;
    if (call->chunk_offset_ == chunk.size()) {
      ++call->chunk_;
      call->chunk_offset_ = 0;
    }
  }
  call->sent_ += n;
  return n;
}

// curl rewinds when it must resend the body (e.g. a reused connection closed).
int CurlCall::OnSeek(void* arg, curl_off_t offset, int origin) {
  auto* call = static_cast<CurlCall*>(arg);
  if (origin != SEEK_SET || offset < 0 ||
      static_cast<size_t>(offset) > call->request_.image.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  call->chunk_ = call->request_.image.chunk_begin();
  call->chunk_offset_ = 0;
  size_t skip = static_cast<size_t>(offset);
  const auto end = call->request_.image.chunk_end();
  while (skip > 0 && call->chunk_ != end) {
    const size_t len = (*call->chunk_).size();
    if (skip < len) {
      call->chunk_offset_ = skip;
      skip = 0;
    } else {
      skip -= len;
      ++call->chunk_;
    }
  }
  call->sent_ = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t CurlCall::OnWrite(char* data, size_t size, size_t nmemb, void* arg) {
  auto* call = static_cast<CurlCall*>(arg);
  const size_t n = size * nmemb;
  std::string& body = call->answer_.body;
  if (body.size() + n > call->max_response_bytes_) {
    call->response_too_large_ = true;
    return 0;  // Makes curl fail the transfer with CURLE_WRITE_ERROR.
  }
  if (body.empty()) {
    // Size the buffer once from Content-Length instead of growing it repeatedly.
    curl_off_t length = -1;
    if (curl_easy_getinfo(call->easy_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length > 0) {
      body.reserve(std::min(static_cast<size_t>(length), call->max_response_bytes_));
    }
  }
  body.append(data, n);
  return n;
}

size_t CurlCall::OnHeader(char* data, size_t size, size_t nitems, void* arg) {
  auto* call = static_cast<CurlCall*>(arg);
  const size_t n = size * nitems;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new response starts (e.g. after an interim 1xx): forget earlier headers.
    call->answer_.upstream_request_id.clear();
    call->answer_.retry_after.clear();
    call->answer_.content_type.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
  absl::string_view value = line.substr(colon + 1);
  if (absl::EqualsIgnoreCase(name, "request-id")) {
    call->answer_.upstream_request_id = SanitizeHeaderValue(value);
  } else if (absl::EqualsIgnoreCase(name, "retry-after")) {
    call->answer_.retry_after = SanitizeHeaderValue(value.substr(0, 64));
  } else if (absl::EqualsIgnoreCase(name, "content-type")) {
    call->answer_.content_type = SanitizeHeaderValue(value);
  }
  return n;
}

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

CurlOcrBackend::Loop::Loop(CurlClientOptions options) : options_(std::move(options)) {
  std::string base = options_.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const char* paths[2] = {"/ocr/v1/ktp", "/ocr/v1/ktp/qualities"};
  for (int e = 0; e < 2; ++e) {
    for (int bits = 0; bits < 8; ++bits) {
      urls_[e][bits] = absl::StrCat(base, paths[e], "?withRawText=", (bits & 1) ? "true" : "false",
                                    "&withConfidenceField=", (bits & 2) ? "true" : "false",
                                    "&withPolygon=", (bits & 4) ? "true" : "false");
    }
  }
}

CurlOcrBackend::Loop::~Loop() {
  for (CURL* easy : idle_handles_) curl_easy_cleanup(easy);
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

absl::Status CurlOcrBackend::Loop::Init() {
  GlobalInitOnce();
  if (!absl::StartsWith(options_.base_url, "https://") &&
      !absl::StartsWith(options_.base_url, "http://")) {
    return absl::InvalidArgumentError("the upstream URL must start with https:// or http://");
  }
  if (options_.credentials == nullptr) {
    return absl::InvalidArgumentError("no credential source");
  }
  if (options_.completion_threads < 0) {
    return absl::InvalidArgumentError("completion_threads must not be negative");
  }
  completion_threads_ = options_.completion_threads > 0
                            ? options_.completion_threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  multi_ = curl_multi_init();
  if (multi_ == nullptr) return absl::InternalError("curl_multi_init failed");
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return absl::InternalError("epoll/eventfd: out of descriptors");
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0) {
    return absl::InternalError("epoll_ctl failed for the wake-up descriptor");
  }
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Loop::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Loop::OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  if (options_.max_connections > 0) {
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, options_.max_connections);
  }
  return absl::OkStatus();
}

const std::string& CurlOcrBackend::Loop::UrlFor(backend::Endpoint endpoint,
                                                const v1::ReadOptions& options) const {
  const int bits = (options.with_raw_text() ? 1 : 0) | (options.with_confidence_field() ? 2 : 0) |
                   (options.with_polygon() ? 4 : 0);
  return urls_[endpoint == backend::Endpoint::kRead ? 0 : 1][bits];
}

void CurlOcrBackend::Loop::StartThreads() {
  // Every thread exists before the first call: none is started per call, or later.
  workers_.reserve(static_cast<size_t>(completion_threads_));
  for (int i = 0; i < completion_threads_; ++i) workers_.emplace_back([this] { CompletionWorker(); });
  thread_ = std::thread([this] { Run(); });
  event_thread_id_ = thread_.get_id();
}

bool CurlOcrBackend::Loop::Push(Command::Kind kind, std::shared_ptr<CurlCall> call) {
  auto* command = new Command{kind, std::move(call)};
  if (!commands_.Push(command)) {
    delete command;
    return false;
  }
  // The Loop outlives this call (the backend or a call's weak_ptr holds it), so
  // the descriptor is valid even when Stop is closing the list meanwhile.
  Wake();
  return true;
}

void CurlOcrBackend::Loop::Wake() {
  const uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop wakes anyway.
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

int CurlOcrBackend::Loop::OnSocket(CURL* /*easy*/, curl_socket_t socket, int what, void* loop_ptr,
                                   void* /*socket_data*/) {
  auto* loop = static_cast<Loop*>(loop_ptr);
  if (what == CURL_POLL_REMOVE) {
    // The socket may be closed already (then epoll dropped it itself).
    epoll_ctl(loop->epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
    return 0;
  }
  epoll_event event{};
  event.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  event.data.fd = socket;
  if (epoll_ctl(loop->epoll_fd_, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT) {
    epoll_ctl(loop->epoll_fd_, EPOLL_CTL_ADD, socket, &event);
  }
  return 0;
}

int CurlOcrBackend::Loop::OnTimer(CURLM* /*multi*/, long timeout_ms, void* loop_ptr) {
  auto* loop = static_cast<Loop*>(loop_ptr);
  loop->timer_armed_ = timeout_ms >= 0;
  if (loop->timer_armed_) {
    loop->timer_due_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

int CurlOcrBackend::Loop::WaitMillis() const {
  if (!timer_armed_) return 1000;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(timer_due_ - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1000));
}

namespace {
// Handle for calls that completed before they started: nothing to cancel.
class CompletedCall final : public backend::OcrCall {
 public:
  void Cancel() override {}
};
}  // namespace

std::shared_ptr<backend::OcrCall> CurlOcrBackend::Loop::Start(backend::OcrRequest request, backend::OcrCallback done) {
  if (stopping_.load(std::memory_order_acquire)) {
    std::move(done)(ShuttingDown());
    return std::make_shared<CompletedCall>();
  }
  if (request.deadline <= absl::Now()) {
    std::move(done)(MapTransportFailure(TransportFailure::kTimeout, ""));
    return std::make_shared<CompletedCall>();
  }
  absl::StatusOr<std::shared_ptr<const Credentials>> credentials = options_.credentials->Current(request.credential_set);
  if (!credentials.ok()) {
    std::move(done)(credentials.status());
    return std::make_shared<CompletedCall>();
  }
  auto call = std::make_shared<CurlCall>(weak_from_this(), std::move(request), std::move(done),
                                         *std::move(credentials));
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  if (!Push(Command::Kind::kStart, call)) {
    // Stop closed the list after the check above: nothing will ever read this
    // command, so the call completes here, as if the check had seen it.
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    backend::OcrCallback callback = std::move(call->done_);
    std::move(callback)(ShuttingDown());
    return std::make_shared<CompletedCall>();
  }
  return call;
}

void CurlOcrBackend::Loop::Begin(const std::shared_ptr<CurlCall>& call) {
  if (call->cancel_requested()) {
    Finish(call, MapTransportFailure(TransportFailure::kCancelled, ""));
    return;
  }
  const absl::Duration remaining =
      std::min(call->request_.deadline - absl::Now(), options_.max_call_timeout);
  if (remaining <= absl::ZeroDuration()) {
    Finish(call, MapTransportFailure(TransportFailure::kTimeout, ""));
    return;
  }
  call->begun_ = absl::Now();
  CURL* easy = nullptr;
  if (!idle_handles_.empty()) {
    easy = idle_handles_.back();
    idle_handles_.pop_back();
    curl_easy_reset(easy);
  } else {
    easy = curl_easy_init();
  }
  if (easy == nullptr) {
    Finish(call, MapTransportFailure(TransportFailure::kInternal, "curl_easy_init failed"), "internal");
    return;
  }
  call->easy_ = easy;
  call->max_response_bytes_ = options_.max_response_bytes;
  call->chunk_ = call->request_.image.chunk_begin();

  // Request headers. Credentials were pre-rendered; the values never pass through logs.
  const Credentials& credentials = *call->credentials_;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, credentials.authorization_header().c_str());
  headers = curl_slist_append(headers, credentials.api_key_header().c_str());
  headers = curl_slist_append(headers, absl::StrCat("x-request-id: ", call->request_.request_id).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue stall on large bodies
  headers = curl_slist_append(headers, "Accept: application/json");
  for (const auto& [name, value] : call->request_.forward_headers) {
    if (IsSafeHeader(name, value)) {
      headers = curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
    }
  }
  call->headers_ = headers;

  // Multipart body: one part named "image", streamed from the Cord.
  call->mime_ = curl_mime_init(easy);
  curl_mimepart* part = curl_mime_addpart(call->mime_);
  curl_mime_name(part, "image");
  curl_mime_filename(part, call->request_.file_name.c_str());
  curl_mime_type(part, call->request_.mime_type.c_str());
  curl_mime_data_cb(part, static_cast<curl_off_t>(call->request_.image.size()), &CurlCall::OnRead,
                    &CurlCall::OnSeek, nullptr, call.get());

  curl_easy_setopt(easy, CURLOPT_URL, UrlFor(call->request_.endpoint, call->request_.options).c_str());
  curl_easy_setopt(easy, CURLOPT_PRIVATE, call.get());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                   std::max(1L, static_cast<long>(absl::ToInt64Milliseconds(remaining))));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_MIMEPOST, call->mime_);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "ktp-gateway/0.1");
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_response_bytes));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &CurlCall::OnWrite);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, call.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &CurlCall::OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, call.get());
  // libcurl's upload buffer is 64 KiB by default, allocated per transfer: a
  // small image gets one its own size (plus the multipart framing), so many
  // small calls in flight hold what the byte budget counts for them. Set on
  // every transfer: setting it also drops a buffer a reused handle may still
  // hold (multi_done keeps it when a multiplexed connection is still in use,
  // and curl_easy_reset restores the size without freeing it).
  constexpr size_t kCurlMinUploadBuffer = 16 * 1024;  // libcurl refuses less (UPLOADBUFFER_MIN)
  const size_t body = call->request_.image.size() + 1024;
  curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE,
                   static_cast<long>(std::clamp(body, kCurlMinUploadBuffer, backend::kMaxSendBufferBytes)));

  if (curl_multi_add_handle(multi_, easy) != CURLM_OK) {
    Finish(call, MapTransportFailure(TransportFailure::kInternal, "curl_multi_add_handle failed"),
           "internal");
    return;
  }
  active_.emplace(call.get(), call);
}

void CurlOcrBackend::Loop::Release(CurlCall& call) {
  if (call.easy_ != nullptr) {
    curl_multi_remove_handle(multi_, call.easy_);
    // Keep a few handles: reuse saves their allocation and internal buffers.
    if (idle_handles_.size() < 256) {
      idle_handles_.push_back(call.easy_);
    } else {
      curl_easy_cleanup(call.easy_);
    }
    call.easy_ = nullptr;
  }
  if (call.mime_ != nullptr) {
    curl_mime_free(call.mime_);
    call.mime_ = nullptr;
  }
  if (call.headers_ != nullptr) {
    // The list holds copies of the Authorization and x-api-key headers: wipe
    // them before the allocator hands the memory to someone else.
    for (curl_slist* node = call.headers_; node != nullptr; node = node->next) {
      if (node->data != nullptr) explicit_bzero(node->data, std::strlen(node->data));
    }
    curl_slist_free_all(call.headers_);
    call.headers_ = nullptr;
  }
}

void CurlOcrBackend::Loop::Finish(const std::shared_ptr<CurlCall>& call, absl::Status error,
                                  const char* failure_cause) {
  if (call->finished_) return;
  call->finished_ = true;
  call->error_ = std::move(error);
  call->failure_cause_ = failure_cause;
  if (failure_cause != nullptr) call->elapsed_ = absl::Now() - call->begun_;
  Release(*call);
  active_.erase(call.get());
  // Drop the image and credentials now: the caller may hold the handle longer.
  call->request_.image.Clear();
  call->credentials_.reset();
  // The body travels inside the call: handing over the pointer copies no byte.
  completions_.Push(call);
}

void CurlOcrBackend::Loop::CompletionWorker() {
  while (std::shared_ptr<CurlCall> call = completions_.Pop()) Complete(*call);
}

void CurlOcrBackend::Loop::Complete(CurlCall& call) {
  absl::StatusOr<backend::OcrResult> result;
  long http_status = 0;
  const char* cause = call.failure_cause_;
  if (call.error_.ok()) {
    http_status = call.answer_.http_status;
    result = MapHttpAnswer(std::move(call.answer_), absl::Now());
    // A 200 that maps to an error is an unusable body, unless it is the
    // upstream saying the upload was bad (INVALID_ARGUMENT: not its failure).
    cause = http_status == 200 && !result.ok() &&
                    result.status().code() != absl::StatusCode::kInvalidArgument
                ? "bad_response"
                : "";
  } else {
    result = std::move(call.error_);
  }
  // Before the caller completes, so metrics already count the request it sees.
  if (options_.observer != nullptr && cause != nullptr) {
    options_.observer->OnUpstreamRequestDone(call.request_.endpoint, http_status, cause, call.elapsed_);
  }
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  backend::OcrCallback done = std::move(call.done_);
  std::move(done)(std::move(result));
}

void CurlOcrBackend::Loop::ProcessCommands(bool begin) {
  Command* command = commands_.TakeAll();
  while (command != nullptr) {
    Command* next = command->next;
    if (command->kind == Command::Kind::kStart) {
      if (begin) {
        Begin(command->call);
      } else {
        Finish(command->call, ShuttingDown());
      }
    } else if (!command->call->finished_ && command->call->easy_ != nullptr) {
      Finish(command->call, MapTransportFailure(TransportFailure::kCancelled, ""), "cancelled");
    }
    delete command;
    command = next;
  }
}

void CurlOcrBackend::Loop::ReapFinished() {
  int pending = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &pending)) {
    if (message->msg != CURLMSG_DONE) continue;
    CurlCall* raw = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &raw);
    auto it = active_.find(raw);
    if (it == active_.end()) continue;
    std::shared_ptr<CurlCall> call = it->second;
    const CURLcode code = message->data.result;
    if (code == CURLE_OK) {
      long http_status = 0;
      curl_easy_getinfo(call->easy_, CURLINFO_RESPONSE_CODE, &http_status);
      call->answer_.http_status = http_status;
      // Mapped on a completion thread, which also settles the failure cause.
      Finish(call, absl::OkStatus(), "");
    } else {
      curl_off_t connect_time = 0;
      curl_easy_getinfo(call->easy_, CURLINFO_CONNECT_TIME_T, &connect_time);
      const TransportFailure failure =
          ClassifyCurlError(code, call->response_too_large_, connect_time > 0);
      Finish(call, MapTransportFailure(failure, curl_easy_strerror(code)), TransportCauseName(failure));
    }
  }
}

void CurlOcrBackend::Loop::Run() {
  constexpr int kMaxEvents = 128;
  epoll_event events[kMaxEvents];
  while (!stopping_.load(std::memory_order_acquire)) {
    ProcessCommands(/*begin=*/true);
    // Wakes on a socket curl asked about, curl's timer, or Wake() from Push/Stop.
    const int ready = epoll_wait(epoll_fd_, events, kMaxEvents, WaitMillis());
    int running = 0;
    for (int i = 0; i < ready; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t count = 0;
        [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof(count));
        continue;
      }
      const uint32_t e = events[i].events;
      const int mask = ((e & EPOLLIN) ? CURL_CSELECT_IN : 0) | ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                       ((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
      curl_multi_socket_action(multi_, fd, mask, &running);
    }
    if (timer_armed_ && std::chrono::steady_clock::now() >= timer_due_) {
      timer_armed_ = false;  // curl re-arms it from inside the call when it needs to
      curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    ReapFinished();
  }
  // Shutting down: fail whatever is left so no caller waits forever.
  ProcessCommands(/*begin=*/false);
  std::vector<std::shared_ptr<CurlCall>> left;
  left.reserve(active_.size());
  for (auto& [raw, call] : active_) left.push_back(call);
  for (auto& call : left) Finish(call, ShuttingDown(), "cancelled");
}

void CurlOcrBackend::Loop::Stop() {
  std::call_once(stop_once_, [this] { DoStop(); });
}

void CurlOcrBackend::Loop::DoStop() {
  // New Starts now complete inline; the loop leaves at its next wake-up.
  stopping_.store(true, std::memory_order_release);
  if (wake_fd_ >= 0) Wake();
  if (thread_.joinable()) thread_.join();
  // The event thread is gone. A Start that passed its stopping_ check before
  // the store above may have pushed after the loop's last look: closing the
  // list hands over those commands, and makes every later push fail (that
  // Start then completes inline). Either way, each call completes once.
  Command* command = commands_.Close();
  while (command != nullptr) {
    Command* next = command->next;
    if (command->kind == Command::Kind::kStart) Finish(command->call, ShuttingDown());
    delete command;
    command = next;
  }
  // Every call has reached the completion queue by now (Finish runs only on
  // the joined event thread and just above): the workers drain it and leave.
  completions_.Close();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

absl::StatusOr<std::unique_ptr<CurlOcrBackend>> CurlOcrBackend::Create(CurlClientOptions options) {
  auto loop = std::make_shared<Loop>(std::move(options));
  if (absl::Status s = loop->Init(); !s.ok()) return s;
  loop->StartThreads();
  return std::unique_ptr<CurlOcrBackend>(new CurlOcrBackend(std::move(loop)));
}

CurlOcrBackend::CurlOcrBackend(std::shared_ptr<Loop> loop) : loop_(std::move(loop)) {}

CurlOcrBackend::~CurlOcrBackend() { loop_->Stop(); }

void CurlOcrBackend::Shutdown() { loop_->Stop(); }

std::shared_ptr<backend::OcrCall> CurlOcrBackend::Start(backend::OcrRequest request, backend::OcrCallback done) {
  return loop_->Start(std::move(request), std::move(done));
}

int CurlOcrBackend::in_flight() const { return loop_->in_flight(); }

std::thread::id CurlOcrBackend::event_thread_id() const { return loop_->event_thread_id(); }

int CurlOcrBackend::completion_threads() const { return loop_->completion_threads(); }

}  // namespace ktp::upstream
