// The sccache command line: wraps a compiler (`sccache g++ -c a.cc -o a.o`), or runs a command
// such as --dist-status. Returns the exit code.
#pragma once

namespace sccache {
int client_main(int argc, char** argv);
}
