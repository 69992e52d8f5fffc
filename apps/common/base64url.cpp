#include "base64url.hpp"

#include <cctype>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>

namespace sccache {

namespace {
constexpr int k_options = Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING;
}

std::string base64url_encode(std::string_view bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, k_options);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  encoder.close();
  return out.str();
}

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return std::nullopt;
    }
  }
  try {
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder decoder(in, k_options);
    return std::string((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

}  // namespace sccache
