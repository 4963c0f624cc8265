// Structured logging: one JSON object per line on stdout (or a sink tests install).
// Callers pass only operational fields (ids, codes, sizes, latencies): never image
// bytes, KTP field values, names, NIKs, credentials or tokens.
#ifndef KTP_TELEMETRY_LOG_H_
#define KTP_TELEMETRY_LOG_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace ktp::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// A field's value is either text or a number; both are written as JSON.
struct Value {
  Value(absl::string_view s) : text(s), is_number(false) {}  // NOLINT
  Value(const std::string& s) : text(s), is_number(false) {}  // NOLINT
  Value(const char* s) : text(s), is_number(false) {}  // NOLINT
  Value(long long n) : text(std::to_string(n)), is_number(true) {}  // NOLINT
  Value(long n) : text(std::to_string(n)), is_number(true) {}  // NOLINT
  Value(unsigned long n) : text(std::to_string(n)), is_number(true) {}  // NOLINT
  Value(int n) : text(std::to_string(n)), is_number(true) {}  // NOLINT
  Value(double d);  // NOLINT
  std::string text;
  bool is_number;
};
using Field = std::pair<absl::string_view, Value>;

// Parses "debug", "info", "warn" or "error".
bool ParseLevel(absl::string_view name, Level* level);
void SetLevel(Level level);
bool Enabled(Level level);

// Writes one line: {"time":..., "level":..., "msg":..., <fields>}.
void Write(Level level, absl::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(absl::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kDebug, m, f); }
inline void Info(absl::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(absl::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kWarn, m, f); }
inline void Error(absl::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kError, m, f); }

// Replaces the output (tests capture lines with it); nullptr restores stdout.
void SetSinkForTesting(std::function<void(absl::string_view line)> sink);

// Escapes `s` as the inside of a JSON string.
std::string JsonEscape(absl::string_view s);

}  // namespace ktp::log

#endif  // KTP_TELEMETRY_LOG_H_
