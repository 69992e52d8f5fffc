#include "common/wire_json.hpp"

#include <algorithm>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Parser.h>

#include "sccache/sandbox.hpp"  // is_toolchain_id

#include "common/net_address.hpp"

namespace sccache::wire::json {

Object::Ptr parse_object(std::string_view text) {
  try {
    Poco::JSON::Parser parser;
    auto value = parser.parse(std::string(text));
    auto object = value.extract<Object::Ptr>();
    if (!object) {
      throw WireError("expected a JSON object");
    }
    return object;
  } catch (const WireError&) {
    throw;
  } catch (const Poco::Exception& e) {
    throw WireError(fmt::format("malformed JSON: {}", e.displayText()));
  } catch (const std::exception& e) {
    throw WireError(fmt::format("malformed JSON: {}", e.what()));
  }
}

// A build server's id is its public_addr, "ip:port" or "host:port", in printable ASCII: an id
// from a request is logged before the request is authenticated, so nothing else may pass.
std::string required_server_id(const Object::Ptr& object) {
  std::string id = required<std::string>(object, "server_id");
  std::string error;
  const bool printable =
      std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (id.size() > 256 || !printable || !parse_host_port(id, &error)) {
    throw WireError("server_id must be the build server's \"ip:port\" (its public_addr)");
  }
  return id;
}

uint32_t required_u32(const Object::Ptr& object, const std::string& key) {
  int64_t value = required<int64_t>(object, key);
  if (value < 0 || value > UINT32_MAX) {
    throw WireError(fmt::format("field '{}' is out of range", key));
  }
  return static_cast<uint32_t>(value);
}

Poco::JSON::Array to_array(const std::vector<std::string>& values) {
  Poco::JSON::Array array;
  for (const auto& v : values) {
    array.add(v);
  }
  return array;
}

std::vector<std::string> string_list(const Object::Ptr& object, const std::string& key,
                                     bool required_field) {
  std::vector<std::string> values;
  if (!object->has(key)) {
    if (required_field) {
      throw WireError(fmt::format("missing field '{}'", key));
    }
    return values;
  }
  auto array = object->getArray(key);
  if (!array) {
    throw WireError(fmt::format("field '{}' has the wrong type", key));
  }
  for (unsigned i = 0; i < array->size(); ++i) {
    try {
      values.push_back(array->getElement<std::string>(i));
    } catch (const Poco::Exception&) {
      throw WireError(fmt::format("field '{}' holds a non-string", key));
    }
  }
  return values;
}

std::string base64(std::string_view data) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(data.data(), static_cast<std::streamsize>(data.size()));
  encoder.close();
  return out.str();
}

std::string unbase64(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  try {
    std::string data((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
    if (!decoder.bad()) {
      return data;
    }
  } catch (const Poco::Exception&) {
    // Poco's decoder throws DataFormatException for a character outside the alphabet (found by
    // fuzz_wire_messages): the peer's fault, a WireError like every other malformed field.
  }
  throw WireError(fmt::format("field '{}' is not base64", key));
}

std::string stringify(const Object& object) {
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

// A toolchain id names a file on build servers and keys the scheduler's bookkeeping: only the
// SHA-256 form is accepted ("../../etc/passwd" is not an id).
std::string required_toolchain_id(const Object::Ptr& o) {
  std::string id = required<std::string>(o, "toolchain_id");
  if (!is_toolchain_id(id)) {
    throw WireError("field 'toolchain_id' must be 64 lowercase hex digits (a SHA-256)");
  }
  return id;
}

int required_protocol(const Object::Ptr& object, std::string_view peer) {
  const int protocol = required<int>(object, "protocol");
  if (protocol < k_min_protocol_version) {
    throw WireError(fmt::format("protocol version {} is too old (this side needs {} to {}); "
                                "upgrade {}",
                                protocol, k_min_protocol_version, k_protocol_version, peer),
                    ErrorCode::protocol_version);
  }
  return protocol;
}

}  // namespace sccache::wire::json
