// How an endpoint is written wherever a client or replica address is shown or matched
// (CLIENT LIST addr/laddr, CLIENT KILL ADDR, INFO replication's peers): "1.2.3.4:6379" and
// "[::1]:6379", as Redis writes them. One definition, so a name one list shows matches in
// every other. Thread-safe.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace typeahead {

std::string FormatEndpoint(const boost::asio::ip::tcp::endpoint& ep);

}  // namespace typeahead
