# Writes the demo page (IN) into a C++ source (OUT) as one raw string literal.
file(READ ${IN} page)
string(FIND "${page}" ")demo_page\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw string's closing delimiter")
endif()
file(WRITE ${OUT} "// Generated from server/demo/index.html by server/demo/embed.cmake.\n"
  "#include \"server/demo_page.h\"\n\n"
  "namespace typeahead::server {\n\n"
  "const std::string_view kDemoPage = R\"demo_page(${page})demo_page\";\n\n"
  "}  // namespace typeahead::server\n")
