// Every JSON control message a daemon or client decodes from a peer (common/wire.hpp), and the
// error replies (sccache/transport.hpp, common/wire_errors.hpp). A WireError is the decoders'
// answer to bad input (a 400); any other exception would be a 500, so it is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sccache/transport.hpp"

#include "common/wire.hpp"

using namespace sccache;

template <typename Message>
void decode(std::string_view text) {
  try {
    Message message = Message::from_json(text);
    // A message we accept must survive our own encoding.
    (void)Message::from_json(message.to_json());
  } catch (const wire::WireError&) {
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  decode<wire::Heartbeat>(text);
  decode<wire::HeartbeatReply>(text);
  decode<wire::SchedulerStatus>(text);
  decode<wire::AllocRequest>(text);
  decode<wire::AllocReply>(text);
  decode<wire::JobFailure>(text);
  decode<wire::JobsDone>(text);
  decode<wire::JobCommand>(text);
  decode<wire::JobResult>(text);
  (void)wire::Heartbeat::claimed_server_id(text);
  (void)parse_error_reply(text);
  (void)wire::error_of(400, text);
  (void)wire::error_of(500, text);
  return 0;
}
