#include "common/wire.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <fmt/format.h>

#include "common/wire_json.hpp"

namespace sccache::wire {
using namespace json;

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
  o.set("job_key", job_key);
  o.set("toolchains", to_array(toolchains));
  o.set("running_job_ids", to_array(running_job_ids));
  return stringify(o);
}

Heartbeat Heartbeat::from_json(std::string_view text) {
  auto o = parse_object(text);
  Heartbeat h;
  h.protocol = required_protocol(o, "the build server");
  h.server_id = required_server_id(o);
  h.version = optional<std::string>(o, "version", "");
  h.num_cpus = required_u32(o, "num_cpus");
  h.max_jobs = required_u32(o, "max_jobs");
  h.running_jobs = required_u32(o, "running_jobs");
  h.nonce = required<std::string>(o, "nonce");
  h.cert_sha256 = required<std::string>(o, "cert_sha256");
  h.cert_pem = required<std::string>(o, "cert_pem");
  h.sandbox = optional<std::string>(o, "sandbox", "");
  h.job_key = required<std::string>(o, "job_key");
  h.toolchains = string_list(o, "toolchains", false);
  h.running_job_ids = string_list(o, "running_job_ids", false);
  if (h.job_key.size() < 32) {
    throw WireError("job_key is too short");
  }
  if (h.num_cpus == 0 || h.max_jobs == 0) {
    throw WireError("num_cpus and max_jobs must be above zero");
  }
  return h;
}

std::string Heartbeat::claimed_server_id(std::string_view text) noexcept {
  try {
    return required_server_id(parse_object(text));
  } catch (...) {
    // Not even JSON: no claim.
  }
  return {};
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
      server.last_heartbeat_ms =
          static_cast<uint64_t>(required<int64_t>(entry, "last_heartbeat_ms"));
      server.sandbox = optional<std::string>(entry, "sandbox", "");
      s.servers.push_back(std::move(server));
    }
  }
  return s;
}

std::string AllocRequest::to_json() const {
  Object o;
  o.set("protocol", k_protocol_version);
  o.set("toolchain_id", toolchain_id);
  o.set("wait_ms", wait_ms);
  return stringify(o);
}

AllocRequest AllocRequest::from_json(std::string_view text) {
  auto o = parse_object(text);
  required_protocol(o, "the client");
  AllocRequest r;
  r.toolchain_id = required_toolchain_id(o);
  r.wait_ms = std::min<uint32_t>(optional<uint32_t>(o, "wait_ms", 0), 60000);
  return r;
}

std::string AllocReply::to_json() const {
  Object o;
  o.set("job_id", job_id);
  o.set("server_id", server_id);
  o.set("cert_sha256", cert_sha256);
  o.set("job_token", job_token);
  o.set("need_toolchain", need_toolchain);
  o.set("server_protocol", server_protocol);
  return stringify(o);
}

AllocReply AllocReply::from_json(std::string_view text) {
  auto o = parse_object(text);
  AllocReply r;
  r.job_id = required<std::string>(o, "job_id");
  r.server_id = required_server_id(o);
  r.cert_sha256 = required<std::string>(o, "cert_sha256");
  r.job_token = required<std::string>(o, "job_token");
  r.need_toolchain = required<bool>(o, "need_toolchain");
  // Absent from schedulers of protocol 3, whose servers were all of protocol 3.
  r.server_protocol = optional<int>(o, "server_protocol", 3);
  return r;
}

std::string JobFailure::to_json() const {
  Object o;
  o.set("protocol", k_protocol_version);
  o.set("job_id", job_id);
  o.set("server_id", server_id);
  o.set("reason", reason);
  return stringify(o);
}

JobFailure JobFailure::from_json(std::string_view text) {
  auto o = parse_object(text);
  JobFailure f;
  f.job_id = required<std::string>(o, "job_id");
  f.server_id = required_server_id(o);
  f.reason = optional<std::string>(o, "reason", "");
  return f;
}

std::string JobsDone::to_json() const {
  Object o;
  o.set("protocol", k_protocol_version);
  o.set("server_id", server_id);
  o.set("job_ids", to_array(job_ids));
  return stringify(o);
}

JobsDone JobsDone::from_json(std::string_view text) {
  auto o = parse_object(text);
  JobsDone d;
  d.server_id = required_server_id(o);
  d.job_ids = string_list(o, "job_ids", true);
  return d;
}

}  // namespace sccache::wire
