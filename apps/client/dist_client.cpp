#include "client/dist_client.hpp"

#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "client/client_plugins.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

constexpr uint32_t k_max_result_frame = 64u << 20;
// How long a build server of protocol 4 may stay silent during a job (it sends progress every
// wire::k_progress_interval), and how long any single read or write of an upload may block.
constexpr std::chrono::seconds k_stall_deadline{5};
constexpr std::chrono::seconds k_upload_stall_deadline{20};
// What a job may send back: its declared outputs (a compiler writes a few files).
constexpr uint64_t k_max_output_entries = 10000;
constexpr uint64_t k_max_outputs_bytes = 4ull << 30;

// The typed error a response carries (common/wire_errors.hpp): what the client acts on.
wire::ErrorInfo error_of(const ClientResponse& response) {
  return wire::error_of(response.status, response.body);
}

std::string describe(const ClientResponse& response, const wire::ErrorInfo& error) {
  return fmt::format("HTTP {} {}: {}", response.status, wire::to_string(error.code), error.message);
}

Endpoint server_endpoint(const wire::AllocReply& alloc) {
  std::string error;
  auto address = parse_host_port(alloc.server_id, &error);
  if (!address) {
    throw DistFailure(FallbackReason::scheduler_error,
                      fmt::format("the scheduler named a server with a bad address: {}", error));
  }
  return {true, address->host, address->port, alloc.cert_sha256};
}

}  // namespace

DistClient::DistClient(const ClientConfig& config)
    : m_config(config),
      m_plugins(make_client_plugin_host(config)),
      m_credentials(make_client_credentials(*m_plugins, config)) {
  ClientOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  options.ca_file = config.ca_file;
  options.ca_dir = config.ca_dir;
  m_transport = m_plugins->transport().create_client("http", options, m_plugins->context());
}

DistClient::~DistClient() = default;

Endpoint DistClient::scheduler_endpoint() const {
  return {m_config.scheduler->tls, m_config.scheduler->address.host,
          m_config.scheduler->address.port, ""};
}

wire::AllocReply DistClient::allocate(const std::string& toolchain_id,
                                      std::chrono::milliseconds queue_wait) {
  ClientRequest request;
  request.method = "POST";
  request.path = std::string(wire::k_alloc_path);
  request.content_type = "application/json";
  request.body =
      wire::AllocRequest{toolchain_id, static_cast<uint32_t>(queue_wait.count())}.to_json();
  request.timeout = std::chrono::seconds(15) + queue_wait;
  ClientResponse response;
  try {
    request.headers = {{"Authorization", m_credentials->authorization()}};
    response = m_transport->send(scheduler_endpoint(), request);
  } catch (const TransportError& e) {
    throw DistFailure(FallbackReason::scheduler_unreachable, e.what());
  } catch (const std::exception& e) {
    throw DistFailure(FallbackReason::auth_refused, fmt::format("no credential: {}", e.what()));
  }
  if (response.status != 200) {
    const wire::ErrorInfo error = error_of(response);
    switch (error.code) {
      case wire::ErrorCode::unauthorized:
        throw DistFailure(FallbackReason::auth_refused,
                          "the scheduler refused our credentials: " + error.message);
      case wire::ErrorCode::no_capacity:
        throw DistFailure(FallbackReason::no_capacity, error.message);
      default:
        throw DistFailure(FallbackReason::scheduler_error, describe(response, error));
    }
  }
  try {
    return wire::AllocReply::from_json(response.body);
  } catch (const wire::WireError& e) {
    throw DistFailure(FallbackReason::scheduler_error, e.what());
  }
}

void DistClient::upload_toolchain(const Endpoint& server, const wire::AllocReply& alloc,
                                  const std::string& toolchain_id, const fs::path& archive) {
  ClientRequest request;
  request.method = "PUT";
  request.path = fmt::format("{}{}", wire::k_toolchain_path_prefix, toolchain_id);
  request.headers = {{"Authorization", "Bearer " + alloc.job_token}};
  request.content_type = "application/octet-stream";
  // Every read and write: a frozen server is given up in seconds, a slow upload is not.
  request.timeout = k_upload_stall_deadline;
  request.body_writer = [&archive](std::ostream& out) {
    std::ifstream in(archive, std::ios::binary);
    if (!in) {
      throw std::runtime_error("cannot read " + archive.string());
    }
    out << in.rdbuf();
  };
  ClientResponse response;
  try {
    response = m_transport->send(server, request);
  } catch (const TransportError& e) {
    throw DistFailure(FallbackReason::server_unreachable, e.what());
  }
  if (response.status != 200) {
    const wire::ErrorInfo error = error_of(response);
    switch (error.code) {
      case wire::ErrorCode::toolchain_too_large:
      case wire::ErrorCode::body_too_large:
        throw DistFailure(FallbackReason::toolchain_too_large, describe(response, error));
      case wire::ErrorCode::toolchain_corrupt:
        throw DistFailure(FallbackReason::toolchain_upload, describe(response, error),
                          DistFailure::Toolchain::corrupt);
      default:
        throw DistFailure(FallbackReason::toolchain_upload, describe(response, error));
    }
  }
}

