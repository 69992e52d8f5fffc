// The parts of sccache-docker-init (see main.cpp), which is PID 1 of every job container: the
// reply records and request fields of helper_protocol.hpp, placing the inputs, running the job.
// Only libc is used. Everything runs in the one helper process (or a child it forks).
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <sys/types.h>

#include "sandbox-docker/helper_protocol.hpp"

namespace sccache::sandbox_docker::init {

// The job's user, from the request; never 0 once the request is read.
extern uid_t g_uid;
extern gid_t g_gid;

// protocol_io.cpp: stdout records and stdin fields.
[[noreturn]] void die(const char* what);  // a diagnostic on stderr, exit 111
void put_u32(unsigned char* out, uint32_t v);
void write_all(const void* data, size_t size);
void record_header(uint8_t type, uint64_t length);
void record(uint8_t type, const void* data, size_t size);
// An error record `message` and the end record, then exit 0 (which, PID 1 exiting, kills every
// process left in the container).
[[noreturn]] void fail_with(const char* message);
// fail_with("<what> <path>: <strerror(error)>").
[[noreturn]] void fail(const char* what, const char* path, int error);
void read_exact(void* data, size_t size);  // exits quietly if the plugin went away
uint64_t read_uint(int bytes);
char* read_string();  // malloc'ed, NUL-terminated
char** read_list();   // malloc'ed, NULL-terminated

// directories.cpp
struct ResolvedDirectory {
  int fd = -1;                   // O_PATH; the caller closes it
  char physical[PATH_MAX] = {};  // its path with no symlink in it ("" for "/")
  bool created = false;          // by this call
  bool through_symlink = false;  // a symlink was on the way
};
// Resolves the absolute `path` to a directory as the kernel would inside the container, but one
// component at a time with O_NOFOLLOW, so the caller knows whether a symlink led there (one may
// lead to any directory of the toolchain, which must stay root's). With `create`, the last
// component of `path` is made (mode `mode`) if it is missing; nothing is ever created in a
// symlink's target (a symlink to nowhere is an error, as is a symlink loop). False with errno
// set if `path` is not a directory.
bool resolve_directory(const char* path, bool create, mode_t mode, ResolvedDirectory& dir);

// inputs.cpp: places the request's entries at "/" and gives them to the job's user.
void receive_inputs();

// job.cpp
// Becomes the job's user for good: no supplementary groups, no capability in any set.
bool drop_to_job_user();
// Runs the job as the job's user and streams its stdout/stderr; returns its wait status once it
// and everything it started are gone.
int run_job(char** argv, char** env, const char* cwd);
// As the job's user: kills whatever of the job is left, then sends the outputs that are regular
// files; if they are over the limits of helper_protocol.hpp, an error record and the end instead,
// and the helper exits.
void collect_outputs(char** outputs);
// The OOM kills the kernel counted in this container's memory cgroup (v1 or v2), or 0.
uint32_t oom_kills();

}  // namespace sccache::sandbox_docker::init
