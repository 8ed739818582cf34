// Decay: what makes a dictionary's scores fade with time (ACDECAY). A term's current score is
// the sum of its increments, each times 2^(-(now - t) / half-life), t the increment's event
// time. The trie stores, for each term, the same sum scaled by 2^((now - epoch) / half-life):
// sum of delta x 2^((t - epoch) / half-life), one positive double per term, against an epoch
// the whole dictionary shares. Every term's score then decays by the same factor as time
// passes, so the stored values rank the terms exactly as their current scores do, and nothing
// is rewritten while time passes: a write multiplies its increment by its growth factor, a
// read divides by the factor of now.
//
// The trie ranks int64 frequencies; a stored double goes in as its bit pattern
// (EncodeStored), since positive finite doubles order as their bits do read as int64. Every
// stored value is a normal double (>= DBL_MIN): one that would fall below is no score at all,
// so the term goes. That keeps a rebase exact: when a write's growth exponent passes
// kRebaseExponent, every stored value is divided by 2^m for m whole half-lives (the shift
// grows by m), an exact operation on normal doubles that keeps every order and every tie.
//
// Everything here is pure arithmetic on the values a log record carries (event times,
// half-lives, epochs), so a replay and a replica compute the same bits as the primary did.
#pragma once

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace typeahead::storage {

// No event time given (a record of a key that does not decay).
inline constexpr int64_t kNoTime = INT64_MIN;
// Event times are unix milliseconds from 1970 to the end of 9999; half-lives from a
// millisecond to 10^10 seconds (three centuries).
inline constexpr int64_t kMaxEventTime = 253402300799999;
inline constexpr double kMaxHalfLifeSeconds = 1e10;
// A write whose growth exponent (event time - epoch) / half-life exceeds this rebases first.
// Stored values stay below 2^(63 + kRebaseExponent + 1), far from DBL_MAX's 2^1024.
inline constexpr double kRebaseExponent = 512;

struct Decay {
  int64_t half_life_ms = 0;  // 0: the dictionary counts all-time integer frequencies
  int64_t epoch_ms = 0;      // when the key began to decay with this half-life
  int64_t shift = 0;         // whole half-lives rebases have divided out of stored values
  bool on() const { return half_life_ms > 0; }
  bool operator==(const Decay&) const = default;

  // (t - epoch) / half-life: how many half-lives t_ms lies past the epoch.
  double Exponent(int64_t t_ms) const {
    return static_cast<double>(t_ms - epoch_ms) / static_cast<double>(half_life_ms);
  }
  // What ScoreAt and Grown multiply by at one time t_ms, computed once: the fraction of
  // Exponent(t_ms) and the whole half-lives apart, so two partitions of one key that rebased
  // differently (their shifts differ) compute scores that differ exactly by the powers of two
  // their stored values do: equal scores stay equal across partitions, and a merge of their
  // answers ranks exactly. A caller with many values at one time (a pipeline's writes within
  // a millisecond, a walk) keeps one Scale for all.
  struct Scale {
    double grow = 1, shrink = 1;  // 2^(e - whole) and 2^(whole - e), e = Exponent(t_ms)
    int up = 0, down = 0;         // whole - shift and shift - whole, clamped for ldexp
    double Score(double stored) const { return std::ldexp(stored * shrink, down); }
    double Grown(double delta) const { return std::ldexp(delta * grow, up); }
  };
  Scale ScaleAt(int64_t t_ms) const {
    double e = Exponent(t_ms), whole = std::floor(e);
    double d = static_cast<double>(shift);
    return {std::exp2(e - whole), std::exp2(whole - e), Clamp(whole - d), Clamp(d - whole)};
  }
  // A stored value as the score it is at t_ms: stored x 2^(shift - Exponent(t_ms)), as
  // ScaleAt(t_ms).Score(stored) computes it, bit for bit, with one exp2 instead of two.
  double ScoreAt(double stored, int64_t t_ms) const {
    double e = Exponent(t_ms), whole = std::floor(e);
    return std::ldexp(stored * std::exp2(whole - e), Clamp(static_cast<double>(shift) - whole));
  }
  // An increment made at t_ms as what it adds to the stored value: delta x 2^(Exponent - shift),
  // as ScaleAt(t_ms).Grown(delta).
  double Grown(double delta, int64_t t_ms) const {
    double e = Exponent(t_ms), whole = std::floor(e);
    return std::ldexp(delta * std::exp2(e - whole), Clamp(whole - static_cast<double>(shift)));
  }
  // Whole half-lives a write at t_ms lies past the stored scale's origin; > kRebaseExponent:
  // rebase by that many first.
  int64_t RebaseBy(int64_t t_ms) const {
    double e = std::floor(Exponent(t_ms)) - static_cast<double>(shift);
    return e > kRebaseExponent ? static_cast<int64_t>(e) : 0;
  }

 private:
  // ldexp's exponent: beyond +-4096 every double over- or underflows alike.
  static int Clamp(double e) { return static_cast<int>(std::clamp(e, -4096.0, 4096.0)); }
};

// Now as unix milliseconds: the event time of a write that gives none, and the time reads
// score at unless they name one.
inline int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t EncodeStored(double v) {
  int64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
inline double DecodeStored(int64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
// A stored value (bits) under shift `from` re-expressed under shift `to` >= from: the same
// value divided by 2^(to - from), exact unless it falls below the normal doubles (then a
// subnormal or 0, still ordered, as a rebase to `to` would have dropped it). Partitions of one
// key rebase apart, so a merge of their answers first brings them to the largest shift.
inline int64_t StoredAt(int64_t bits, int64_t from, int64_t to) {
  if (from == to) return bits;
  int down = static_cast<int>(std::min<int64_t>(to - from, 4096));
  return EncodeStored(std::ldexp(DecodeStored(bits), -down));
}

// Whether v may be stored: a normal positive double (anything else removes the term).
inline bool Storable(double v) { return v >= DBL_MIN && v <= DBL_MAX; }

// An event time (AT unix-ms): false unless an integer in [0, kMaxEventTime].
bool ParseEventTime(std::string_view s, int64_t* ms);
// A half-life in seconds (a decimal, 0 for none) to milliseconds: false unless 0 or within
// [0.001, kMaxHalfLifeSeconds] once rounded to the millisecond.
bool ParseHalfLife(std::string_view seconds, int64_t* ms);
// ms as seconds with three decimals ("1.500"), which ParseHalfLife reads back exactly; writes
// at most 24 bytes to out and returns their count.
size_t FormatHalfLife(int64_t ms, char* out);

}  // namespace typeahead::storage
