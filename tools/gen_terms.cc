// gen-terms N [--seed S] [--format F] [--key K] [--dict D] [--records PERCENT] [--sha SHA]
//           [--max-prefix M] [--typo 1 [--fuzzy D]] [--blend KEY:WEIGHT] [--withscores 1]
//
// Data (N unique English-like terms with Zipf(s=1) frequencies, the same terms for the same
// seed), as RESP commands for `redis-cli --pipe` or loadgen:
//   acincrby  ACINCRBY K term freq          (typeahead)
//   hincrby   HINCRBY K term freq           (a Redis hash: counts only, no top-k)
//   sugadd    FT.SUGADD K term freq INCR    (RediSearch suggestions)
//   zload     EVALSHA SHA 0 term freq       (plain Redis: a sorted set per prefix, see
//                                            scripts/bench)
//   lines     "term freq" lines
// Workloads (N operations over the first D terms of the same dictionary, D defaults to N;
// terms are drawn by their Zipf frequency, prefixes model typing: length 1..M (6 unless
// --max-prefix says otherwise) of a drawn term; with --records P, P percent of the operations
// are records and the rest queries):
//   typeahead   ACRECORD K term / ACTOPK K prefix 10
//   redis-hash  HINCRBY K term 1 / (no query: records only)
//   redis-zset  EVALSHA SHA 0 term 1 / ZRANGE p:prefix 0 9 REV
//   redisearch  FT.SUGADD K term 1 INCR / FT.SUGGET K prefix MAX 10
//   get         GET K (the ceiling for any one-key command)
//   prefixes    typing prefixes, one per line
// --typo 1: prefixes of 3..M letters with one random edit (a letter substituted, inserted or
// deleted, or two adjacent letters swapped), what a user with a typo types; --fuzzy D then
// makes the queries ACTOPK K prefix 10 FUZZY D and FT.SUGGET K prefix MAX 10 FUZZY.
// --blend KEY:WEIGHT makes them ACTOPK K prefix 10 BLEND KEY WEIGHT (split at the last colon),
// the same prefixes as without it for the same seed. --withscores 1 makes the plain ACTOPK
// queries ACTOPK K prefix 10 WITHSCORES.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tools/term_generator.h"

namespace {

void Resp(std::string* out, std::initializer_list<std::string_view> args) {
  *out += "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args) {
    *out += "$" + std::to_string(a.size()) + "\r\n";
    out->append(a);
    *out += "\r\n";
  }
}

void Drain(std::string* out, bool force) {
  if (force || out->size() > (1 << 20)) {
    fwrite(out->data(), 1, out->size(), stdout);
    out->clear();
  }
}

