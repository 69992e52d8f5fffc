// The wrapper <-> local server protocol: every message reads back as written, and damaged or
// oversized frames are refused instead of read past.
#include <catch2/catch.hpp>

#include "common/server_protocol.hpp"

using namespace sccache::server_protocol;

namespace {

// The body of the single frame in `frame`.
std::string body_of(const std::string& frame) {
  REQUIRE(frame_size(frame) == frame.size());
  return frame.substr(4);
}

}  // namespace

TEST_CASE("messages round-trip") {
  Compile compile{true, 027, "/src", {"gcc", "-c", "a.c"}, {"PATH=/usr/bin", "X="}};
  Reader compile_reader(body_of(encode(compile)));
  CHECK(compile_reader.kind() == Kind::compile);
  Compile back = decode_compile(compile_reader);
  CHECK(back.stderr_is_tty);
  CHECK(back.umask == 027);
  CHECK(back.cwd == "/src");
  CHECK(back.argv == compile.argv);
  CHECK(back.environment == compile.environment);

  const std::string binary("\0\x01\xff out", 7);
  Reader compiled_reader(body_of(encode_compiled({-3, binary, "err\n"})));
  CHECK(compiled_reader.kind() == Kind::compiled);
  Compiled done = decode_compiled(compiled_reader);
  CHECK(done.exit_code == -3);
  CHECK(done.stdout_data == binary);
  CHECK(done.stderr_data == "err\n");

  Reader local_reader(body_of(encode(RunLocally{"/usr/bin/gcc", {"/usr/bin/gcc", "-c"}, "w"})));
  RunLocally local = decode_run_locally(local_reader);
  CHECK(local.executable == "/usr/bin/gcc");
  CHECK(local.argv.size() == 2);
  CHECK(local.warning == "w");

  Reader hello_reader(body_of(encode(Hello{k_version, "0.1.0 1:2:3"})));
  CHECK(decode_hello(hello_reader).build == "0.1.0 1:2:3");
  Reader command_reader(body_of(encode(Command{"--show-stats", {"--json"}, {"A=1"}})));
  CHECK(decode_command(command_reader).args == std::vector<std::string>{"--json"});
  CHECK(Reader(body_of(encode_progress())).kind() == Kind::progress);
}

TEST_CASE("frames are whole or waited for; damaged messages are refused") {
  const std::string frame = encode(Compile{false, 022, "/src", {"cc"}, {}});
  // Two frames back to back: the first is measured alone; a partial one is not complete yet.
  CHECK(frame_size(frame + frame) == frame.size());
  CHECK(frame_size(frame.substr(0, frame.size() - 1)) == 0);
  CHECK(frame_size(frame.substr(0, 3)) == 0);
  // A length past the limit is refused before anything is buffered.
  CHECK_THROWS_AS(frame_size(std::string("\xff\xff\xff\xff", 4)), ProtocolError);

  std::string body = body_of(frame);
  Reader truncated(std::string_view(body).substr(0, body.size() - 1));
  CHECK_THROWS_AS(decode_compile(truncated), ProtocolError);
  Reader trailing(body + "x");
  CHECK_THROWS_AS(decode_compile(trailing), ProtocolError);
  // A list claiming more strings than its bytes could hold.
  std::string huge = Writer(Kind::compile).u32(0).u32(0).str("/").u32(0x7fffffff).frame();
  Reader lying(huge.substr(4));
  CHECK_THROWS_AS(decode_compile(lying), ProtocolError);
  // A compile without a command.
  Reader empty(body_of(encode(Compile{false, 022, "/", {}, {}})));
  CHECK_THROWS_AS(decode_compile(empty), ProtocolError);
  CHECK_THROWS_AS(Reader(""), ProtocolError);
}
