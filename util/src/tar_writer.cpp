#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

#include "util/tar.hpp"
#include "util/unique_fd.hpp"

namespace util {
namespace {

struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

std::string message_of(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

EntryPtr new_entry(const std::string& path, mode_t type, unsigned mode) {
  EntryPtr e(archive_entry_new());
  if (!e) {
    throw ArchiveError("libarchive: out of memory");
  }
  archive_entry_copy_pathname(e.get(), path.c_str());
  archive_entry_set_filetype(e.get(), type);
  archive_entry_set_perm(e.get(), mode);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  archive_entry_set_mtime(e.get(), 0, 0);
  return e;
}

}  // namespace

ArchiveSink sink_to(std::ostream& out) {
  return [&out](const void* data, size_t size) {
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) {
      throw ArchiveError("cannot write the archive: the stream failed");
    }
  };
}

struct TarWriter::Sink {
  ArchiveSink write;
  std::string error;  // what the sink threw, for the message libarchive passes on
};

namespace {

la_ssize_t write_callback(archive* a, void* client, const void* data, size_t size) {
  auto* sink = static_cast<TarWriter::Sink*>(client);
  try {
    sink->write(data, size);
  } catch (const std::exception& e) {
    sink->error = e.what();
    archive_set_error(a, EIO, "%s", e.what());
    return -1;
  }
  return static_cast<la_ssize_t>(size);
}

}  // namespace

TarWriter::TarWriter(ArchiveSink sink, TarWriterOptions options)
    : m_sink(std::make_unique<Sink>(Sink{std::move(sink), {}})), m_archive(archive_write_new()) {
  if (m_archive == nullptr) {
    throw ArchiveError("libarchive: out of memory");
  }
  auto check = [&](int rc, const char* what) {
    if (rc < ARCHIVE_WARN) {
      std::string message = std::string(what) + ": " + message_of(m_archive);
      archive_write_free(m_archive);
      throw ArchiveError(message);
    }
  };
  check(archive_write_set_format_pax_restricted(m_archive), "libarchive pax format");
  if (options.compression == Compression::zstd) {
    check(archive_write_add_filter_zstd(m_archive), "libarchive zstd filter");
    check(archive_write_set_filter_option(m_archive, "zstd", "compression-level",
                                          std::to_string(options.zstd_level).c_str()),
          "libarchive zstd level");
    if (options.zstd_threads > 0) {  // optional: older libarchive rejects it
      archive_write_set_filter_option(m_archive, "zstd", "threads",
                                      std::to_string(options.zstd_threads).c_str());
    }
  }
  archive_write_set_bytes_in_last_block(m_archive, 1);  // no padding after the stream
  check(archive_write_open(m_archive, m_sink.get(), nullptr, write_callback, nullptr),
        "cannot start the archive");
}

TarWriter::~TarWriter() {
  archive_write_free(m_archive);
}

void TarWriter::header(archive_entry* entry, const std::string& path) {
  if (archive_write_header(m_archive, entry) < ARCHIVE_WARN) {
    throw ArchiveError("cannot archive " + path + ": " + message_of(m_archive));
  }
}

void TarWriter::add_directory(const std::string& path, unsigned mode) {
  EntryPtr e = new_entry(path, AE_IFDIR, mode);
  header(e.get(), path);
}

void TarWriter::add_symlink(const std::string& path, const std::string& target) {
  EntryPtr e = new_entry(path, AE_IFLNK, 0777);
  archive_entry_copy_symlink(e.get(), target.c_str());
  header(e.get(), path);
}

void TarWriter::add_file(const std::string& path, unsigned mode, std::string_view contents) {
  EntryPtr e = new_entry(path, AE_IFREG, mode);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(contents.size()));
  header(e.get(), path);
  write_data(contents.data(), contents.size());
}

void TarWriter::add_file_from(const std::string& path, unsigned mode,
                              const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
    throw ArchiveError("cannot open " + file.string() + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw ArchiveError(file.string() + " is not a regular file");
  }
  EntryPtr e = new_entry(path, AE_IFREG, mode);
  archive_entry_set_size(e.get(), st.st_size);
  header(e.get(), path);
  std::vector<char> buffer(1 << 18);
  int64_t left = st.st_size;
  while (left > 0) {
    ssize_t n = ::read(fd.get(), buffer.data(),
                       static_cast<size_t>(std::min<int64_t>(left, int64_t(buffer.size()))));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw ArchiveError("cannot read " + file.string() + ": " +
                         (n < 0 ? std::strerror(errno) : "it shrank while being archived"));
    }
    write_data(buffer.data(), static_cast<size_t>(n));
    left -= n;
  }
}

void TarWriter::add_raw(archive_entry* entry) {
  const char* path = archive_entry_pathname(entry);
  header(entry, path != nullptr ? path : "?");
}

void TarWriter::write_data(const void* data, size_t size) {
  if (size > 0 && archive_write_data(m_archive, data, size) < 0) {
    throw ArchiveError("cannot write archive data: " + message_of(m_archive));
  }
}

void TarWriter::finish() {
  if (archive_write_close(m_archive) != ARCHIVE_OK) {
    throw ArchiveError("cannot finish the archive: " + message_of(m_archive));
  }
}

void write_tar_zst(std::ostream& out, const std::vector<TarEntry>& entries, int level) {
  TarWriter writer(sink_to(out), {Compression::zstd, level, 0});
  for (const auto& e : entries) {
    if (e.source.empty()) {
      writer.add_file(e.name, e.mode, e.contents);
    } else {
      writer.add_file_from(e.name, e.mode, e.source);
    }
  }
  writer.finish();
}

}  // namespace util
