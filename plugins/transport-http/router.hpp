// The server's route table: (method, path) → handler, by exact path, or by prefix for paths that
// end with '/'; the longest matching path wins.
//
// Threads: add() only before the server starts; match() may then run concurrently.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sccache/transport.hpp"

namespace sccache::transport_http {

class Router {
 public:
  // Throws std::invalid_argument for a path not starting with '/', an empty method, or a
  // (method, path) pair registered twice.
  void add(std::string method, std::string path, RouteHandler handler);

  struct Match {
    const RouteHandler* handler = nullptr;  // null: no route for this method
    bool path_known = false;                // some route matches the path (→ 405, else 404)
    std::string allow;                      // the methods of the matching path, for Allow
  };
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string path;
    bool prefix = false;
    std::map<std::string, RouteHandler, std::less<>> by_method;
  };
  std::vector<Route> m_routes;
};

}  // namespace sccache::transport_http