// One random edit of s (not empty): a letter substituted, inserted or deleted,
// or two adjacent different letters swapped.
std::string Typo(std::string s, std::mt19937_64& rng) {
  auto letter = [&] { return static_cast<char>('a' + rng() % 26); };
  size_t at = rng() % s.size();
  switch (rng() % (s.size() >= 2 ? 4 : 2)) {  // one letter: no deletion, no swap
    case 0: {
      char c = letter();
      while (c == s[at]) c = letter();
      s[at] = c;
      break;
    }
    case 1:
      s.insert(s.begin() + static_cast<std::ptrdiff_t>(rng() % (s.size() + 1)), letter());
      break;
    case 2:
      s.erase(at, 1);
      break;
    default:
      at = rng() % (s.size() - 1);
      if (s[at] == s[at + 1]) return Typo(std::move(s), rng);
      std::swap(s[at], s[at + 1]);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: gen-terms N [--seed S] [--format F] [--key K] [--dict D] "
                 "[--records PERCENT] [--sha SHA] [--max-prefix M] (formats: see the source's "
                 "first lines)\n");
    return 1;
  }
  uint64_t n = std::strtoull(argv[1], nullptr, 10);
  uint64_t seed = 1, dict = n, records = 100, max_prefix = 6, typo = 0, with_scores = 0;
  std::string fuzzy, blend_key, blend_weight;
  std::string format = "acincrby", key = "terms", sha;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    if (a == "--seed") {
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--format") {
      format = argv[i + 1];
    } else if (a == "--key") {
      key = argv[i + 1];
    } else if (a == "--dict") {
      dict = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--records") {
      records = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--sha") {
      sha = argv[i + 1];
    } else if (a == "--typo") {
      typo = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--fuzzy") {
      fuzzy = argv[i + 1];
    } else if (a == "--blend") {
      std::string_view v = argv[i + 1];
      size_t colon = v.rfind(':');
      if (colon == std::string_view::npos) {
        std::fprintf(stderr, "gen-terms: --blend wants KEY:WEIGHT\n");
        return 1;
      }
      blend_key = v.substr(0, colon);
      blend_weight = v.substr(colon + 1);
    } else if (a == "--withscores") {
      with_scores = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--max-prefix") {
      max_prefix = std::max<uint64_t>(1, std::strtoull(argv[i + 1], nullptr, 10));
    } else {
      std::fprintf(stderr, "gen-terms: unknown option %s\n", argv[i]);
      return 1;
    }
  }
  typeahead::tools::TermGenerator gen(seed);
  std::string out;
  bool data_format = format == "acincrby" || format == "hincrby" || format == "sugadd" ||
                     format == "zload" || format == "lines";
  if (data_format) {
    for (uint64_t i = 1; i <= n; ++i) {
      std::string term = gen.Next();
      std::string freq = std::to_string(typeahead::tools::TermGenerator::ZipfFrequency(i, n));
      if (format == "acincrby") {
        Resp(&out, {"ACINCRBY", key, term, freq});
      } else if (format == "hincrby") {
        Resp(&out, {"HINCRBY", key, term, freq});
      } else if (format == "sugadd") {
        Resp(&out, {"FT.SUGADD", key, term, freq, "INCR"});
      } else if (format == "zload") {
        Resp(&out, {"EVALSHA", sha, "0", term, freq});
      } else {
        out += term + " " + freq + "\n";
      }
      Drain(&out, false);
    }
    Drain(&out, true);
    return 0;
  }
  if (format == "get") {
    for (uint64_t i = 0; i < n; ++i) Resp(&out, {"GET", key});
    Drain(&out, true);
    return 0;
  }
  // Draws come from the dictionary's first terms (beyond a million the Zipf tail is rarely
  // drawn, and a pool that size keeps the generator quick).
  uint64_t pool_size = std::max<uint64_t>(1, std::min<uint64_t>(dict, 1000000));
  std::vector<std::string> pool;
  pool.reserve(pool_size);
  for (uint64_t i = 0; i < pool_size; ++i) pool.push_back(gen.Next());
  std::vector<double> weights;
  for (uint64_t r = 1; r <= pool_size; ++r) weights.push_back(1.0 / static_cast<double>(r));
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  std::mt19937_64 rng(seed + 1);
  for (uint64_t i = 0; i < n; ++i) {
    const std::string& t = pool[pick(rng)];
    bool record = rng() % 100 < records;
    std::string prefix = t.substr(0, 1 + rng() % std::min<size_t>(max_prefix, t.size()));
    if (typo != 0) {
      size_t longest = std::min<size_t>(std::max<uint64_t>(max_prefix, 3), t.size());
      size_t shortest = std::min<size_t>(3, longest);
      prefix = Typo(t.substr(0, shortest + rng() % (longest - shortest + 1)), rng);
    }
    if (format == "prefixes") {
      out += prefix + "\n";
    } else if (format == "typeahead") {
      if (record) {
        Resp(&out, {"ACRECORD", key, t});
      } else if (!fuzzy.empty()) {
        Resp(&out, {"ACTOPK", key, prefix, "10", "FUZZY", fuzzy});
      } else if (!blend_key.empty()) {
        Resp(&out, {"ACTOPK", key, prefix, "10", "BLEND", blend_key, blend_weight});
      } else if (with_scores != 0) {
        Resp(&out, {"ACTOPK", key, prefix, "10", "WITHSCORES"});
      } else {
        Resp(&out, {"ACTOPK", key, prefix, "10"});
      }
    } else if (format == "redis-hash") {
      Resp(&out, {"HINCRBY", key, t, "1"});
    } else if (format == "redis-zset") {
      if (record) {
        Resp(&out, {"EVALSHA", sha, "0", t, "1"});
      } else {
        Resp(&out, {"ZRANGE", "p:" + prefix, "0", "9", "REV"});
      }
    } else if (format == "redisearch") {
      if (record) {
        Resp(&out, {"FT.SUGADD", key, t, "1", "INCR"});
      } else if (!fuzzy.empty()) {
        Resp(&out, {"FT.SUGGET", key, prefix, "MAX", "10", "FUZZY"});
      } else {
        Resp(&out, {"FT.SUGGET", key, prefix, "MAX", "10"});
      }
    } else {
      std::fprintf(stderr, "gen-terms: unknown format %s\n", format.c_str());
      return 1;
    }
    Drain(&out, false);
  }
  Drain(&out, true);
  return 0;
}
