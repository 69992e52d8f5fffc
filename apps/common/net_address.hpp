// Network addresses as they appear in config files: "ip:port", a bare "ip" (seed-era
// scheduler_addr), "[v6]:port", and "http(s)://host[:port][/]" URLs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sccache {

// The scheduler's port when none is given: the seed-era default, used both by the scheduler's
// listener (scheduler.conf without public_addr) and by a bare-IP scheduler_addr.
inline constexpr uint16_t k_default_scheduler_port = 10500;
// The build server's conventional port ("you must use port 10501" in the seed quickstart).
inline constexpr uint16_t k_default_server_port = 10501;

struct HostPort {
  std::string host;  // IP literal or DNS name, without brackets
  uint16_t port = 0;
  std::string to_string() const;  // "host:port", "[v6]:port"
};

// "host:port" (port required). nullopt, with `error` set, if malformed.
std::optional<HostPort> parse_host_port(std::string_view text, std::string* error);
// A bare IP or host, optionally with ":port"; the port defaults to `default_port`.
std::optional<HostPort> parse_host_optional_port(std::string_view text, uint16_t default_port,
                                                 std::string* error);

struct HttpUrl {
  bool tls = false;
  HostPort address;
  std::string to_string() const;  // "http://host:port"
};
// "http://host[:port][/]" or "https://...". A path other than "/" is an error (as upstream). A
// string without a scheme is read as "http://<text>" (upstream accepts a bare "ip:port").
std::optional<HttpUrl> parse_http_url(std::string_view text, uint16_t default_port,
                                      std::string* error);

bool is_ip_literal(std::string_view host);
bool is_loopback_ip(std::string_view host);

}  // namespace sccache
