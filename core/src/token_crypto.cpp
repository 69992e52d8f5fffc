#include "sccache/token_crypto.hpp"

#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace sccache {

namespace {

constexpr int k_options = Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING;

bool is_url_safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, k_options);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  encoder.close();
  return out.str();
}

std::optional<std::string> base64url_decode(std::string_view text, Base64Padding padding) {
  if (padding == Base64Padding::allowed) {
    while (!text.empty() && text.back() == '=') {
      text.remove_suffix(1);
    }
  }
  // Poco's decoder skips whitespace and tolerates some junk; check the alphabet first.
  for (char c : text) {
    if (!is_url_safe(c)) {
      return std::nullopt;
    }
  }
  if (text.size() % 4 == 1) {
    return std::nullopt;  // no byte sequence encodes to this length
  }
  try {
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder decoder(in, k_options);
    std::string bytes;
    char buffer[4096];
    while (decoder.read(buffer, sizeof buffer) || decoder.gcount() > 0) {
      bytes.append(buffer, static_cast<size_t>(decoder.gcount()));
    }
    return bytes;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace sccache
