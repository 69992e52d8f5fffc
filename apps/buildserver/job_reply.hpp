// The answer to one run request, in the client's protocol (docs/wire-protocol.md, "Running a
// job"). Protocol 3: an HTTP error status, or 200 with the result. Protocol 4: once the inputs
// are accepted, start_progress() answers 200 at once and a thread sends an empty frame every
// wire::k_progress_interval while the job waits for its toolchain and slot and runs, so a client
// detects a frozen or unreachable server in seconds; the final frame is then the result or an
// error reply.
//
// Threads: one handler thread calls the methods; the progress thread only writes between
// start_progress() and the final answer, which stops and joins it first. Failure: a client gone
// away makes writes fail quietly (gone() says so); nothing throws from here but start_progress().
#pragma once

#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string_view>
#include <thread>

#include "sccache/transport.hpp"

#include "common/wire_errors.hpp"

namespace sccache {

class JobReply {
 public:
  JobReply(ServerResponse& response, int client_protocol);
  ~JobReply();
  JobReply(const JobReply&) = delete;
  JobReply& operator=(const JobReply&) = delete;

  // No-op for a client of protocol 3.
  void start_progress();
  // The job failed: an HTTP error before start_progress(), an error frame after it.
  void error(wire::ErrorCode code, std::string_view message);
  // The stream the result frame and the outputs' tar go to (200).
  std::ostream& result_stream();
  // Whether a progress write failed (the client hung up or stopped reading).
  bool gone() const;

 private:
  void stop_progress();
  void tick();

  ServerResponse& m_response;
  const bool m_progress;
  std::ostream* m_out = nullptr;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  bool m_gone = false;
  std::thread m_thread;
};

}  // namespace sccache
