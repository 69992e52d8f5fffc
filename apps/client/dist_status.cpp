#include "client/dist_status.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include "client/client_plugins.hpp"
#include "common/wire.hpp"

namespace sccache {
namespace {

std::string json_string(const std::string& text) {
  std::ostringstream out;
  Poco::JSON::Array array;
  array.add(text);
  array.stringify(out);
  std::string s = out.str();
  return s.substr(1, s.size() - 2);  // strip the array brackets
}

int report_not_connected(const std::string& url, const std::string& reason, OutputFormat format,
                         std::ostream& out) {
  if (format == OutputFormat::json) {
    out << fmt::format(R"({{"NotConnected":[{},{}]}})", json_string(url), json_string(reason))
        << "\n";
  } else {
    out << fmt::format("Scheduler {}: not connected: {}\n", url, reason);
  }
  return 1;
}

std::string format_age(uint64_t ms) {
  return fmt::format("{:.1f} s ago", ms / 1000.0);
}

}  // namespace

int print_dist_status(const ClientConfig& config, OutputFormat format, std::ostream& out,
                      std::ostream& err) {
  if (!config.scheduler) {
    if (format == OutputFormat::json) {
      out << R"({"Disabled":"disabled"})"
          << "\n";
    } else {
      out << "Distributed compilation is disabled: no scheduler_url (or scheduler_addr) in the "
             "[dist] section of "
          << client_config_path().string() << "\n";
    }
    return 0;
  }
  const std::string url = config.scheduler->to_string();
  ClientResponse response;
  try {
    auto host = make_client_plugin_host(config);
    auto credentials = make_client_credentials(*host, config);
    ClientOptions options;
    options.ca_file = config.ca_file;
    options.ca_dir = config.ca_dir;
    auto client = host->transport().create_client("http", options, host->context());
    ClientRequest request;
    request.path = std::string(wire::k_status_path);
    request.headers = {{"Authorization", credentials->authorization()}};
    request.timeout = std::chrono::seconds(10);
    response = client->send(
        {config.scheduler->tls, config.scheduler->address.host, config.scheduler->address.port, ""},
        request);
  } catch (const ConfigError& e) {
    err << "sccache: invalid configuration: " << e.what() << "\n";
    return report_not_connected(url, "invalid configuration", format, out);
  } catch (const std::exception& e) {
    return report_not_connected(url, e.what(), format, out);
  }
  if (response.status == 401) {
    return report_not_connected(
        url, "the scheduler refused our credentials: " + wire::error_from_body(response.body),
        format, out);
  }
  if (response.status != 200) {
    return report_not_connected(url,
                                fmt::format("the scheduler answered HTTP {}: {}", response.status,
                                            wire::error_from_body(response.body)),
                                format, out);
  }
  wire::SchedulerStatus status;
  try {
    status = wire::SchedulerStatus::from_json(response.body);
  } catch (const wire::WireError& e) {
    return report_not_connected(url, std::string("unexpected answer: ") + e.what(), format, out);
  }
  if (format == OutputFormat::json) {
    out << fmt::format(R"({{"SchedulerStatus":[{},{}]}})", json_string(url), response.body) << "\n";
    return 0;
  }
  out << fmt::format("Scheduler {}: connected (sccache-dist {})\n", url, status.version);
  out << fmt::format("{} build server{}, {} CPUs, {} job{} in progress\n", status.num_servers,
                     status.num_servers == 1 ? "" : "s", status.num_cpus, status.in_progress,
                     status.in_progress == 1 ? "" : "s");
  if (!status.servers.empty()) {
    out << fmt::format("  {:<24} {:>5} {:>5} {:>6}  {:<15} {}\n", "SERVER", "CPUS", "JOBS", "SLOTS",
                       "LAST HEARTBEAT", "SANDBOX");
    for (const auto& s : status.servers) {
      out << fmt::format("  {:<24} {:>5} {:>5} {:>6}  {:<15} {}\n", s.id, s.num_cpus,
                         s.running_jobs, s.max_jobs, format_age(s.last_heartbeat_ms), s.sandbox);
    }
  }
  return 0;
}

}  // namespace sccache
