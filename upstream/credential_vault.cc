// CredentialVault: layout discovery, the reload loop (inotify + debounce +
// periodic re-read) and snapshot publication.
//
// Threading: one watcher thread reloads; Current() and the other readers only
// copy the published snapshot pointer. Reloads are serialized by reload_mu_;
// callbacks and listeners run on the reloading thread, never under snapshot_mu_.
#include "upstream/credential_vault.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "telemetry/log.h"

namespace ktp::upstream {
namespace {

constexpr const char* kSecretFiles[] = {"username", "password", "api_key"};

// While the root cannot be watched (deleted and re-created, or inotify refused
// the watch), look again this often instead of waiting for the refresh interval.
constexpr auto kRootRetry = std::chrono::seconds(1);

absl::Status CredentialsError(absl::string_view message) {
  return MakeError(absl::StatusCode::kUnavailable, "CREDENTIALS_UNAVAILABLE", message);
}

// Compares without an early exit, so timing does not reveal how much of a new
// secret matches the old one (only whether the lengths match).
bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

// The two pre-rendered headers carry all three secrets (a username never holds ':').
bool SameSecrets(const Credentials& a, const Credentials& b) {
  const bool auth = ConstantTimeEquals(a.authorization_header(), b.authorization_header());
  const bool key = ConstantTimeEquals(a.api_key_header(), b.api_key_header());
  return auth && key;
}

struct Candidate {
  std::string name;
  std::string dir;
};

// The sets the root currently holds: itself as "default" when it has any of the
// three files, else one per visible subdirectory (symlinks followed).
absl::StatusOr<std::vector<Candidate>> ListSets(const std::string& root) {
  DIR* dir = ::opendir(root.c_str());
  if (dir == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot list the credential directory: ", strerror(errno)));
  }
  bool root_has_files = false;
  std::vector<Candidate> subdirs;
  while (struct dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    for (const char* file : kSecretFiles) {
      if (name == file) root_has_files = true;
    }
    // Hidden: ".", "..", and the kubelet's "..data" / "..<timestamp>" entries.
    if (name.empty() || name[0] == '.') continue;
    const std::string path = root + "/" + name;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) subdirs.push_back({name, path});
  }
  ::closedir(dir);
  if (root_has_files) return std::vector<Candidate>{{CredentialVault::kDefaultSet, root}};
  std::sort(subdirs.begin(), subdirs.end(),
            [](const Candidate& a, const Candidate& b) { return a.name < b.name; });
  return subdirs;
}

// Where `<root>/..data` points: the kubelet (and the CSI driver) publish each
// version in a fresh `..<timestamp>` directory and swap this link by rename.
// Equal stamps before and after reading mean no swap happened in between, so no
// set mixes files of two versions. "" when there is no such link.
std::string DataStamp(const std::string& root) {
  char target[PATH_MAX];
  const ssize_t n = ::readlink((root + "/..data").c_str(), target, sizeof(target));
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

}  // namespace

CredentialVault::CredentialVault(CredentialVaultOptions options)
    : options_(std::move(options)), snapshot_(std::make_shared<const Snapshot>()) {}

absl::StatusOr<std::shared_ptr<CredentialVault>> CredentialVault::Create(CredentialVaultOptions options) {
  if (options.root.empty()) return absl::InvalidArgumentError("no credential directory given");
  struct stat st;
  const char* unusable = nullptr;
  if (::stat(options.root.c_str(), &st) != 0) {
    unusable = strerror(errno);
  } else if (!S_ISDIR(st.st_mode)) {
    unusable = "not a directory";
  }
  if (unusable != nullptr) {
    const char* why = unusable;
    return absl::FailedPreconditionError(absl::StrCat(
        "credential directory '", options.root, "' is unusable (", why,
        "); it must hold files username, password and api_key, or one such directory per set"));
  }
  std::shared_ptr<CredentialVault> vault(new CredentialVault(std::move(options)));
  if (vault->options_.use_inotify) {
    vault->inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (vault->inotify_fd_ < 0) {
      // Often the per-user instance limit in containers; the periodic re-read still works.
      log::Warn("inotify unavailable; credentials are only re-read periodically",
                {{"error", strerror(errno)},
                 {"refresh_seconds", absl::ToDoubleSeconds(vault->options_.refresh_interval)}});
    }
  }
  vault->stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (vault->stop_fd_ < 0) return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  {
    absl::MutexLock lock(&vault->reload_mu_);
    for (int attempt = 0; attempt < 5 && !vault->Reload(); ++attempt) {
    }
  }
  vault->thread_ = std::thread([raw = vault.get()] { raw->Run(); });
  return vault;
}

CredentialVault::~CredentialVault() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    while (::write(stop_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

std::shared_ptr<const CredentialVault::Snapshot> CredentialVault::snapshot() const {
  absl::ReaderMutexLock lock(&snapshot_mu_);
  return snapshot_;
}

absl::StatusOr<std::shared_ptr<const Credentials>> CredentialVault::Current(
    absl::string_view set_name) const {
  const std::shared_ptr<const Snapshot> snap = snapshot();
  if (set_name.empty()) {
    if (snap->default_set) return snap->default_set;
    // Says nothing about which sets exist: that is for the operator's logs.
    return CredentialsError("no default upstream credential set is loaded");
  }
  auto it = snap->sets.find(set_name);
  if (it == snap->sets.end()) {
    // The caller sees that its tenant's upstream credentials are missing, never
    // which set that is (configuration detail); the operator's log names it.
    log::Warn("upstream credential set not loaded", {{"set", std::string(set_name)}});
    return CredentialsError("the upstream credentials of this tenant are not loaded");
  }
  return it->second.credentials;
}

bool CredentialVault::has_any() const { return !snapshot()->sets.empty(); }

int64_t CredentialVault::generation(absl::string_view set_name) const {
  const std::shared_ptr<const Snapshot> snap = snapshot();
  auto it = snap->sets.find(set_name);
  return it == snap->sets.end() ? 0 : it->second.generation;
}

std::vector<std::string> CredentialVault::set_names() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : snapshot()->sets) names.push_back(name);
  return names;
}

int CredentialVault::Subscribe(std::function<void(bool has_any)> listener) {
  absl::MutexLock lock(&listeners_mu_);
  const int id = next_listener_id_++;
  // Under listeners_mu_, so a concurrent reload's notification comes after this
  // one and the listener's last call always reflects the latest state.
  listener(has_any());
  listeners_.emplace(id, std::move(listener));
  return id;
}

void CredentialVault::Unsubscribe(int id) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_.erase(id);
}

