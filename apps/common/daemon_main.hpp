// Shared by the daemons' entry points: signal handling for a clean shutdown.
#pragma once

namespace sccache {

// Blocks SIGINT, SIGTERM and SIGHUP in this thread (and so in every thread started after it) and
// ignores SIGPIPE. Call first in main(), before any thread starts.
void block_shutdown_signals();
// Waits until SIGINT, SIGTERM or SIGHUP arrives; returns the signal number.
int wait_for_shutdown_signal();

}  // namespace sccache
