// The wrapper <-> local server frames (common/server_protocol.hpp): what the local server reads
// from any process of its user, and the wrapper from the server. ProtocolError is the answer to
// bad input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/server_protocol.hpp"

using namespace sccache::server_protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    (void)frame_size(bytes);
  } catch (const ProtocolError&) {
  }
  try {
    Reader reader(bytes);
    switch (reader.kind()) {
      case Kind::hello:
        (void)decode_hello(reader);
        break;
      case Kind::compile:
        (void)decode_compile(reader);
        break;
      case Kind::command:
        (void)decode_command(reader);
        break;
      case Kind::compiled:
        (void)decode_compiled(reader);
        break;
      case Kind::run_locally:
        (void)decode_run_locally(reader);
        break;
      case Kind::command_output:
        (void)decode_command_output(reader);
        break;
      default:
        break;
    }
  } catch (const ProtocolError&) {
  }
  return 0;
}