void CredentialVault::NotifyListeners() {
  absl::MutexLock lock(&listeners_mu_);
  const bool any = has_any();
  for (auto& [id, listener] : listeners_) listener(any);
}

void CredentialVault::ReloadNow() {
  absl::MutexLock lock(&reload_mu_);
  Reload();
}

void CredentialVault::UpdateWatches(const std::vector<std::string>& set_dirs) {
  if (inotify_fd_ < 0) return;
  // No IN_DONT_FOLLOW: a set directory is often a symlink into `..data`, and the
  // watch must land on the directory it points to. Re-adding an existing watch
  // returns the same descriptor, so unchanged sets keep theirs.
  constexpr uint32_t kMask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE |
                             IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
  if (root_wd_ < 0) {
    root_wd_ = ::inotify_add_watch(inotify_fd_, options_.root.c_str(), kMask);
    if (root_wd_ < 0) {
      log::Warn("cannot watch the credential directory; retrying", {{"error", strerror(errno)}});
    }
  }
  std::map<int, std::string> wds;
  for (const std::string& dir : set_dirs) {
    const int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), kMask);
    if (wd >= 0 && wd != root_wd_) wds.emplace(wd, dir);
  }
  for (const auto& [wd, dir] : set_wds_) {
    // Fails harmlessly (EINVAL) when the directory is already gone.
    if (wds.count(wd) == 0) ::inotify_rm_watch(inotify_fd_, wd);
  }
  set_wds_ = std::move(wds);
}

bool CredentialVault::Reload() {
  // Read everything, retrying (bounded) when `..data` was swapped while reading.
  std::vector<Candidate> candidates;
  std::map<std::string, absl::StatusOr<std::shared_ptr<const Credentials>>> loaded;
  bool settled = false;
  for (int attempt = 0; attempt < 3 && !settled; ++attempt) {
    const std::string stamp = DataStamp(options_.root);
    absl::StatusOr<std::vector<Candidate>> listed = ListSets(options_.root);
    if (!listed.ok()) {
      // The root itself is unreadable: keep every set as it is (fail static).
      if (last_error_[""] != listed.status().message()) {
        log::Warn("credential directory unreadable; keeping the loaded sets",
                  {{"reason", listed.status().message()}});
        last_error_[""] = std::string(listed.status().message());
      }
      UpdateWatches({});
      return true;
    }
    last_error_.erase("");
    candidates = *std::move(listed);
    std::vector<std::string> dirs;
    for (const Candidate& c : candidates) dirs.push_back(c.dir);
    // Watch before reading: a change after this point triggers another reload.
    UpdateWatches(dirs);
    loaded.clear();
    for (const Candidate& c : candidates) loaded.emplace(c.name, LoadCredentialSet(c.dir));
    settled = DataStamp(options_.root) == stamp;
  }
  if (!settled) {
    // Still being rewritten: publish nothing that might be mixed; try again soon.
    log::Debug("credential directory changing while read; retrying");
    return false;
  }

  struct Report {
    bool ok;
    std::string set;
    int64_t generation;
  };
  std::vector<Report> reports;
  const std::shared_ptr<const Snapshot> old = snapshot();
  auto next = std::make_shared<Snapshot>();
  bool changed = false;
  for (auto& [name, result] : loaded) {
    auto it = old->sets.find(name);
    const Entry* previous = it == old->sets.end() ? nullptr : &it->second;
    if (result.ok()) {
      last_error_.erase(name);
      if (previous != nullptr && SameSecrets(*previous->credentials, **result)) {
        next->sets.emplace(name, *previous);  // unchanged: same pointer, same generation
        continue;
      }
      const int64_t generation = ++generations_[name];
      next->sets.emplace(name, Entry{*std::move(result), generation});
      changed = true;
      reports.push_back({true, name, generation});
      log::Info(previous == nullptr ? "credential set loaded" : "credential set rotated",
                {{"set", name}, {"generation", generation}});
      continue;
    }
    // Invalid or half-written: keep serving the last good version, if any.
    const int64_t kept = previous != nullptr ? previous->generation : 0;
    if (previous != nullptr) next->sets.emplace(name, *previous);
    reports.push_back({false, name, kept});
    std::string& last = last_error_[name];
    if (last != result.status().message()) {
      last = std::string(result.status().message());
      log::Warn(previous != nullptr ? "credential set invalid; keeping the last good version"
                                    : "credential set invalid; not loaded",
                {{"set", name}, {"reason", result.status().message()}, {"generation", kept}});
    }
  }
  for (const auto& [name, entry] : old->sets) {
    if (loaded.count(name) != 0) continue;
    changed = true;
    reports.push_back({true, name, 0});
    log::Info("credential set removed", {{"set", name}, {"generation", entry.generation}});
  }
  for (auto it = last_error_.begin(); it != last_error_.end();) {
    it = (!it->first.empty() && loaded.count(it->first) == 0) ? last_error_.erase(it) : std::next(it);
  }

  if (changed) {
    auto def = next->sets.find(kDefaultSet);
    if (def != next->sets.end()) {
      next->default_set = def->second.credentials;
    } else if (next->sets.size() == 1) {
      next->default_set = next->sets.begin()->second.credentials;
    }
    std::shared_ptr<const Snapshot> published = std::move(next);
    {
      absl::MutexLock lock(&snapshot_mu_);
      snapshot_.swap(published);
    }
    // `published` now holds the old snapshot; its credentials are zeroed once the
    // last in-flight call using them lets go.
  }
  if (options_.on_reload) {
    for (const Report& r : reports) options_.on_reload(r.ok, r.set, r.generation);
  }
  if (changed) NotifyListeners();
  return true;
}

