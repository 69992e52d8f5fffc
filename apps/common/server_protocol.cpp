#include "common/server_protocol.hpp"

namespace sccache::server_protocol {
namespace {

uint32_t read_le32(std::string_view bytes) {
  return static_cast<uint32_t>(static_cast<unsigned char>(bytes[0])) |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[3])) << 24;
}

void append_le32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

}  // namespace

Writer& Writer::u32(uint32_t value) {
  append_le32(m_body, value);
  return *this;
}

Writer& Writer::str(std::string_view value) {
  append_le32(m_body, static_cast<uint32_t>(value.size()));
  m_body.append(value);
  return *this;
}

Writer& Writer::list(const std::vector<std::string>& values) {
  append_le32(m_body, static_cast<uint32_t>(values.size()));
  for (const auto& value : values) {
    str(value);
  }
  return *this;
}

std::string Writer::frame() const {
  std::string out;
  out.reserve(4 + m_body.size());
  append_le32(out, static_cast<uint32_t>(m_body.size()));
  out += m_body;
  return out;
}

Reader::Reader(std::string_view body) : m_body(body), m_rest(m_body), m_kind(Kind::hello) {
  if (m_body.empty()) {
    throw ProtocolError("an empty message");
  }
  m_kind = static_cast<Kind>(static_cast<unsigned char>(m_body[0]));
  m_rest.remove_prefix(1);
}

uint32_t Reader::u32() {
  if (m_rest.size() < 4) {
    throw ProtocolError("a truncated message");
  }
  uint32_t value = read_le32(m_rest);
  m_rest.remove_prefix(4);
  return value;
}

std::string Reader::str() {
  const uint32_t size = u32();
  if (m_rest.size() < size) {
    throw ProtocolError("a truncated string");
  }
  std::string value(m_rest.substr(0, size));
  m_rest.remove_prefix(size);
  return value;
}

std::vector<std::string> Reader::list() {
  const uint32_t count = u32();
  if (count > m_rest.size() / 4) {  // every string takes at least its length prefix
    throw ProtocolError("a list longer than its message");
  }
  std::vector<std::string> values;
  values.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    values.push_back(str());
  }
  return values;
}

void Reader::end() const {
  if (!m_rest.empty()) {
    throw ProtocolError("trailing bytes after a message");
  }
}

std::string encode(const Hello& m) {
  return Writer(Kind::hello).u32(m.protocol).str(m.build).frame();
}

std::string encode(const Compile& m) {
  return Writer(Kind::compile)
      .u32(m.stderr_is_tty ? 1 : 0)
      .u32(m.umask)
      .str(m.cwd)
      .list(m.argv)
      .list(m.environment)
      .frame();
}

std::string encode(const Command& m) {
  return Writer(Kind::command).str(m.name).list(m.args).list(m.environment).frame();
}

std::string encode_version_mismatch(std::string_view build) {
  return Writer(Kind::version_mismatch).str(build).frame();
}

std::string encode_progress() {
  return Writer(Kind::progress).frame();
}

namespace {

std::string encode_output(Kind kind, const Compiled& m) {
  return Writer(kind)
      .u32(static_cast<uint32_t>(m.exit_code))
      .str(m.stdout_data)
      .str(m.stderr_data)
      .frame();
}

Compiled decode_output(Reader& r) {
  Compiled m;
  m.exit_code = static_cast<int32_t>(r.u32());
  m.stdout_data = r.str();
  m.stderr_data = r.str();
  r.end();
  return m;
}

}  // namespace

std::string encode_compiled(const Compiled& m) {
  return encode_output(Kind::compiled, m);
}

std::string encode_command_output(const CommandOutput& m) {
  return encode_output(Kind::command_output, m);
}

std::string encode(const RunLocally& m) {
  return Writer(Kind::run_locally).str(m.executable).list(m.argv).str(m.warning).frame();
}

Hello decode_hello(Reader& r) {
  Hello m;
  m.protocol = r.u32();
  m.build = r.str();
  r.end();
  return m;
}

Compile decode_compile(Reader& r) {
  Compile m;
  m.stderr_is_tty = r.u32() != 0;
  m.umask = r.u32() & 0777;
  m.cwd = r.str();
  m.argv = r.list();
  m.environment = r.list();
  r.end();
  if (m.argv.empty()) {
    throw ProtocolError("a compile without a command");
  }
  return m;
}

Command decode_command(Reader& r) {
  Command m;
  m.name = r.str();
  m.args = r.list();
  m.environment = r.list();
  r.end();
  return m;
}

Compiled decode_compiled(Reader& r) {
  return decode_output(r);
}

RunLocally decode_run_locally(Reader& r) {
  RunLocally m;
  m.executable = r.str();
  m.argv = r.list();
  m.warning = r.str();
  r.end();
  return m;
}

CommandOutput decode_command_output(Reader& r) {
  return decode_output(r);
}

size_t frame_size(std::string_view buffer) {
  if (buffer.size() < 4) {
    return 0;
  }
  const uint32_t size = read_le32(buffer);
  if (size > k_max_frame) {
    throw ProtocolError("a message of " + std::to_string(size) + " bytes is over the limit");
  }
  return buffer.size() >= 4 + size ? 4 + size : 0;
}

}  // namespace sccache::server_protocol
