// The sccache-dist command line: `scheduler`, `server` (and `auth` tools). Returns the exit code.
#pragma once

namespace sccache {
int dist_main(int argc, char** argv);
}
