#include <algorithm>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

#include "util/tar.hpp"

namespace util {
namespace {

std::string message_of(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

}  // namespace

struct UntrustedTarReader::StreamState {
  std::istream* in;
  std::vector<char> buffer = std::vector<char>(64 * 1024);
};

namespace {

la_ssize_t read_callback(archive*, void* client, const void** buffer) {
  auto* state = static_cast<UntrustedTarReader::StreamState*>(client);
  state->in->read(state->buffer.data(), static_cast<std::streamsize>(state->buffer.size()));
  *buffer = state->buffer.data();
  return static_cast<la_ssize_t>(state->in->gcount());
}

}  // namespace

void UntrustedTarReader::open_common() {
  if (m_archive == nullptr) {
    throw ArchiveError("libarchive: out of memory");
  }
  archive_read_support_filter_none(m_archive);
  archive_read_support_filter_gzip(m_archive);
  archive_read_support_filter_xz(m_archive);
  archive_read_support_filter_zstd(m_archive);
  archive_read_support_format_tar(m_archive);
}

UntrustedTarReader::UntrustedTarReader(const std::filesystem::path& file, std::string name,
                                       ArchiveLimits limits)
    : m_archive(archive_read_new()), m_name(std::move(name)), m_limits(limits) {
  open_common();
  if (archive_read_open_filename(m_archive, file.c_str(), 65536) != ARCHIVE_OK) {
    std::string message =
        "cannot open " + m_name + ": " + message_of(m_archive) + " (" + k_accepted + ")";
    archive_read_free(m_archive);
    throw ArchiveError(message);
  }
}

UntrustedTarReader::UntrustedTarReader(std::istream& in, std::string name, ArchiveLimits limits)
    : m_stream(std::make_unique<StreamState>()),
      m_archive(archive_read_new()),
      m_name(std::move(name)),
      m_limits(limits) {
  m_stream->in = &in;
  open_common();
  if (archive_read_open(m_archive, m_stream.get(), nullptr, read_callback, nullptr) != ARCHIVE_OK) {
    std::string message = "cannot read " + m_name + ": " + message_of(m_archive);
    archive_read_free(m_archive);
    throw ArchiveError(message);
  }
}

UntrustedTarReader::~UntrustedTarReader() {
  archive_read_free(m_archive);
}

void UntrustedTarReader::too_large() const {
  const uint64_t mib = uint64_t{1} << 20;
  throw ArchiveError("refusing " + m_name + ": more than " +
                     (m_limits.max_bytes % mib == 0
                          ? std::to_string(m_limits.max_bytes / mib) + " MiB"
                          : std::to_string(m_limits.max_bytes) + " bytes") +
                     " uncompressed");
}

void UntrustedTarReader::count_bytes(uint64_t bytes) {
  if (bytes > m_limits.max_bytes - std::min(m_bytes, m_limits.max_bytes)) {
    too_large();
  }
  m_bytes += bytes;
}

archive_entry* UntrustedTarReader::next() {
  archive_entry* entry = nullptr;
  int rc = archive_read_next_header(m_archive, &entry);
  if (rc == ARCHIVE_EOF) {
    return nullptr;
  }
  if (rc < ARCHIVE_WARN) {
    throw ArchiveError("cannot read " + m_name + ": " + message_of(m_archive) + " (" + k_accepted +
                       ")");
  }
  if (++m_entries > m_limits.max_entries) {
    throw ArchiveError("refusing " + m_name + ": more than " +
                       std::to_string(m_limits.max_entries) + " entries");
  }
  // The declared size is checked before any data is read: a bomb stops at its header.
  const uint64_t declared =
      static_cast<uint64_t>(std::max<la_int64_t>(archive_entry_size(entry), 0));
  if (declared > m_limits.max_bytes - std::min(m_declared, m_limits.max_bytes)) {
    too_large();
  }
  m_declared += declared;
  return entry;
}

size_t UntrustedTarReader::read(void* buffer, size_t size) {
  la_ssize_t n = archive_read_data(m_archive, buffer, size);
  if (n < 0) {
    throw ArchiveError("cannot read " + m_name + ": " + message_of(m_archive));
  }
  count_bytes(static_cast<uint64_t>(n));
  return static_cast<size_t>(n);
}

bool UntrustedTarReader::read_block(const void** block, size_t* size, int64_t* offset) {
  la_int64_t at = 0;
  int rc = archive_read_data_block(m_archive, block, size, &at);
  if (rc == ARCHIVE_EOF) {
    return false;
  }
  if (rc < ARCHIVE_WARN) {
    throw ArchiveError("cannot read " + m_name + ": " + message_of(m_archive));
  }
  count_bytes(*size);
  *offset = at;
  return true;
}

std::optional<std::string> clean_archive_path(std::string_view path) {
  std::string result;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    end = end == std::string_view::npos ? path.size() : end;
    std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      return std::nullopt;
    }
    if (!part.empty() && part != ".") {
      if (!result.empty()) {
        result += '/';
      }
      result += part;
    }
    start = end + 1;
  }
  return result;
}

}  // namespace util
