#include "storage/huge_pages.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace typeahead::storage {
namespace {

// The kernel's transparent huge page mode: "always", "madvise" or "never".
std::string ThpMode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(f, line);
  size_t open = line.find('['), close = line.find(']');
  if (open == std::string::npos || close == std::string::npos) return "never";
  return line.substr(open + 1, close - open - 1);
}

// AnonHugePages, in kB, of the mapping that holds p (from /proc/self/smaps).
long HugeKbAt(const void* p) {
  uintptr_t addr = reinterpret_cast<uintptr_t>(p);
  std::ifstream f("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(f, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
      inside = lo <= addr && addr < hi;
      continue;
    }
    if (inside && line.rfind("AnonHugePages:", 0) == 0) return std::stol(line.substr(14));
  }
  return -1;
}

TEST_CASE("ReserveOnHugePages keeps the elements and grows the capacity") {
  std::vector<uint32_t> small = {1, 2, 3};
  ReserveOnHugePages(small, 100);
  CHECK(small.capacity() >= 100);
  CHECK(small == std::vector<uint32_t>{1, 2, 3});

  std::vector<uint32_t> big(1000);
  for (uint32_t i = 0; i < big.size(); ++i) big[i] = i * 7;
  ReserveOnHugePages(big, 3 * kHugePageSize / sizeof(uint32_t));
  CHECK(big.capacity() >= 3 * kHugePageSize / sizeof(uint32_t));
  REQUIRE(big.size() == 1000);
  for (uint32_t i = 0; i < big.size(); ++i) CHECK(big[i] == i * 7);

  std::string bytes = "labels";
  ReserveOnHugePages(bytes, 3 * kHugePageSize);
  CHECK(bytes.capacity() >= 3 * kHugePageSize);
  CHECK(bytes == "labels");

  size_t before = big.capacity();
  ReserveOnHugePages(big, 10);  // never shrinks
  CHECK(big.capacity() == before);
}

TEST_CASE("AdviseHugePages needs a whole huge page") {
  alignas(64) static char tiny[4096];
  CHECK_FALSE(AdviseHugePages(tiny, sizeof tiny));
}

TEST_CASE("A big array grown by ReserveOnHugePages is faulted in huge pages") {
  std::string mode = ThpMode();
  if (mode == "never") {
    // tests/CMakeLists.txt reports this test as skipped on this line.
    MESSAGE("SKIPPED: transparent huge pages are off on this machine");
    return;
  }
  std::vector<uint64_t> v;
  ReserveOnHugePages(v, 8 * kHugePageSize / sizeof(uint64_t));
  v.resize(v.capacity(), 1);  // touches every page
  // The advice splits the mapping: look where the first whole huge page starts.
  uintptr_t first =
      (reinterpret_cast<uintptr_t>(v.data()) + kHugePageSize - 1) & ~(kHugePageSize - 1);
  long kb = HugeKbAt(reinterpret_cast<const void*>(first));
  // In "madvise" mode only the advice gives huge pages; a plain reserve gets none.
  CHECK(kb >= static_cast<long>(kHugePageSize / 1024));
}

}  // namespace
}  // namespace typeahead::storage
