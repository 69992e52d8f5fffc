// The protocol between the `sccache` wrapper and the local sccache server, over a Unix socket.
// It depends on nothing but the C++ standard library, because the wrapper links nothing else.
//
// Every message is a frame: a 4-byte little-endian length, then that many bytes. A frame's body
// starts with a one-byte kind; strings are a 4-byte length and the bytes, lists a 4-byte count
// and their strings, integers 4 bytes little-endian.
//
//   wrapper -> server  Hello{protocol, build}  then one request:
//                      Compile{stderr_is_tty, umask, cwd, argv, environment}
//                      | Command{name, args, environment}   (--show-stats, --stop-server, ...)
//   server -> wrapper  VersionMismatch{build}  when the builds differ (the server then exits)
//                      | Progress...  (every second while a compile runs: the server lives)
//                        then Compiled{exit_code, stdout, stderr}
//                           | RunLocally{executable, argv, warning}
//                           | CommandOutput{exit_code, stdout, stderr}
//
// After RunLocally the wrapper runs the compiler itself and keeps the connection open until it
// ends (it hands the socket to the compiler it execs): the server learns the local compile's
// duration from the connection's end, and holds any local CPU slot until then.
//
// Threads: pure functions and values. Failure: decoding throws ProtocolError.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sccache::server_protocol {

// Bumped on any change of the messages above.
inline constexpr uint32_t k_version = 1;
// Frames larger than this are refused (a compile's stdout and stderr are capped far below it).
inline constexpr uint32_t k_max_frame = 256u << 20;

class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Kind : uint8_t {
  hello = 1,
  compile = 2,
  command = 3,
  version_mismatch = 10,
  progress = 11,
  compiled = 12,
  run_locally = 13,
  command_output = 14,
};

struct Hello {
  uint32_t protocol = k_version;
  std::string build;  // the software version and build of the sender
};

struct Compile {
  bool stderr_is_tty = false;
  uint32_t umask = 022;
  std::string cwd;
  std::vector<std::string> argv;
  std::vector<std::string> environment;
};

struct Command {
  std::string name;  // "--show-stats", "--zero-stats", "--stop-server", "--dist-status"
  std::vector<std::string> args;
  std::vector<std::string> environment;
};

struct Compiled {
  int32_t exit_code = 0;
  std::string stdout_data;
  std::string stderr_data;
};

struct RunLocally {
  std::string executable;
  std::vector<std::string> argv;
  std::string warning;  // one line to print first, or ""
};

// A command's answer has the shape of a compile's: exit code, stdout, stderr.
using CommandOutput = Compiled;

// Builds a frame body.
class Writer {
 public:
  explicit Writer(Kind kind) { m_body.push_back(static_cast<char>(kind)); }
  Writer& u32(uint32_t value);
  Writer& str(std::string_view value);
  Writer& list(const std::vector<std::string>& values);
  // The frame: length prefix and body.
  std::string frame() const;

 private:
  std::string m_body;
};

// Reads a frame body (a copy it owns, so it never outlives what it reads).
class Reader {
 public:
  explicit Reader(std::string_view body);
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  Kind kind() const { return m_kind; }
  uint32_t u32();
  std::string str();
  std::vector<std::string> list();
  // Throws unless every byte was read.
  void end() const;

 private:
  std::string m_body;
  std::string_view m_rest;
  Kind m_kind;
};

std::string encode(const Hello& message);
std::string encode(const Compile& message);
std::string encode(const Command& message);
std::string encode_version_mismatch(std::string_view build);
std::string encode_progress();
std::string encode_compiled(const Compiled& message);
std::string encode(const RunLocally& message);
std::string encode_command_output(const CommandOutput& message);

Hello decode_hello(Reader& reader);
Compile decode_compile(Reader& reader);
Command decode_command(Reader& reader);
Compiled decode_compiled(Reader& reader);
RunLocally decode_run_locally(Reader& reader);
CommandOutput decode_command_output(Reader& reader);

// How many bytes of `buffer` (at its start) make one whole frame: 0 while incomplete. Throws
// for a frame over k_max_frame.
size_t frame_size(std::string_view buffer);

}  // namespace sccache::server_protocol
