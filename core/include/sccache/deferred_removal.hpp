// Removing scratch trees off the hot path: a job's reply should not wait for `rm -rf` of its
// build directory. One worker thread per process removes queued trees in order.
//
// Threads: both functions are thread-safe. Failure: removal errors are ignored (a leftover tree
// is cleaned at the next start by whoever owns the parent directory).
#pragma once

#include <filesystem>

namespace sccache {

// Queues `path` for recursive removal and returns at once.
void remove_tree_later(std::filesystem::path path);
// Waits until every tree queued so far is gone (for tests and orderly shutdown).
void flush_deferred_removals();

}  // namespace sccache
