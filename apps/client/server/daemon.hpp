// Starting the local server, and asking it things, from the full client's command line
// (`sccache --start-server`, --stop-server, --show-stats, --zero-stats, --dist-status).
//
// Threads: call from a single-threaded process (start_server forks). Failure: exit codes and
// messages on stderr.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "client/commands.hpp"

namespace sccache {

// Starts the server in the background unless one answers on the socket the environment names,
// and returns once it answers (or could not start): the exit code. Serialised by a lock beside
// the socket, so any number of concurrent calls leave exactly one server.
int start_server(bool quiet);

// What the running server answers to `name` (with this process's environment), or nullopt when
// no server answers.
std::optional<CommandResult> ask_server(const std::string& name,
                                        const std::vector<std::string>& args);

// The build a server of this install reports and its wrappers expect.
std::string this_server_build();

}  // namespace sccache
