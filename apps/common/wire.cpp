#include "common/wire.hpp"

#include <algorithm>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include "sccache/sandbox.hpp"  // is_toolchain_id

#include "common/net_address.hpp"

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
  std::string data((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
  if (decoder.bad()) {
    throw WireError(fmt::format("field '{}' is not base64", key));
  }
  return data;
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
  o.set("job_key", job_key);
  o.set("toolchains", to_array(toolchains));
  o.set("running_job_ids", to_array(running_job_ids));
  return stringify(o);
}

Heartbeat Heartbeat::from_json(std::string_view text) {
  auto o = parse_object(text);
  Heartbeat h;
  h.protocol = required<int>(o, "protocol");
  if (h.protocol < k_min_protocol_version) {
    throw WireError(fmt::format("protocol version {} is too old (this scheduler needs {} to {})",
                                h.protocol, k_min_protocol_version, k_protocol_version),
                    ErrorCode::protocol_version);
  }
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
  if (required<int>(o, "protocol") < k_min_protocol_version) {
    throw WireError(fmt::format("protocol version too old (this side needs {} to {}); upgrade "
                                "the client",
                                k_min_protocol_version, k_protocol_version),
                    ErrorCode::protocol_version);
  }
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

std::string JobCommand::to_json() const {
  Object o;
  o.set("protocol", k_protocol_version);
  o.set("toolchain_id", toolchain_id);
  o.set("executable", executable);
  o.set("arguments", to_array(arguments));
  Poco::JSON::Array env;
  for (const auto& [k, v] : environment) {
    Poco::JSON::Array pair;
    pair.add(k);
    pair.add(v);
    env.add(pair);
  }
  o.set("environment", env);
  o.set("cwd", cwd);
  o.set("outputs", to_array(outputs));
  o.set("timeout_secs", timeout_secs);
  return stringify(o);
}

JobCommand JobCommand::from_json(std::string_view text) {
  auto o = parse_object(text);
  if (required<int>(o, "protocol") < k_min_protocol_version) {
    throw WireError(fmt::format("protocol version too old (this side needs {} to {}); upgrade "
                                "the client",
                                k_min_protocol_version, k_protocol_version),
                    ErrorCode::protocol_version);
  }
  JobCommand c;
  c.toolchain_id = required_toolchain_id(o);
  c.executable = required<std::string>(o, "executable");
  c.arguments = string_list(o, "arguments", true);
  if (o->has("environment")) {
    auto env = o->getArray("environment");
    if (!env) {
      throw WireError("field 'environment' has the wrong type");
    }
    for (unsigned i = 0; i < env->size(); ++i) {
      auto pair = env->getArray(i);
      if (!pair || pair->size() != 2) {
        throw WireError("field 'environment' holds a malformed pair");
      }
      c.environment.emplace_back(pair->getElement<std::string>(0),
                                 pair->getElement<std::string>(1));
    }
  }
  c.cwd = required<std::string>(o, "cwd");
  c.outputs = string_list(o, "outputs", true);
  c.timeout_secs = required_u32(o, "timeout_secs");
  if (c.executable.empty() || c.executable.front() != '/' || c.cwd.empty() ||
      c.cwd.front() != '/') {
    throw WireError("executable and cwd must be absolute paths");
  }
  // No command line or environment can carry a NUL: refused here, before the job token is spent.
  auto no_nul = [](const std::string& text, std::string_view field) {
    if (text.find('\0') != std::string::npos) {
      throw WireError(fmt::format("field '{}' holds a NUL byte", field));
    }
  };
  no_nul(c.executable, "executable");
  no_nul(c.cwd, "cwd");
  for (const auto& arg : c.arguments) {
    no_nul(arg, "arguments");
  }
  for (const auto& [name, value] : c.environment) {
    no_nul(name, "environment");
    no_nul(value, "environment");
  }
  for (const auto& output : c.outputs) {
    no_nul(output, "outputs");
  }
  return c;
}

std::string JobResult::to_json() const {
  Object o;
  o.set("exit_code", exit_code);
  o.set("term_signal", term_signal);
  o.set("stdout", base64(stdout_data));
  o.set("stderr", base64(stderr_data));
  o.set("outputs", to_array(outputs));
  if (!timings_ms.empty()) {
    Poco::JSON::Object::Ptr timings = new Poco::JSON::Object;
    for (const auto& [phase, ms] : timings_ms) {
      timings->set(phase, ms);
    }
    o.set("timings", timings);
  }
  return stringify(o);
}

JobResult JobResult::from_json(std::string_view text) {
  auto o = parse_object(text);
  JobResult r;
  r.exit_code = required<int>(o, "exit_code");
  r.term_signal = required<int>(o, "term_signal");
  r.stdout_data = unbase64(required<std::string>(o, "stdout"), "stdout");
  r.stderr_data = unbase64(required<std::string>(o, "stderr"), "stderr");
  r.outputs = string_list(o, "outputs", true);
  if (auto timings = o->getObject("timings")) {
    for (const auto& phase : timings->getNames()) {
      try {
        r.timings_ms[phase] = timings->getValue<double>(phase);
      } catch (const Poco::Exception&) {
        throw WireError("field 'timings' holds a non-number");
      }
    }
  }
  return r;
}

void write_frame(std::ostream& out, std::string_view payload) {
  const auto size = static_cast<uint32_t>(payload.size());
  const char header[4] = {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                          static_cast<char>(size >> 8), static_cast<char>(size)};
  out.write(header, 4);
  out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
}

std::string read_frame(std::istream& in, uint32_t max_bytes) {
  unsigned char header[4];
  if (!in.read(reinterpret_cast<char*>(header), 4)) {
    throw WireError("truncated frame header");
  }
  const uint32_t size = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                        (uint32_t{header[2]} << 8) | uint32_t{header[3]};
  if (size > max_bytes) {
    throw WireError(fmt::format("frame of {} bytes exceeds the limit of {}", size, max_bytes));
  }
  std::string payload(size, '\0');
  if (!in.read(payload.data(), size)) {
    throw WireError("truncated frame");
  }
  return payload;
}

}  // namespace sccache::wire
