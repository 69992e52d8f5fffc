// A Unix socket in front of the real Docker engine that passes every connection through, except
// the requests a test wants the engine to answer wrongly: those it answers itself. For the
// sandbox's handling of malformed or failed engine answers, which a real engine does not give on
// demand.
//
// Threads: answer(), clear() and answered() are thread-safe; one thread per connection, all
// joined by the destructor.
#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sccache::test::docker {

class EngineProxy {
 public:
  // Listens on `socket`, passing connections to the engine at `engine_socket`.
  EngineProxy(std::filesystem::path engine_socket, std::filesystem::path socket);
  ~EngineProxy();
  EngineProxy(const EngineProxy&) = delete;
  EngineProxy& operator=(const EngineProxy&) = delete;

  const std::filesystem::path& socket() const { return m_socket; }
  // From now on, a request whose request line starts with `request` ("GET /v1.41/containers/json")
  // is answered with `status` and the JSON `body` instead of going to the engine.
  void answer(const std::string& request, int status, const std::string& body);
  // Passes everything through again.
  void clear();
  // How many requests were answered by the proxy so far.
  int answered() const { return m_answered; }

 private:
  struct Rule {
    std::string request;
    int status;
    std::string body;
  };

  void accept_loop();
  void serve(int client);
  bool answer_if_asked(int client, const std::string& head, std::string& rest);

  std::filesystem::path m_engine_socket;
  std::filesystem::path m_socket;
  int m_listener = -1;
  int m_wake[2] = {-1, -1};  // written to stop the accept loop
  std::atomic<bool> m_stopping{false};
  std::atomic<int> m_answered{0};
  std::mutex m_mutex;
  std::vector<Rule> m_rules;           // guarded by m_mutex
  std::vector<int> m_open;             // connection fds; guarded by m_mutex
  std::vector<std::thread> m_threads;  // touched by the accept loop, then the destructor
  std::thread m_acceptor;
};

}  // namespace sccache::test::docker
