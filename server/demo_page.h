// The demo page served at / (server/http_api.h): server/demo/index.html, compiled into the
// binary by CMake (server/CMakeLists.txt writes it into a generated demo_page.cc), so a
// fresh install needs no files beside the executable and the page fetches nothing from
// outside.
#pragma once

#include <string_view>

namespace typeahead::server {

extern const std::string_view kDemoPage;

}  // namespace typeahead::server
