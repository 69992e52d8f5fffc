#include "client/cache/file_digests.hpp"

#include <sys/stat.h>

#include "util/fs.hpp"
#include "util/sha256.hpp"

#include "client/cache/source_tokens.hpp"

namespace sccache::cache {

namespace {

constexpr size_t k_max_remembered = 200'000;

int64_t ns(const struct timespec& t) {
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

int64_t FileDigests::now_ns() {
  struct timespec t {};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return ns(t);
}

std::optional<FileDigest> FileDigests::digest(const std::filesystem::path& path, int64_t since_ns) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  const int64_t mtime = ns(st.st_mtim);
  const int64_t ctime = ns(st.st_ctim);
  const int64_t since = since_ns == 0 ? now_ns() : std::min(since_ns, now_ns());
  const bool too_new = std::max(mtime, ctime) >= since - 1'000'000'000;
  const std::string key = path.string();
  if (!too_new) {
    std::lock_guard lock(m_mutex);
    auto it = m_known.find(key);
    if (it != m_known.end() && it->second.dev == st.st_dev && it->second.ino == st.st_ino &&
        it->second.size == st.st_size && it->second.mtime_ns == mtime &&
        it->second.ctime_ns == ctime) {
      return FileDigest{it->second.hex, false, it->second.mentions_time, it->second.mentions_date};
    }
  }
  const std::optional<std::string> content = util::read_file(path);
  if (!content) {
    return std::nullopt;
  }
  FileDigest digest{util::sha256_hex(*content), too_new, mentions_time(*content),
                    mentions_date(*content)};
  std::lock_guard lock(m_mutex);
  ++m_hashed;
  if (!too_new) {
    if (m_known.size() >= k_max_remembered) {
      m_known.clear();  // a bound, not an LRU: builds touch far fewer files than this
    }
    m_known[key] = Known{st.st_dev, st.st_ino,  st.st_size,           mtime,
                         ctime,     digest.hex, digest.mentions_time, digest.mentions_date};
  }
  return digest;
}

}  // namespace sccache::cache
