// OpResult<T> carries either a value or an OpStatus out of partition work. One function on the
// server side (server/errors.h) turns a status into Redis's error text, so storage never
// formats replies.
#pragma once

#include <utility>
#include <variant>

namespace typeahead::storage {

enum class OpStatus {
  kOk,
  kOverflow,     // increment or decrement would overflow int64
  kWrongType,    // the key holds another type
  kOutOfMemory,  // maxmemory reached
};

template <typename T>
class OpResult {
 public:
  OpResult() : v_(T{}) {}  // asio needs a default value for results crossing threads
  OpResult(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  OpResult(OpStatus status) : v_(status) {}    // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  OpStatus status() const { return ok() ? OpStatus::kOk : std::get<OpStatus>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& value() { return std::get<T>(v_); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, OpStatus> v_;
};

}  // namespace typeahead::storage
