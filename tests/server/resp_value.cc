#include "tests/server/resp_value.h"

#include <charconv>

namespace typeahead::test {
namespace {

// Reads values from data front to back; pos_ is the next unread byte.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  ParseStatus Value(RespValue* out) {
    if (pos_ >= data_.size()) return ParseStatus::kNeedMore;
    char type = data_[pos_++];
    std::string_view line;
    if (ParseStatus s = Line(&line); s != ParseStatus::kOk) return s;
    out->type = static_cast<RespType>(type);
    switch (type) {
      case '+':
      case '-':
      case ',':
      case '(':
        out->str = line;
        return ParseStatus::kOk;
      case ':':
        return Integer(line, &out->integer);
      case '_':
        return line.empty() ? ParseStatus::kOk : Bad("a null with a payload");
      case '#':
        if (line != "t" && line != "f") return Bad("a boolean that is neither t nor f");
        out->integer = line == "t";
        return ParseStatus::kOk;
      case '$':
      case '=':
        return Blob(line, out);
      case '*':
      case '~':
      case '>':
      case '%':
        return Aggregate(line, type == '%' ? 2 : 1, out);
      default:
        return Bad(std::string("unknown type byte '") + type + "'");
    }
  }

  size_t pos() const { return pos_; }
  const std::string& error() const { return error_; }

 private:
  // The rest of the current line, without its CRLF.
  ParseStatus Line(std::string_view* line) {
    size_t end = data_.find("\r\n", pos_);
    if (end == std::string_view::npos) return ParseStatus::kNeedMore;
    *line = data_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return ParseStatus::kOk;
  }

  ParseStatus Integer(std::string_view text, int64_t* out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      return Bad("not an integer: '" + std::string(text) + "'");
    }
    return ParseStatus::kOk;
  }

  ParseStatus Blob(std::string_view header, RespValue* out) {
    int64_t len;
    if (ParseStatus s = Integer(header, &len); s != ParseStatus::kOk) return s;
    if (len == -1 && out->type == RespType::kBulk) {
      out->null = true;
      return ParseStatus::kOk;
    }
    if (len < 0) return Bad("a negative length");
    if (data_.size() - pos_ < static_cast<size_t>(len) + 2) return ParseStatus::kNeedMore;
    out->str = data_.substr(pos_, static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    if (data_.substr(pos_, 2) != "\r\n") return Bad("a string not followed by CRLF");
    pos_ += 2;
    return ParseStatus::kOk;
  }

  // per: values per announced element (a map's entry is two).
  ParseStatus Aggregate(std::string_view header, int per, RespValue* out) {
    int64_t n;
    if (ParseStatus s = Integer(header, &n); s != ParseStatus::kOk) return s;
    if (n == -1 && out->type == RespType::kArray) {
      out->null = true;
      return ParseStatus::kOk;
    }
    if (n < 0) return Bad("a negative element count");
    for (int64_t i = 0; i < n * per; ++i) {
      RespValue element;
      if (ParseStatus s = Value(&element); s != ParseStatus::kOk) return s;
      out->elements.push_back(std::move(element));
    }
    return ParseStatus::kOk;
  }

  ParseStatus Bad(std::string why) {
    error_ = std::move(why);
    return ParseStatus::kBad;
  }

  std::string_view data_;
  size_t pos_ = 0;
  std::string error_;
};

std::string Join(const std::vector<RespValue>& elements, std::string_view between, size_t step) {
  std::string s;
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) s += i % step == 0 ? ", " : between;
    s += elements[i].Render();
  }
  return s;
}

}  // namespace

std::vector<std::string> RespValue::strings() const {
  std::vector<std::string> out;
  for (const auto& e : elements) out.push_back(e.str);
  return out;
}

std::string RespValue::Render() const {
  switch (type) {
    case RespType::kSimple:
      return "+" + str;
    case RespType::kError:
      return "-" + str;
    case RespType::kInteger:
      return ":" + std::to_string(integer);
    case RespType::kBulk:
      return null ? "nil" : "\"" + str + "\"";
    case RespType::kArray:
      return null ? "nil" : "[" + Join(elements, ", ", 1) + "]";
    case RespType::kNull:
      return "_";
    case RespType::kDouble:
      return "," + str;
    case RespType::kBoolean:
      return integer ? "#t" : "#f";
    case RespType::kBigNumber:
      return "(" + str;
    case RespType::kVerbatim:
      return "=" + str;
    case RespType::kMap:
      return "{" + Join(elements, ": ", 2) + "}";
    case RespType::kSet:
      return "~[" + Join(elements, ", ", 1) + "]";
    case RespType::kPush:
      return ">[" + Join(elements, ", ", 1) + "]";
  }
  return "?";
}

ParseStatus ParseReply(std::string_view data, size_t* used, RespValue* out, std::string* error) {
  Reader reader(data);
  RespValue value;
  ParseStatus status = reader.Value(&value);
  if (status == ParseStatus::kOk) {
    *used = reader.pos();
    *out = std::move(value);
  } else if (status == ParseStatus::kBad) {
    *error = reader.error();
  }
  return status;
}

}  // namespace typeahead::test
