#include "protocol/number.h"

#include <doctest/doctest.h>

using typeahead::protocol::ParseInt64;

TEST_CASE("ParseInt64 accepts what Redis's string2ll accepts") {
  int64_t v;
  CHECK((ParseInt64("0", &v) && v == 0));
  CHECK((ParseInt64("-1", &v) && v == -1));
  CHECK((ParseInt64("9223372036854775807", &v) && v == INT64_MAX));
  CHECK((ParseInt64("-9223372036854775808", &v) && v == INT64_MIN));
  CHECK_FALSE(ParseInt64("9223372036854775808", &v));
  CHECK_FALSE(ParseInt64("-9223372036854775809", &v));
  CHECK_FALSE(ParseInt64("", &v));
  CHECK_FALSE(ParseInt64("-", &v));
  CHECK_FALSE(ParseInt64("+1", &v));
  CHECK_FALSE(ParseInt64("01", &v));
  CHECK_FALSE(ParseInt64("-0", &v));
  CHECK_FALSE(ParseInt64(" 1", &v));
  CHECK_FALSE(ParseInt64("1 ", &v));
  CHECK_FALSE(ParseInt64("1.0", &v));
  CHECK_FALSE(ParseInt64("99999999999999999999", &v));
  // Either side of the 18-digit fast path.
  CHECK((ParseInt64("999999999999999999", &v) && v == 999999999999999999));
  CHECK((ParseInt64("-999999999999999999", &v) && v == -999999999999999999));
  CHECK((ParseInt64("1000000000000000000", &v) && v == 1000000000000000000));
  CHECK((ParseInt64("-1000000000000000000", &v) && v == -1000000000000000000));
  CHECK_FALSE(ParseInt64("1a2", &v));
  CHECK_FALSE(ParseInt64("12/", &v));  // '/' is '0' - 1
  CHECK_FALSE(ParseInt64("12:", &v));  // ':' is '9' + 1
}

TEST_CASE("ParseDouble reads a whole argument as a double, or refuses it") {
  using typeahead::protocol::ParseDouble;
  double v;
  CHECK((ParseDouble("1", &v) && v == 1));
  CHECK((ParseDouble("-2.5", &v) && v == -2.5));
  CHECK((ParseDouble("+3", &v) && v == 3));
  CHECK((ParseDouble("1e2", &v) && v == 100));
  CHECK((ParseDouble(".5", &v) && v == 0.5));
  CHECK((ParseDouble("inf", &v) && v > 1e308));
  CHECK((ParseDouble("-inf", &v) && v < -1e308));
  CHECK_FALSE(ParseDouble("", &v));
  CHECK_FALSE(ParseDouble("+", &v));
  CHECK_FALSE(ParseDouble("++1", &v));
  CHECK_FALSE(ParseDouble("+-1", &v));
  CHECK_FALSE(ParseDouble("nan", &v));
  CHECK_FALSE(ParseDouble("1 ", &v));
  CHECK_FALSE(ParseDouble(" 1", &v));
  CHECK_FALSE(ParseDouble("1x", &v));
  CHECK_FALSE(ParseDouble("0x10", &v));
}
