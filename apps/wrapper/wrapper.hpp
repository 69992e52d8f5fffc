// The `sccache` executable a build runs once per compile: a tiny client of the local sccache
// server. It links nothing but the C and C++ runtimes, so it starts as fast as /bin/true.
//
//   sccache <compiler> <args>  (or a symlink named like the compiler)
//       sends the compile to the server (started on first use), relays its reply, and runs the
//       compiler itself — exec'd, so indistinguishable from running it — whenever the server
//       says so or cannot be reached;
//   sccache --version, --start-server
//       answered here;
//   anything else (--show-stats, --stop-server, --dist-status, ..., and every compile under
//   SCCACHE_NO_DAEMON=1) is run by the full client, <prefix>/libexec/sccache/sccache-server.
#pragma once

namespace sccache::wrapper {

int wrapper_main(int argc, char** argv);

}  // namespace sccache::wrapper
