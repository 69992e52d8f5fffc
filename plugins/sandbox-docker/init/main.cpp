// sccache-docker-init: PID 1 of every job container of the docker sandbox.
//
// Built as a static binary (the toolchain's userland may be anything and has no shell) and
// embedded into the plugin, which adds it to every toolchain image at /.sccache-dist/init. It runs
// as root with only CAP_CHOWN, CAP_SETUID, CAP_SETGID and CAP_SETPCAP. One container runs one job:
//   1. say "ready" on stdout (the container is warm and waits in the pool);
//   2. read the job from stdin (helper_protocol.hpp) and create its input tree at "/", giving the
//      directories and files to the job's user;
//   3. run the compiler as that user with no capabilities (bounding set dropped, no_new_privs set
//      by the engine), exactly the job's argv, environment and cwd, stdin /dev/null, its stdout
//      and stderr streamed back as they come;
//   4. when the compiler exits, a child as the job's user kills everything the job left
//      (kill(-1)) and sends back the requested outputs that are regular files, with the job's own
//      permissions; then the exit status and "end"; exit.
// Failures to set up or start the job are reported as an error record; the plugin turns them into
// SandboxError. Only libc is used, so the binary stays small.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox-docker/init/init.hpp"

using namespace sccache::sandbox_docker::init;
namespace proto = sccache::sandbox_docker::protocol;

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--probe") == 0) {  // the readiness check's job
    printf("sccache-docker-init uid=%u gid=%u\n", getuid(), getgid());
    return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  // An input file over the container's RLIMIT_FSIZE is then an error record, not a silent death.
  signal(SIGXFSZ, SIG_IGN);
  record_header(proto::k_reply_ready, 0);

  char magic[sizeof proto::k_request_magic];
  read_exact(magic, sizeof magic);
  if (memcmp(magic, proto::k_request_magic, sizeof magic) != 0) {
    fail("protocol error:", "bad request magic", EPROTO);
  }
  g_uid = static_cast<uid_t>(read_uint(4));
  g_gid = static_cast<gid_t>(read_uint(4));
  if (g_uid == 0 || g_gid == 0) {
    fail("protocol error:", "jobs never run as root", EPROTO);
  }
  char** job_argv = read_list();
  char** job_env = read_list();
  char* cwd = read_string();
  char** outputs = read_list();
  if (job_argv[0] == nullptr) {
    fail("protocol error:", "empty argv", EPROTO);
  }
  receive_inputs();

  int status = run_job(job_argv, job_env, cwd);
  collect_outputs(outputs);
  unsigned char exit_record[9];
  exit_record[0] = WIFSIGNALED(status) ? 1 : 0;
  put_u32(exit_record + 1,
          static_cast<uint32_t>(WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)));
  put_u32(exit_record + 5, oom_kills());
  record(proto::k_reply_exit, exit_record, sizeof exit_record);
  record_header(proto::k_reply_end, 0);
  return 0;
}
