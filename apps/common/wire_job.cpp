// The build server's job messages: the run request's command frame, the result frame, and the
// frames around them (docs/wire-protocol.md, "Running a job").
#include <istream>
#include <ostream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <fmt/format.h>

#include "common/wire.hpp"
#include "common/wire_json.hpp"

namespace sccache::wire {
using namespace json;

std::string JobCommand::to_json() const {
  Object o;
  o.set("protocol", protocol);
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
  JobCommand c;
  c.protocol = required_protocol(o, "the client");
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

void write_progress_frame(std::ostream& out) {
  write_frame(out, {});
  out.flush();
}

std::string read_final_frame(std::istream& in, uint32_t max_bytes,
                             const std::function<void()>& on_progress) {
  while (true) {
    std::string frame = read_frame(in, max_bytes);
    if (!frame.empty()) {
      return frame;
    }
    on_progress();
  }
}

}  // namespace sccache::wire
