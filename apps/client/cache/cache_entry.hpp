// The bytes of one cache entry: a zstd frame (with its content checksum) holding a small
// versioned record of a compile's results or of a direct-mode manifest. The frame's checksum
// and the record's own lengths make a truncated or damaged entry a CorruptEntry, never a wrong
// object.
//
// Threads: pure functions. Failure: decode_* throw CorruptEntry.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sccache::cache {

class CorruptEntry : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A successful compile's results: what a hit replays.
struct CompileResult {
  struct File {
    std::string kind;  // "object", "depfile"
    uint32_t mode = 0644;
    std::string content;
  };
  std::string stdout_data;
  std::string stderr_data;
  std::vector<File> files;

  const File* file(std::string_view kind) const;
};

std::string encode_result(const CompileResult& result);
CompileResult decode_result(std::string_view bytes);

// The low level: a list of byte strings under a magic word, compressed.
std::string encode_fields(std::string_view magic, const std::vector<std::string>& fields);
std::vector<std::string> decode_fields(std::string_view magic, std::string_view bytes);

}  // namespace sccache::cache
