// ktp-fake-upstream: the fake GLAIR KTP upstream as a standalone process, for the README quick
// start and manual runs. Owns flag parsing, identity overrides from JSON, JSON-line logging and
// signal handling; the contract itself lives in fake_upstream.cc.
//
//   ktp-fake-upstream [--listen HOST:PORT] [--identity-json FILE] [--delay-ms N]
//   env: FAKE_UPSTREAM_USERNAME, FAKE_UPSTREAM_PASSWORD, FAKE_UPSTREAM_API_KEY
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tests/support/fake_upstream.h"

namespace {

using ktp::testing::FakeUpstream;
using ktp::testing::RecordedRequest;
using ktp::testing::SyntheticIdentity;

constexpr char kUsage[] =
    "usage: ktp-fake-upstream [--listen HOST:PORT] [--identity-json FILE] [--delay-ms N]\n"
    "  --listen HOST:PORT   address to bind (default 127.0.0.1:8080; port 0 picks a free port)\n"
    "  --identity-json FILE JSON object of camelCase read fields overriding the synthetic identity\n"
    "  --delay-ms N         delay every response by N milliseconds\n"
    "  credentials from env FAKE_UPSTREAM_USERNAME, FAKE_UPSTREAM_PASSWORD, FAKE_UPSTREAM_API_KEY\n";

std::mutex g_stdout_mu;

// One JSON object per line on stdout; values go through rapidjson so paths are escaped.
void LogLine(std::initializer_list<std::pair<const char*, std::string>> strings, int status = -1) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  for (const auto& [key, value] : strings) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  if (status >= 0) {
    w.Key("status");
    w.Int(status);
  }
  w.EndObject();
  std::lock_guard<std::mutex> lock(g_stdout_mu);
  std::fwrite(sb.GetString(), 1, sb.GetSize(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void Fail(const std::string& message) {
  std::cerr << "ktp-fake-upstream: " << message << "\n";
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : fallback;
}

// "HOST:PORT" or "[V6]:PORT".
bool ParseListen(absl::string_view spec, std::string* host, int* port) {
  const size_t colon = spec.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  absl::string_view h = spec.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = 0;
  if (h.empty() || !absl::SimpleAtoi(spec.substr(colon + 1), &p) || p < 0 || p > 65535) {
    return false;
  }
  *host = std::string(h);
  *port = p;
  return true;
}

bool LoadIdentity(const std::string& path, SyntheticIdentity* identity) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Fail(absl::StrCat("cannot read --identity-json file ", path));
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    Fail(absl::StrCat(path, ": expected a JSON object of camelCase field values"));
    return false;
  }
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string key(it->name.GetString(), it->name.GetStringLength());
    std::string* field = identity->MutableField(key);
    if (field == nullptr) {
      Fail(absl::StrCat(path, ": unknown field \"", key, "\" (expected one of the 17 camelCase "
                              "read keys, e.g. nik, nama, tanggalLahir)"));
      return false;
    }
    if (!it->value.IsString()) {
      Fail(absl::StrCat(path, ": field \"", key, "\" must be a string"));
      return false;
    }
    field->assign(it->value.GetString(), it->value.GetStringLength());
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  FakeUpstream::Options options;
  options.port = 8080;
  SyntheticIdentity identity = SyntheticIdentity::Default();

  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string value;
    const auto take = [&](const char* flag) {
      const std::string prefix = absl::StrCat(flag, "=");
      if (arg.rfind(prefix, 0) == 0) {
        value = arg.substr(prefix.size());
        return true;
      }
      if (arg == flag && i + 1 < argc) {
        value = argv[++i];
        return true;
      }
      return false;
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (take("--listen")) {
      if (!ParseListen(value, &options.host, &options.port)) {
        Fail(absl::StrCat("bad --listen value \"", value, "\", expected HOST:PORT"));
        return 2;
      }
    } else if (take("--identity-json")) {
      if (!LoadIdentity(value, &identity)) return 2;
    } else if (take("--delay-ms")) {
      int ms = 0;
      if (!absl::SimpleAtoi(value, &ms) || ms < 0) {
        Fail(absl::StrCat("bad --delay-ms value \"", value, "\""));
        return 2;
      }
      options.default_delay = std::chrono::milliseconds(ms);
    } else {
      Fail(absl::StrCat("unknown or incomplete argument \"", arg, "\"\n", kUsage));
      return 2;
    }
  }

  options.username = EnvOr("FAKE_UPSTREAM_USERNAME", options.username);
  options.password = EnvOr("FAKE_UPSTREAM_PASSWORD", options.password);
  options.api_key = EnvOr("FAKE_UPSTREAM_API_KEY", options.api_key);
  // A long-running process must not keep every uploaded image in memory.
  options.max_recorded = 0;
  // Method, path and status only: never credentials, query values or bodies.
  options.on_request = [](const RecordedRequest& r) {
    LogLine({{"msg", "request"}, {"method", r.method}, {"path", r.path}}, r.response_status);
  };

  // Block the signals before any thread exists so that every thread inherits the mask and
  // sigwait() below is the only place they are delivered.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  FakeUpstream upstream(options);
  upstream.SetIdentity(identity);
  const absl::Status started = upstream.Start();
  if (!started.ok()) {
    Fail(std::string(started.message()));
    return 1;
  }
  LogLine({{"msg", "fake upstream listening"}, {"url", upstream.base_url()}});

  int sig = 0;
  sigwait(&signals, &sig);
  LogLine({{"msg", "fake upstream stopping"}, {"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  upstream.Stop();
  return 0;
}
