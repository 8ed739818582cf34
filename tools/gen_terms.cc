// gen-terms N [--seed S] [--format acincrby|hincrby|sugadd|lines|prefixes] [--key K]
//
// Writes N unique English-like terms with Zipf(s=1) frequencies to stdout, as RESP commands
// for `redis-cli --pipe` (acincrby for typeahead, hincrby for a Redis hash, sugadd for
// RediSearch's FT.SUGADD ... INCR) or as "term freq" lines. `prefixes` instead writes N
// typing prefixes (length 1..6 of terms drawn by frequency), one per line.
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
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: gen-terms N [--seed S] [--format acincrby|hincrby|sugadd|lines|"
                 "prefixes] [--key K]\n");
    return 1;
  }
  uint64_t n = std::strtoull(argv[1], nullptr, 10);
  uint64_t seed = 1;
  std::string format = "acincrby", key = "terms";
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seed"))
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--format"))
      format = argv[i + 1];
    else if (!std::strcmp(argv[i], "--key"))
      key = argv[i + 1];
  }
  typeahead::tools::TermGenerator gen(seed);
  std::string out;
  if (format == "prefixes") {
    // Terms of a smaller dictionary drawn by Zipf rank, cut at a typing position.
    uint64_t pool_size = std::min<uint64_t>(n, 100000);
    std::vector<std::string> pool;
    for (uint64_t i = 0; i < pool_size; ++i) pool.push_back(gen.Next());
    std::vector<double> weights;
    for (uint64_t r = 1; r <= pool_size; ++r) weights.push_back(1.0 / static_cast<double>(r));
    std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
    std::mt19937_64 rng(seed + 1);
    for (uint64_t i = 0; i < n; ++i) {
      const std::string& t = pool[pick(rng)];
      size_t len = 1 + rng() % std::min<size_t>(6, t.size());
      out.append(t, 0, len);
      out.push_back('\n');
      if (out.size() > (1 << 20)) {
        fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    }
  } else {
    for (uint64_t i = 1; i <= n; ++i) {
      std::string term = gen.Next();
      std::string freq = std::to_string(typeahead::tools::TermGenerator::ZipfFrequency(i, n));
      if (format == "acincrby")
        Resp(&out, {"ACINCRBY", key, term, freq});
      else if (format == "hincrby")
        Resp(&out, {"HINCRBY", key, term, freq});
      else if (format == "sugadd")
        Resp(&out, {"FT.SUGADD", key, term, freq, "INCR"});
      else
        out += term + " " + freq + "\n";
      if (out.size() > (1 << 20)) {
        fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    }
  }
  fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
