#include "transport-http/router.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace sccache::transport_http {

void Router::add(std::string method, std::string path, RouteHandler handler) {
  if (path.empty() || path.front() != '/') {
    throw std::invalid_argument(fmt::format("route path \"{}\" must start with '/'", path));
  }
  if (method.empty()) {
    throw std::invalid_argument(fmt::format("route {} has no method", path));
  }
  if (!handler) {
    throw std::invalid_argument(fmt::format("route {} {} has no handler", method, path));
  }
  Route* route = nullptr;
  for (Route& existing : m_routes) {
    if (existing.path == path) {
      route = &existing;
    }
  }
  if (route == nullptr) {
    route = &m_routes.emplace_back();
    route->path = path;
    route->prefix = path.back() == '/';
  }
  if (!route->by_method.emplace(method, std::move(handler)).second) {
    throw std::invalid_argument(fmt::format("route {} {} is registered twice", method, path));
  }
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  const Route* best = nullptr;
  for (const Route& route : m_routes) {
    bool matches = route.prefix ? path.starts_with(route.path) : path == route.path;
    if (matches && (best == nullptr || route.path.size() > best->path.size())) {
      best = &route;
    }
  }
  Match result;
  if (best == nullptr) {
    return result;
  }
  result.path_known = true;
  if (auto it = best->by_method.find(method); it != best->by_method.end()) {
    result.handler = &it->second;
  }
  for (const auto& [name, handler] : best->by_method) {
    result.allow += result.allow.empty() ? name : ", " + name;
  }
  return result;
}

}  // namespace sccache::transport_http
