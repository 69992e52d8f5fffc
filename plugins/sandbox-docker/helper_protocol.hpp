// The protocol between the docker sandbox and sccache-docker-init, the helper that runs as PID 1
// in every job container (see README.md, "One job in one container").
//
// The plugin talks to the helper over the container's stdin and stdout, which the engine carries
// on one attached (hijacked) HTTP connection, so a job costs no engine request at all. Both ends
// include this header; the helper is a static binary without the C++ library, so it holds
// constants only.
//
// Integers are big-endian. A string is a u32 length and that many bytes.
//
// Request, plugin -> helper (stdin), sent once:
//   k_request_magic (8 bytes)
//   u32 uid, u32 gid        the job's user (never 0)
//   u32 n, n strings        argv; argv[0] is the executable (an absolute path)
//   u32 n, n strings        the environment, "KEY=value"
//   string                  the cwd (absolute)
//   u32 n, n strings        the outputs to collect (absolute, lexically normal)
//   entries, each: u8 kind, string path (absolute, lexically normal), then
//     k_entry_directory     u32 mode; created if missing (an existing directory, or a symlink
//                           to one, is kept); it becomes the job user's unless a symlink led
//                           to it and it was there before (a toolchain's stays root's)
//     k_entry_directory_if_possible  the same, but failing is not an error (the compiler
//                           reports that it cannot write there)
//     k_entry_file          u32 mode, u64 size, size bytes; replaces what is there; the job's
//     k_entry_symlink       string target; replaces what is there
//   u8 k_entry_end
//
// Reply, helper -> plugin (stdout): records of u8 type, u64 length, payload.
//   k_reply_ready           at start, before the request is read (the container is warm)
//   k_reply_stdout/stderr   a chunk of the job's stdout/stderr, as it comes (at most
//                           k_max_job_stream bytes of each in all)
//   k_reply_output          u32 path length, path, file contents: one collected regular file
//                           (at most k_max_output_file bytes, all of them k_max_outputs)
//   k_reply_exit            u8 (0 exited, 1 killed by signal), u32 code or signal, u32 OOM kills
//   k_reply_error           a message: the job could not be set up or started (infrastructure)
//   k_reply_end             the reply is complete; the helper exits
// Anything the helper writes to stderr is a diagnostic for the server's log.
//
// The helper runs as root with only CAP_CHOWN, CAP_SETUID, CAP_SETGID and CAP_SETPCAP (to place
// the inputs and give them to the job's user); the job runs as that user with no capability in
// any set, and the outputs are read back as that user too.
#pragma once

#include <cstdint>

namespace sccache::sandbox_docker::protocol {

inline constexpr char k_request_magic[8] = {'S', 'C', 'C', 'D', 'J', 'O', 'B', '1'};

inline constexpr uint8_t k_entry_end = 0;
inline constexpr uint8_t k_entry_directory = 'd';
inline constexpr uint8_t k_entry_directory_if_possible = 'D';
inline constexpr uint8_t k_entry_file = 'f';
inline constexpr uint8_t k_entry_symlink = 'l';

inline constexpr uint8_t k_reply_ready = 'R';
inline constexpr uint8_t k_reply_stdout = 'o';
inline constexpr uint8_t k_reply_stderr = 'e';
inline constexpr uint8_t k_reply_output = 'F';
inline constexpr uint8_t k_reply_exit = 'x';
inline constexpr uint8_t k_reply_error = 'E';
inline constexpr uint8_t k_reply_end = 'Z';

// Limits both ends enforce.
inline constexpr uint32_t k_max_string = 1u << 20;  // one path, argument or env entry
inline constexpr uint32_t k_max_list = 1u << 16;    // argv, env, outputs
// The job limits of the sandbox contract (sccache/sandbox.hpp; the plugin checks they match),
// here because the helper cannot include that header. The most of the job's stdout, and of its
// stderr, that is forwarded: past it the helper kills the job (it exits, which ends the
// container) and sends an error record instead. The largest output, and all outputs together,
// by the sizes the files claim (sparse ones count in full): the helper checks them all before it
// sends any and sends an error record instead. The plugin refuses a reply over a limit all the
// same.
inline constexpr uint64_t k_max_job_stream = uint64_t{64} << 20;
inline constexpr uint64_t k_max_output_file = uint64_t{1} << 30;
inline constexpr uint64_t k_max_outputs = uint64_t{4} << 30;

// The capabilities the helper keeps (the container drops all others).
inline constexpr const char* k_helper_capabilities[] = {"CHOWN", "SETUID", "SETGID", "SETPCAP"};

// Where the helper lives in every image.
inline constexpr const char* k_helper_dir = ".sccache-dist";
inline constexpr const char* k_helper_path = "/.sccache-dist/init";

}  // namespace sccache::sandbox_docker::protocol
