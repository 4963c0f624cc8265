// ktp-synth's random source: a seeded std::mt19937_64 with hand-rolled
// uniform helpers, so a (seed, index, level) gives the same bytes on every
// standard library (std::*_distribution is implementation-defined).
#ifndef KTP_SYNTH_RANDOM_H_
#define KTP_SYNTH_RANDOM_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace ktp::synth {

// splitmix64 finaliser: decorrelates nearby seeds (index 1 vs 2).
inline uint64_t MixSeed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  Rng(uint64_t seed, uint64_t stream, uint64_t salt)
      : engine_(MixSeed(MixSeed(MixSeed(seed) ^ stream) ^ salt)) {}

  uint64_t Next() { return engine_(); }
  // Uniform integer in [lo, hi] (inclusive). The modulo bias is negligible for
  // the small ranges used here.
  int Int(int lo, int hi) {
    if (hi <= lo) return lo;
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int>(engine_() % span);
  }
  // Uniform double in [0, 1).
  double Unit() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }
  double Real(double lo, double hi) { return lo + (hi - lo) * Unit(); }
  bool Chance(double p) { return Unit() < p; }
  // Either sign, magnitude in [lo, hi].
  double SignedReal(double lo, double hi) { return Chance(0.5) ? Real(lo, hi) : -Real(lo, hi); }
  // Approximately normal (sum of 4 uniforms), mean 0, sd 1; cheap and portable.
  double Gauss() { return (Unit() + Unit() + Unit() + Unit() - 2.0) * 1.7320508075688772; }

  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }
  // Index chosen with probability proportional to weights[i].
  size_t Weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double r = Unit() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace ktp::synth

#endif  // KTP_SYNTH_RANDOM_H_
