// Reaching the local sccache server: where its Unix socket is, connecting to it safely, and
// moving protocol frames (common/server_protocol.hpp). Used by the `sccache` wrapper, which links
// nothing but the C and C++ runtimes, so this depends on POSIX alone.
//
// Safety: the socket lives in a directory only this user can enter (0700, owned by them), and a
// connection counts only if the process at the other end runs as this user (SO_PEERCRED) — so no
// other local user can pose as our server and read our sources.
// Threads: no shared state. Failure: values with an error text, never exceptions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sccache::server_socket {

// `environment` ("KEY=value") decides: SCCACHE_SERVER_UDS if set, else
// $XDG_RUNTIME_DIR/sccache/server.sock, else /tmp/sccache-<uid>/server.sock.
std::string socket_path(const std::vector<std::string>& environment);

// Makes the socket's directory (0700) if it is missing, and checks that it belongs to this user
// and nobody else may enter it. "" if fine, else why not.
std::string prepare_socket_dir(const std::string& socket_path);

// A connected socket to the server at `path`, or -1 with `error` set. Refuses a socket file or a
// server process owned by another user.
int connect_to_server(const std::string& path, std::string* error);

// Whether the process at the other end of `fd` runs as this user.
bool peer_is_this_user(int fd);

// What a server build is: `version` and the identity of its binary (device, inode,
// modification time), so a wrapper tells a reinstalled server from the running one.
std::string build_identity(const std::string& server_binary, std::string_view version);

// Writes all of `data` (a socket, a pipe or a file); false (errno set) on failure.
bool write_all(int fd, std::string_view data);

// Reads one whole frame's body into `body`, keeping surplus bytes in `buffer` for the next call.
// Waits at most `timeout` for data to arrive (each wait; a slow but steady peer is fine).
enum class ReadResult { frame, closed, timeout, error };
ReadResult read_frame(int fd, std::string& buffer, std::string& body,
                      std::chrono::milliseconds timeout);

}  // namespace sccache::server_socket
