#include "base/endpoint.h"

#include <fmt/format.h>

namespace typeahead {

std::string FormatEndpoint(const boost::asio::ip::tcp::endpoint& ep) {
  auto a = ep.address();
  if (a.is_v6()) return fmt::format("[{}]:{}", a.to_string(), ep.port());
  return fmt::format("{}:{}", a.to_string(), ep.port());
}

}  // namespace typeahead
