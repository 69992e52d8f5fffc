#include "common/net_address.hpp"

#include <arpa/inet.h>
#include <charconv>

#include <fmt/format.h>

namespace sccache {

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", host, port);
  }
  return fmt::format("{}:{}", host, port);
}

std::string HttpUrl::to_string() const {
  return fmt::format("{}://{}", tls ? "https" : "http", address.to_string());
}

bool is_ip_literal(std::string_view host) {
  std::string h(host);
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, h.c_str(), buffer) == 1 || inet_pton(AF_INET6, h.c_str(), buffer) == 1;
}

bool is_loopback_ip(std::string_view host) {
  std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  return inet_pton(AF_INET6, h.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

namespace {

bool parse_port(std::string_view text, uint16_t* port, std::string* error) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    *error = "the port must be a number from 1 to 65535";
    return false;
  }
  *port = static_cast<uint16_t>(value);
  return true;
}

// Splits "host", "host:port", "[v6]" or "[v6]:port". `port_text` is empty when absent.
bool split_host_port(std::string_view text, std::string* host, std::string_view* port_text,
                     std::string* error) {
  if (text.empty()) {
    *error = "the address is empty";
    return false;
  }
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      *error = "missing ']' in an IPv6 address";
      return false;
    }
    *host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      *error = "unexpected text after ']'";
      return false;
    }
    *port_text = rest.empty() ? rest : rest.substr(1);
    if (!rest.empty() && port_text->empty()) {
      *error = "the port is empty";
      return false;
    }
    return true;
  }
  size_t colon = text.rfind(':');
  if (colon != std::string_view::npos && text.find(':') != colon) {
    // Several colons and no brackets: a bare IPv6 address without a port.
    *host = std::string(text);
    *port_text = {};
    return true;
  }
  *host = std::string(text.substr(0, colon));
  *port_text = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (colon != std::string_view::npos && port_text->empty()) {
    *error = "the port is empty";
    return false;
  }
  if (host->empty()) {
    *error = "the host is empty";
    return false;
  }
  return true;
}

}  // namespace

std::optional<HostPort> parse_host_port(std::string_view text, std::string* error) {
  HostPort result;
  std::string_view port_text;
  if (!split_host_port(text, &result.host, &port_text, error)) {
    return std::nullopt;
  }
  if (port_text.empty()) {
    *error = "expected \"host:port\" (the port is missing)";
    return std::nullopt;
  }
  if (!parse_port(port_text, &result.port, error)) {
    return std::nullopt;
  }
  return result;
}

std::optional<HostPort> parse_host_optional_port(std::string_view text, uint16_t default_port,
                                                 std::string* error) {
  HostPort result;
  std::string_view port_text;
  if (!split_host_port(text, &result.host, &port_text, error)) {
    return std::nullopt;
  }
  result.port = default_port;
  if (!port_text.empty() && !parse_port(port_text, &result.port, error)) {
    return std::nullopt;
  }
  return result;
}

std::optional<HttpUrl> parse_http_url(std::string_view text, uint16_t default_port,
                                      std::string* error) {
  HttpUrl url;
  if (text.starts_with("https://")) {
    url.tls = true;
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else if (text.find("://") != std::string_view::npos) {
    *error = "only http:// and https:// URLs are supported";
    return std::nullopt;
  }
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    if (text.substr(slash) != "/") {
      *error = "the URL must not have a path (only \"/\")";
      return std::nullopt;
    }
    text = text.substr(0, slash);
  }
  auto address = parse_host_optional_port(text, default_port, error);
  if (!address) {
    return std::nullopt;
  }
  url.address = *address;
  return url;
}

}  // namespace sccache
