// CredentialVault: named upstream credential sets loaded from a directory laid out
// like a Kubernetes Secret volume (also the Vault Agent injector and the Secrets
// Store CSI driver), hot-reloaded on change (inotify, plus a periodic re-read),
// keeping the last good version of a set when a new one is half-written or
// invalid. Owns the on-disk layout rules, the reload loop, per-set generations
// and the readiness signal (has_any / Subscribe). Never logs or returns secrets.
#ifndef KTP_UPSTREAM_CREDENTIAL_VAULT_H_
#define KTP_UPSTREAM_CREDENTIAL_VAULT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "upstream/credentials.h"

namespace ktp::upstream {

// Reports one reload outcome for one set. Called on the vault's watcher thread
// (and, for the initial load, on the thread calling Create), one call at a time:
//  - ok=true:  the set was loaded for the first time or its content changed;
//              `generation` is its new generation (1, 2, ...). Re-reading
//              unchanged content reports nothing.
//  - ok=true, generation=0: the set was removed (its directory is gone).
//  - ok=false: the set is invalid or half-written; `generation` is the one still
//              served (0 when the set was never loaded). Repeats on every attempt.
// Must be quick and must not call Subscribe/Unsubscribe; Current() is fine.
using CredentialReloadCallback =
    std::function<void(bool ok, const std::string& set, int64_t generation)>;

struct CredentialVaultOptions {
  // Either holds `username`, `password`, `api_key` (one set named "default"), or
  // one subdirectory per set (`<root>/<set>/username` ...). Hidden entries
  // (`..data`, `..2024_01_01_...`) are skipped; symlinks are followed.
  std::string root;
  // Watch the directories with inotify. Off: only the periodic re-read (tests,
  // or file systems without inotify support).
  bool use_inotify = true;
  // Wait after the first change event before reloading, so a writer that touches
  // several entries (the kubelet does) is read once, finished.
  absl::Duration debounce = absl::Milliseconds(100);
  // Re-read everything this often even without events (some CSI drivers and
  // network file systems emit none). Zero or negative disables it.
  absl::Duration refresh_interval = absl::Seconds(60);
  CredentialReloadCallback on_reload;
};

class CredentialVault final : public CredentialSource {
 public:
  // Name of the set in the single-set layout, and the one Current("") prefers.
  static constexpr const char* kDefaultSet = "default";

  // Loads every set once (synchronously; invalid or missing sets only leave the
  // vault without them, see has_any()) and starts the watcher thread.
  // INVALID_ARGUMENT when `root` is empty, FAILED_PRECONDITION when it is not a
  // directory (a typo should fail at startup, not wait forever).
  static absl::StatusOr<std::shared_ptr<CredentialVault>> Create(CredentialVaultOptions options);
  // Stops and joins the watcher thread. Credentials handed out stay valid. The
  // last reference must not be dropped from a callback or listener.
  ~CredentialVault() override;
  CredentialVault(const CredentialVault&) = delete;
  CredentialVault& operator=(const CredentialVault&) = delete;

  // "" → the set "default", or the only set when there is exactly one; otherwise
  // the named set. UNAVAILABLE / CREDENTIALS_UNAVAILABLE when it is not loaded.
  absl::StatusOr<std::shared_ptr<const Credentials>> Current(
      absl::string_view set_name) const override;

  // True once at least one valid set is loaded (the gateway's readiness).
  bool has_any() const;
  // Generation of a loaded set (see CredentialReloadCallback), 0 when not loaded.
  int64_t generation(absl::string_view set_name) const;
  // Names of the loaded sets, sorted.
  std::vector<std::string> set_names() const;

  // Calls `listener(has_any())` now and after every change of the loaded sets
  // (on the watcher thread), serialized. Returns an id for Unsubscribe.
  int Subscribe(std::function<void(bool has_any)> listener);
  // Removes a listener; once it returns the listener is not running and will not
  // run again. Must not be called from a listener.
  void Unsubscribe(int id);

  // Reloads every set now (normally the watcher does this). For tests and tools.
  void ReloadNow();

 private:
  struct Entry {
    std::shared_ptr<const Credentials> credentials;
    int64_t generation = 0;
  };
  // Immutable once published; readers copy the pointer and look up without locks.
  struct Snapshot {
    std::map<std::string, Entry, std::less<>> sets;
    std::shared_ptr<const Credentials> default_set;  // what Current("") returns
  };

  explicit CredentialVault(CredentialVaultOptions options);
  void Run();
  // Loads all sets from scratch and publishes a new snapshot if anything changed.
  // False when the directory kept changing while read (nothing published; retry).
  bool Reload() ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  // (Re)watches the root and `set_dirs` with inotify; drops watches no longer needed.
  void UpdateWatches(const std::vector<std::string>& set_dirs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  std::shared_ptr<const Snapshot> snapshot() const;
  void NotifyListeners();

  const CredentialVaultOptions options_;

  // The hot path: Current() holds snapshot_mu_ only to copy one shared_ptr. We
  // prefer this to std::atomic_load/atomic_store on a shared_ptr: libstdc++
  // implements those with a global pool of mutexes anyway (not lock-free), while
  // an absl::Mutex in reader mode costs the same one atomic RMW, is private to
  // this object, and lets the thread-safety analysis check the field.
  mutable absl::Mutex snapshot_mu_;
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(snapshot_mu_);

  // Serializes reloads (watcher thread vs. ReloadNow) and guards reload state.
  absl::Mutex reload_mu_;
  // Last failure reason per set, so a set that stays broken warns once per reason.
  std::map<std::string, std::string> last_error_ ABSL_GUARDED_BY(reload_mu_);
  // Last generation issued per set name; survives removal so generations never repeat.
  std::map<std::string, int64_t> generations_ ABSL_GUARDED_BY(reload_mu_);
  int inotify_fd_ = -1;  // -1: periodic re-read only
  int root_wd_ ABSL_GUARDED_BY(reload_mu_) = -1;
  std::map<int, std::string> set_wds_ ABSL_GUARDED_BY(reload_mu_);  // watch → set directory
  int stop_fd_ = -1;  // eventfd that wakes the watcher to stop

  absl::Mutex listeners_mu_;
  std::map<int, std::function<void(bool)>> listeners_ ABSL_GUARDED_BY(listeners_mu_);
  int next_listener_id_ ABSL_GUARDED_BY(listeners_mu_) = 1;

  std::thread thread_;
};

}  // namespace ktp::upstream

#endif  // KTP_UPSTREAM_CREDENTIAL_VAULT_H_
