// JSON helpers shared by the wire messages' readers and writers (common/wire*.cpp): every
// malformed field becomes a WireError naming the field, never a Poco exception.
//
// Internal to apps/common: not part of the SDK. Threads: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <fmt/format.h>

#include "common/wire.hpp"

namespace sccache::wire::json {

using Poco::JSON::Object;

Object::Ptr parse_object(std::string_view text);

template <typename T>
T required(const Object::Ptr& object, const std::string& key) {
  if (!object->has(key) || object->isNull(key)) {
    throw WireError(fmt::format("missing field '{}'", key));
  }
  try {
    return object->getValue<T>(key);
  } catch (const Poco::Exception&) {
    throw WireError(fmt::format("field '{}' has the wrong type", key));
  }
}

template <typename T>
T optional(const Object::Ptr& object, const std::string& key, T fallback) {
  if (!object->has(key) || object->isNull(key)) {
    return fallback;
  }
  return required<T>(object, key);
}

// A build server's id is its public_addr, "ip:port" or "host:port", in printable ASCII.
std::string required_server_id(const Object::Ptr& object);
uint32_t required_u32(const Object::Ptr& object, const std::string& key);
// Only the SHA-256 form: a toolchain id names a file on build servers.
std::string required_toolchain_id(const Object::Ptr& object);
// The message's "protocol", refused (ErrorCode::protocol_version) outside our range; `peer`
// names who should upgrade ("the client").
int required_protocol(const Object::Ptr& object, std::string_view peer);
Poco::JSON::Array to_array(const std::vector<std::string>& values);
std::vector<std::string> string_list(const Object::Ptr& object, const std::string& key,
                                     bool required_field);
std::string base64(std::string_view data);
std::string unbase64(const std::string& text, const std::string& key);
std::string stringify(const Object& object);

}  // namespace sccache::wire::json
