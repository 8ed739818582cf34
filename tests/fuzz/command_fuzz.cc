// libFuzzer target for the command layer: the input is a client's byte stream, parsed by the
// real RESP parser; the autocomplete commands run through their real shard handlers on a real
// (unstarted) Shard, and whole-key commands through the partition's mutators, as their
// handlers do. A brute-force oracle (tests/storage/oracle.h) predicts every ACRECORD,
// ACINCRBY, ACSCORE, ACTOPK and ACCARD reply byte for byte, errors included, and at the end
// every dictionary must rank exactly as the oracle's. Small limits (max-term-length 24,
// max-topk 40 against caches of 16) put the edges within the fuzzer's reach.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "protocol/ascii.h"
#include "protocol/number.h"
#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"
#include "server/command_table.h"
#include "server/ranked_read.h"
#include "server/shard.h"
#include "storage/routing.h"
#include "tests/storage/oracle.h"

namespace {

namespace ta = typeahead;
using ta::protocol::ReplyBuilder;
using ta::protocol::RespParser;
using ta::test::Oracle;

void Check(bool ok) {
  if (!ok) abort();
}

ta::server::Shard& TheShard() {
  static ta::server::Shard* shard = [] {
    ta::server::Config config;
    config.threads = 1;
    config.max_term_length = 24;
    config.max_topk = 40;
    return new ta::server::Shard(0, config);
  }();
  return *shard;
}

struct Model {
  std::map<std::string, Oracle> keys;
  Oracle* Find(const std::string& key) {
    auto it = keys.find(key);
    return it == keys.end() ? nullptr : &it->second;
  }
  void DropEmpty(const std::string& key) {
    auto it = keys.find(key);
    if (it != keys.end() && it->second.size() == 0) keys.erase(it);
  }
};

std::string Expect(auto fill) {
  std::string out;
  ReplyBuilder r(&out);
  fill(r);
  return out;
}

bool ValidTerm(const std::string& t) {
  return !t.empty() && static_cast<int64_t>(t.size()) <= TheShard().config().max_term_length;
}

void Run(Model& model, const std::vector<std::string>& args) {
  ta::server::Shard& shard = TheShard();
  ta::storage::Partition& part = shard.partition();
  const auto* spec = ta::server::CommandTable::Get().Find(args[0]);
  if (spec == nullptr) return;
  if (!spec->ArityOk(args.size())) return;
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string name = ta::ToLower(args[0]);
  const std::string& key = args[1];
  if (spec->on_shard != nullptr) {
    std::string got;
    ReplyBuilder r(&got);
    ta::server::RunOnShard(*spec, shard, views, r);
    Oracle* dict = model.Find(key);
    if (name == "acrecord" || name == "acincrby") {
      const std::string& term = args[2];
      int64_t delta = 1;
      if (!ValidTerm(term)) {
        Check(got[0] == '-');
        return;
      }
      if (name == "acincrby" && !ta::protocol::ParseInt64(args[3], &delta)) {
        Check(got == "-ERR value is not an integer or out of range\r\n");
        return;
      }
      int64_t now = dict ? dict->Score(term) : 0, next;
      if (__builtin_add_overflow(now, delta, &next)) {
        Check(got == "-ERR increment or decrement would overflow\r\n");
        return;
      }
      int64_t result = model.keys[key].IncrBy(term, delta);
      model.DropEmpty(key);
      Check(got == Expect([&](ReplyBuilder& e) { e.Integer(result); }));
    } else if (name == "acscore") {
      if (!ValidTerm(args[2])) return Check(got[0] == '-');
      int64_t score = dict ? dict->Score(args[2]) : 0;
      Check(got == Expect([&](ReplyBuilder& e) {
              if (score > 0)
                e.Integer(score);
              else
                e.Null();
            }));
    } else if (name == "actopk") {
      int64_t k;
      bool with_scores = false, syntax = true;
      for (size_t i = 4; i < args.size(); ++i) {
        if (ta::EqualsIgnoreCase(args[i], "WITHSCORES"))
          with_scores = true;
        else
          syntax = false;
      }
      if (!ta::protocol::ParseInt64(args[3], &k) || k < 0 || !syntax) {
        return Check(got[0] == '-');
      }
      size_t limit = static_cast<size_t>(std::min<int64_t>(k, shard.config().max_topk));
      auto want = dict ? dict->TopK(args[2], limit) : std::vector<ta::storage::ScoredTerm>{};
      Check(got == Expect([&](ReplyBuilder& e) {
              e.Array(want.size() * (with_scores ? 2 : 1));
              for (const auto& s : want) {
                e.Bulk(s.term);
                if (with_scores) e.Integer(s.freq);
              }
            }));
    }
    return;
  }
  // Whole-key commands: the partition's mutators, as their handlers call them on each shard.
  if (name == "acdel") {
    for (size_t i = 2; i < args.size(); ++i) {
      if (!ValidTerm(args[i])) return;  // the handler refuses the whole command
    }
    for (size_t i = 2; i < args.size(); ++i) {
      Oracle* dict = model.Find(key);
      bool had = dict != nullptr && dict->Erase(args[i]);
      Check(part.EraseTerm(key, args[i]) == had);
      model.DropEmpty(key);
    }
  } else if (name == "del" || name == "unlink") {
    for (size_t i = 1; i < args.size(); ++i) {
      Check(part.Erase(args[i]) == (model.keys.erase(args[i]) == 1));
    }
  } else if (name == "rename") {
    Oracle* src = model.Find(key);
    Check(part.Rename(key, args[2]) == (src != nullptr));
    if (src != nullptr && key != args[2]) {
      model.keys[args[2]] = *src;
      model.keys.erase(key);
    }
  } else if (name == "flushall" || name == "flushdb") {
    part.Clear();
    model.keys.clear();
  } else if (name == "accard") {
    const auto* trie = part.Find(key);
    Oracle* dict = model.Find(key);
    Check((trie ? trie->size() : 0) == (dict ? dict->size() : 0));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  TheShard().partition().Clear();
  Model model;
  RespParser parser;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty()) {
    if (parser.Parse(rest) != RespParser::Status::kCommand) break;
    std::vector<std::string> args(parser.args().begin(), parser.args().end());
    rest.remove_prefix(parser.consumed());
    if (!args.empty()) Run(model, args);
  }
  // Every dictionary ranks exactly as the oracle's, and no other key exists.
  const auto& keys = TheShard().partition().keys();
  Check(keys.size() == model.keys.size());
  for (const auto& [key, oracle] : model.keys) {
    const auto* trie = TheShard().partition().Find(key);
    Check(trie != nullptr && trie->size() == oracle.size());
    std::vector<ta::storage::ScoredTerm> got;
    trie->TopK("", oracle.size() + 1, &got);
    Check(got == oracle.TopK("", oracle.size() + 1));
  }
  return 0;
}
