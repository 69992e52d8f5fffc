#include "wire.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include <sstream>

namespace sccache::wire {
namespace {

using Poco::JSON::Object;

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

uint32_t required_u32(const Object::Ptr& object, const std::string& key) {
  int64_t value = required<int64_t>(object, key);
  if (value < 0 || value > UINT32_MAX) {
    throw WireError(fmt::format("field '{}' is out of range", key));
  }
  return static_cast<uint32_t>(value);
}

std::string stringify(const Object& object) {
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

}  // namespace

std::string Heartbeat::to_json() const {
  Object o;
  o.set("protocol", protocol);
  o.set("server_id", server_id);
  o.set("version", version);
  o.set("num_cpus", num_cpus);
  o.set("max_jobs", max_jobs);
  o.set("running_jobs", running_jobs);
  o.set("nonce", nonce);
  o.set("cert_sha256", cert_sha256);
  o.set("cert_pem", cert_pem);
  o.set("sandbox", sandbox);
  return stringify(o);
}

Heartbeat Heartbeat::from_json(std::string_view text) {
  auto o = parse_object(text);
  Heartbeat h;
  h.protocol = required<int>(o, "protocol");
  if (h.protocol < k_min_protocol_version) {
    throw WireError(fmt::format("protocol version {} is too old (this scheduler needs {} to {})",
                                h.protocol, k_min_protocol_version, k_protocol_version));
  }
  h.server_id = required<std::string>(o, "server_id");
  h.version = optional<std::string>(o, "version", "");
  h.num_cpus = required_u32(o, "num_cpus");
  h.max_jobs = required_u32(o, "max_jobs");
  h.running_jobs = required_u32(o, "running_jobs");
  h.nonce = required<std::string>(o, "nonce");
  h.cert_sha256 = required<std::string>(o, "cert_sha256");
  h.cert_pem = required<std::string>(o, "cert_pem");
  h.sandbox = optional<std::string>(o, "sandbox", "");
  if (h.num_cpus == 0 || h.max_jobs == 0) {
    throw WireError("num_cpus and max_jobs must be above zero");
  }
  if (h.server_id.empty() || h.server_id.size() > 256) {
    throw WireError("server_id must be a non-empty \"ip:port\"");
  }
  return h;
}

std::string HeartbeatReply::to_json() const {
  Object o;
  o.set("protocol", k_protocol_version);
  o.set("is_new", is_new);
  o.set("heartbeat_interval_secs", heartbeat_interval_secs);
  o.set("server_timeout_secs", server_timeout_secs);
  return stringify(o);
}

HeartbeatReply HeartbeatReply::from_json(std::string_view text) {
  auto o = parse_object(text);
  HeartbeatReply r;
  r.is_new = required<bool>(o, "is_new");
  r.heartbeat_interval_secs = required_u32(o, "heartbeat_interval_secs");
  r.server_timeout_secs = required_u32(o, "server_timeout_secs");
  return r;
}

std::string SchedulerStatus::to_json() const {
  Object o;
  o.set("protocol", k_protocol_version);
  o.set("version", version);
  o.set("num_servers", num_servers);
  o.set("num_cpus", num_cpus);
  o.set("in_progress", in_progress);
  Poco::JSON::Array list;
  for (const auto& s : servers) {
    Object entry;
    entry.set("id", s.id);
    entry.set("version", s.version);
    entry.set("num_cpus", s.num_cpus);
    entry.set("max_jobs", s.max_jobs);
    entry.set("running_jobs", s.running_jobs);
    entry.set("last_heartbeat_ms", s.last_heartbeat_ms);
    entry.set("sandbox", s.sandbox);
    list.add(entry);
  }
  o.set("servers", list);
  return stringify(o);
}

SchedulerStatus SchedulerStatus::from_json(std::string_view text) {
  auto o = parse_object(text);
  SchedulerStatus s;
  s.version = optional<std::string>(o, "version", "");
  s.num_servers = required_u32(o, "num_servers");
  s.num_cpus = required_u32(o, "num_cpus");
  s.in_progress = required_u32(o, "in_progress");
  if (o->has("servers")) {
    auto list = o->getArray("servers");
    if (!list) {
      throw WireError("field 'servers' has the wrong type");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      auto entry = list->getObject(static_cast<unsigned>(i));
      if (!entry) {
        throw WireError("field 'servers' holds a non-object");
      }
      ServerStatus server;
      server.id = required<std::string>(entry, "id");
      server.version = optional<std::string>(entry, "version", "");
      server.num_cpus = required_u32(entry, "num_cpus");
      server.max_jobs = required_u32(entry, "max_jobs");
      server.running_jobs = required_u32(entry, "running_jobs");
      server.last_heartbeat_ms = static_cast<uint64_t>(required<int64_t>(entry, "last_heartbeat_ms"));
      server.sandbox = optional<std::string>(entry, "sandbox", "");
      s.servers.push_back(std::move(server));
    }
  }
  return s;
}

std::string error_json(std::string_view message) {
  Object o;
  o.set("error", std::string(message));
  return stringify(o);
}

std::string error_from_body(std::string_view body) {
  try {
    auto o = parse_object(body);
    if (o->has("error")) {
      return o->getValue<std::string>("error");
    }
  } catch (const WireError&) {
  }
  return std::string(body.substr(0, 200));
}

}  // namespace sccache::wire