bool DistClient::run_on_server(const Endpoint& server, const wire::AllocReply& alloc,
                               const RemoteJob& job, const fs::path& outputs_root,
                               RemoteOutcome* outcome) {
  wire::JobCommand command = job.command;
  command.toolchain_id = job.toolchain_id;
  const std::string command_json = command.to_json();
  ClientRequest request;
  request.method = "POST";
  request.path = fmt::format("{}{}", wire::k_run_path_prefix, alloc.job_id);
  request.headers = {{"Authorization", "Bearer " + alloc.job_token}};
  request.content_type = "application/octet-stream";
  // A server of protocol 4 sends a frame every second while the job waits and runs: a silence
  // of k_stall_deadline (every read's timeout) means it is frozen or cut off, and the job is
  // retried elsewhere long before the compile's own timeout.
  const bool progress = alloc.server_protocol >= 4;
  const auto job_deadline = std::chrono::steady_clock::now() +
                            std::chrono::seconds(command.timeout_secs) + std::chrono::seconds(60);
  request.timeout = progress ? k_stall_deadline : std::chrono::seconds(command.timeout_secs + 60);
  request.body_writer = [&](std::ostream& out) {
    wire::write_frame(out, command_json);
    util::write_tar_zst(out, job.inputs);
  };
  std::string error_body;
  int in_band_status = 0;
  bool have_result = false;
  ClientResponse response;
  try {
    response = m_transport->send(server, request, [&](std::istream& in) {
      // A result starts with a frame length (its first byte is 0 below 16 MiB); an error is JSON.
      if (in.peek() == '{' || in.peek() == std::char_traits<char>::eof()) {
        error_body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        return;
      }
      std::string frame = wire::read_final_frame(in, k_max_result_frame, [&] {
        if (std::chrono::steady_clock::now() > job_deadline) {
          throw wire::WireError("the build server kept the job past its timeout");
        }
      });
      if (auto error = parse_error_reply(frame)) {
        // Protocol 4: the job failed after the server had answered 200.
        in_band_status = wire::http_status(
            wire::error_code_from(error->code).value_or(wire::ErrorCode::internal));
        error_body = std::move(frame);
        return;
      }
      outcome->result = wire::JobResult::from_json(frame);
      util::extract_tar(in, outputs_root, {k_max_output_entries, k_max_outputs_bytes});
      have_result = true;
    });
  } catch (const TransportError& e) {
    throw DistFailure(FallbackReason::server_unreachable, e.what());
  } catch (const wire::WireError& e) {
    throw DistFailure(FallbackReason::transfer_error, e.what());
  } catch (const util::ArchiveError& e) {
    throw DistFailure(FallbackReason::transfer_error, e.what());
  }
  response.body = std::move(error_body);
  if (in_band_status != 0) {
    response.status = in_band_status;
  }
  if (response.status != 200 || !have_result) {
    const wire::ErrorInfo error = error_of(response);
    switch (error.code) {
      case wire::ErrorCode::toolchain_missing:
        return false;
      case wire::ErrorCode::sandbox_failure:
        throw DistFailure(FallbackReason::sandbox_error, describe(response, error));
      case wire::ErrorCode::toolchain_failed:
        throw DistFailure(FallbackReason::toolchain_failed, describe(response, error));
      default:
        throw DistFailure(FallbackReason::server_error, describe(response, error));
    }
  }
  outcome->server_id = alloc.server_id;
  outcome->outputs_root = outputs_root;
  return true;
}

void DistClient::report_failure(const wire::AllocReply& alloc, const std::string& reason) noexcept {
  try {
    ClientRequest request;
    request.method = "POST";
    request.path = std::string(wire::k_job_failed_path);
    request.content_type = "application/json";
    request.body = wire::JobFailure{alloc.job_id, alloc.server_id, reason}.to_json();
    request.headers = {{"Authorization", m_credentials->authorization()}};
    request.timeout = std::chrono::seconds(5);
    m_transport->send(scheduler_endpoint(), request);
  } catch (const std::exception& e) {
    spdlog::debug("could not report the failed job to the scheduler: {}", e.what());
  }
}

RemoteOutcome DistClient::run(const RemoteJob& job, const fs::path& outputs_root,
                              std::chrono::milliseconds queue_wait) {
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point since) {
    return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
  };
  auto start = Clock::now();
  const wire::AllocReply alloc = allocate(job.toolchain_id, queue_wait);
  const double alloc_ms = ms_since(start);
  spdlog::debug("job {} allocated on {} in {:.1f} ms", alloc.job_id, alloc.server_id, alloc_ms);
  const Endpoint server = server_endpoint(alloc);
  try {
    RemoteOutcome outcome;
    double upload_ms = 0;
    auto upload = [&] {
      const auto upload_start = Clock::now();
      upload_toolchain(server, alloc, job.toolchain_id, job.toolchain_archive);
      upload_ms += ms_since(upload_start);
    };
    if (alloc.need_toolchain) {
      upload();
    }
    start = Clock::now();
    if (!run_on_server(server, alloc, job, outputs_root, &outcome)) {
      // The scheduler thought the server had the toolchain, but it was evicted or the server
      // restarted: upload it and try once more (the job token is not spent by a 409).
      upload();
      start = Clock::now();
      if (!run_on_server(server, alloc, job, outputs_root, &outcome)) {
        throw DistFailure(FallbackReason::server_error,
                          "the server still lacks the toolchain after an upload");
      }
    }
    outcome.timings_ms = {{"alloc", alloc_ms}, {"upload", upload_ms}, {"run", ms_since(start)}};
    if (outcome.result.term_signal != 0) {
      throw DistFailure(FallbackReason::remote_crash,
                        fmt::format("the compiler was killed by signal {} on {}",
                                    outcome.result.term_signal, alloc.server_id));
    }
    return outcome;
  } catch (const DistFailure& failure) {
    report_failure(alloc, failure.what());
    throw;
  }
}

}  // namespace sccache
