#include "buildserver/job_reply.hpp"

#include "common/http_replies.hpp"
#include "common/wire.hpp"

namespace sccache {

JobReply::JobReply(ServerResponse& response, int client_protocol)
    : m_response(response), m_progress(client_protocol >= 4) {}

JobReply::~JobReply() {
  stop_progress();
}

void JobReply::start_progress() {
  if (!m_progress || m_out != nullptr) {
    return;
  }
  m_out = &m_response.stream(200, "application/octet-stream");
  m_thread = std::thread([this] { tick(); });
}

void JobReply::tick() {
  std::unique_lock lock(m_mutex);
  while (!m_stop && !m_gone) {
    try {
      wire::write_progress_frame(*m_out);
      m_gone = !m_out->good();
    } catch (const std::exception&) {
      m_gone = true;
    }
    m_wake.wait_for(lock, wire::k_progress_interval, [this] { return m_stop; });
  }
}

void JobReply::stop_progress() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void JobReply::error(wire::ErrorCode code, std::string_view message) {
  stop_progress();
  if (m_out == nullptr) {
    if (code == wire::ErrorCode::unauthorized) {
      reply_unauthorized(m_response, message);
    } else {
      reply_error(m_response, code, message);
    }
    return;
  }
  try {
    wire::write_frame(*m_out, wire::error_json(code, message));
    m_out->flush();
  } catch (const std::exception&) {
    // The client is gone: nobody to tell.
  }
}

std::ostream& JobReply::result_stream() {
  stop_progress();
  if (m_out == nullptr) {
    m_out = &m_response.stream(200, "application/octet-stream");
  }
  return *m_out;
}

bool JobReply::gone() const {
  std::lock_guard lock(m_mutex);
  return m_gone;
}

}  // namespace sccache
