// How the overlay sandbox hands a job to a sandbox it started ahead of time: bwrap runs the gate
// (gate/main.cpp) as the job's process, and the gate waits on kCommandFd for the job's command.
//
//   host -> gate, on kCommandFd: NUL-terminated strings — cwd, the argument count (decimal), the
//                                arguments (argv[0] is the executable), then the environment
//                                ("KEY=value") to the end. The host then closes it; an empty
//                                message means the sandbox is discarded unused.
//   gate -> host, on kExecStatusFd (close-on-exec): nothing when the command started (exec
//                                closes it), else the errno of the failed chdir or exec as 4 bytes.
//
// Shared by the plugin and the gate, which is static and has no C++ runtime: C types only.
#pragma once

namespace sccache::sandbox_bwrap::gate {

inline constexpr int kCommandFd = 4;
inline constexpr int kExecStatusFd = 5;
// Where the gate is bound inside every sandbox.
inline constexpr const char* kGatePath = "/.sccache-gate";
// What the gate exits with when the command could not start (the host reads the errno).
inline constexpr int kCannotStart = 127;

}  // namespace sccache::sandbox_bwrap::gate
