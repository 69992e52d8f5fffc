// The three config files as text (the client's, the scheduler's, the build server's): a
// malformed file must be a ConfigError naming the file, line and key, never a crash or another
// exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sccache/config_error.hpp"

#include "buildserver/server_config.hpp"
#include "client/client_config.hpp"
#include "common/config_document.hpp"
#include "common/environment.hpp"
#include "scheduler/scheduler_config.hpp"

using namespace sccache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Environment env;
  try {
    (void)read_client_config(config_document_from_text(text, "client.conf"), env);
  } catch (const ConfigError&) {
  }
  try {
    (void)read_scheduler_config(config_document_from_text(text, "scheduler.conf"));
  } catch (const ConfigError&) {
  }
  try {
    (void)read_server_config(config_document_from_text(text, "server.conf"));
  } catch (const ConfigError&) {
  }
  return 0;
}