void CredentialVault::Run() {
  using Clock = std::chrono::steady_clock;
  const bool periodic = options_.refresh_interval > absl::ZeroDuration();
  const auto interval = absl::ToChronoMilliseconds(options_.refresh_interval);
  const auto debounce = absl::ToChronoMilliseconds(options_.debounce);
  Clock::time_point last_reload = Clock::now();
  constexpr Clock::time_point kNever = Clock::time_point::max();
  Clock::time_point pending = kNever;  // a debounced reload is due then
  alignas(struct inotify_event) char buffer[16 * 1024];

  while (true) {
    bool root_unwatched = false;
    {
      absl::MutexLock lock(&reload_mu_);
      root_unwatched = inotify_fd_ >= 0 && root_wd_ < 0;
    }
    Clock::time_point deadline = std::min(pending, periodic ? last_reload + interval : kNever);
    if (root_unwatched) deadline = std::min(deadline, last_reload + kRootRetry);
    int timeout_ms = -1;
    if (deadline != kNever) {
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(wait, 0, INT_MAX));
    }
    struct pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    const int n = ::poll(fds, inotify_fd_ >= 0 ? 2 : 1, timeout_ms);
    if (n < 0 && errno != EINTR) {
      log::Warn("credential watcher poll failed", {{"error", strerror(errno)}});
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (n > 0 && (fds[0].revents & POLLIN) != 0) return;

    if (n > 0 && inotify_fd_ >= 0 && (fds[1].revents & POLLIN) != 0) {
      bool relevant = false;
      while (true) {
        const ssize_t got = ::read(inotify_fd_, buffer, sizeof(buffer));
        if (got <= 0) break;  // EAGAIN: drained
        for (ssize_t off = 0; off < got;) {
          const auto* event = reinterpret_cast<const struct inotify_event*>(buffer + off);
          off += static_cast<ssize_t>(sizeof(struct inotify_event) + event->len);
          if ((event->mask & IN_IGNORED) != 0) {
            // Our own inotify_rm_watch, or a watched directory that went away (its
            // IN_DELETE_SELF already counts). Only the root's loss matters here.
            absl::MutexLock lock(&reload_mu_);
            if (event->wd == root_wd_) {
              root_wd_ = -1;
              relevant = true;
            }
            continue;
          }
          relevant = true;  // includes IN_Q_OVERFLOW: events were lost, re-read all
        }
      }
      // Debounce from the first event, not the last, so a steady trickle of
      // events cannot postpone the reload forever.
      if (relevant && pending == kNever) pending = Clock::now() + debounce;
    }

    const Clock::time_point now = Clock::now();
    const bool due = now >= pending || (periodic && now >= last_reload + interval) ||
                     (root_unwatched && now >= last_reload + kRootRetry);
    if (!due) continue;
    pending = kNever;
    bool settled;
    {
      absl::MutexLock lock(&reload_mu_);
      settled = Reload();
    }
    last_reload = Clock::now();
    if (!settled) pending = last_reload + std::max(debounce, std::chrono::milliseconds(10));
  }
}

}  // namespace ktp::upstream
