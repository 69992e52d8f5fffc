// Tar archives through libarchive: a writer (deterministic metadata, optional zstd), a reader for
// archives from untrusted peers (tar only, a few filters, capped), and the extraction of job
// inputs and outputs into a directory.
//
// Threads: one object per thread. Failure: ArchiveError, whose message names the archive and
// the entry where it can.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct archive;
struct archive_entry;

namespace util {

// A refused or unreadable archive — or, with out_of_space(), a destination that could not hold
// it (ENOSPC, EDQUOT): then the archive is not at fault and a receiver with room may take it.
class ArchiveError : public std::runtime_error {
 public:
  explicit ArchiveError(const std::string& message, bool out_of_space = false)
      : std::runtime_error(message), m_out_of_space(out_of_space) {}
  bool out_of_space() const noexcept { return m_out_of_space; }

 private:
  bool m_out_of_space;
};

// ---- writing ---------------------------------------------------------------------------------

// Receives the archive's bytes; throws to abort the archive.
using ArchiveSink = std::function<void(const void* data, size_t size)>;
ArchiveSink sink_to(std::ostream& out);

enum class Compression { none, zstd };

struct TarWriterOptions {
  Compression compression = Compression::none;
  int zstd_level = 3;
  unsigned zstd_threads = 0;  // 0: single-threaded (the bytes are the same for any count >= 1)
};

// Writes a pax tar. Entries made by add_directory/add_file/add_symlink are owned by root with
// mtime 0, so the same entries always give the same bytes.
class TarWriter {
 public:
  TarWriter(ArchiveSink sink, TarWriterOptions options = {});
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void add_directory(const std::string& path, unsigned mode);
  void add_symlink(const std::string& path, const std::string& target);
  void add_file(const std::string& path, unsigned mode, std::string_view contents);
  // A regular host file; its size is fixed when it is opened (a file that changes size while
  // being read throws).
  void add_file_from(const std::string& path, unsigned mode, const std::filesystem::path& file);
  // An entry exactly as the caller filled it in, then its data with write_data().
  void add_raw(archive_entry* entry);
  void write_data(const void* data, size_t size);
  // Writes the end of the archive. Must be called for a complete archive.
  void finish();

  struct Sink;  // opaque: what libarchive's callback writes to

 private:
  void header(archive_entry* entry, const std::string& path);
  std::unique_ptr<Sink> m_sink;
  archive* m_archive;
};

// An entry of write_tar_zst(): a host file, or bytes in memory.
struct TarEntry {
  std::string name;              // the path in the archive (an absolute path is fine)
  std::filesystem::path source;  // host file to read, if `contents` is not used
  std::string contents;          // in-memory contents, used when `source` is empty
  unsigned mode = 0644;
};
// Regular files as a zstd-compressed tar (level 1 suits data on a request's path).
void write_tar_zst(std::ostream& out, const std::vector<TarEntry>& entries, int level = 1);

// ---- reading archives from untrusted peers ---------------------------------------------------

struct ArchiveLimits {
  uint64_t max_entries;
  uint64_t max_bytes;  // of file data, uncompressed
};

// Reads a tar — plain, or compressed with gzip, xz or zstd — and nothing else: no other format's
// parser (zip, rar, 7z, iso, mtree, ...) and no external decompressor ever runs on a peer's data.
// Entries and uncompressed bytes are counted against the limits, so a decompression bomb stops
// before it fills a disk.
class UntrustedTarReader {
 public:
  // `name` is how messages call the archive.
  UntrustedTarReader(const std::filesystem::path& file, std::string name, ArchiveLimits limits);
  UntrustedTarReader(std::istream& in, std::string name, ArchiveLimits limits);
  ~UntrustedTarReader();
  UntrustedTarReader(const UntrustedTarReader&) = delete;
  UntrustedTarReader& operator=(const UntrustedTarReader&) = delete;

  // The next entry (owned by the reader, valid until the next call), or nullptr at the end.
  // Throws for a corrupt archive or past max_entries; a declared size past max_bytes throws here,
  // before any of it is read.
  archive_entry* next();
  // Reads the current entry's data: bytes read, 0 at its end.
  size_t read(void* buffer, size_t size);
  // As libarchive's archive_read_data_block (sparse files keep their holes): false at the end.
  bool read_block(const void** block, size_t* size, int64_t* offset);
  uint64_t entries() const { return m_entries; }
  const std::string& name() const { return m_name; }
  // What the archive is, for messages that refuse it.
  static constexpr const char* k_accepted =
      "archives are tars: plain, or compressed with gzip, xz or zstd";

  struct StreamState;  // opaque: what libarchive's callback reads from

 private:
  void open_common();
  void count_bytes(uint64_t bytes);
  [[noreturn]] void too_large() const;
  std::unique_ptr<StreamState> m_stream;
  archive* m_archive;
  std::string m_name;
  ArchiveLimits m_limits;
  uint64_t m_entries = 0;
  uint64_t m_bytes = 0;
  uint64_t m_declared = 0;
};

// The relative, normalised form of an archive path ("/a/./b" -> "a/b"); "" for the root itself;
// nullopt when it climbs out with "..".
std::optional<std::string> clean_archive_path(std::string_view path);

// Extracts regular files and directories only (job inputs and outputs) under `root`, refusing
// "..", links, devices and FIFOs, and dropping set-id and group/other write bits. Returns the
// archive paths of the files extracted.
std::vector<std::string> extract_tar(std::istream& in, const std::filesystem::path& root,
                                     ArchiveLimits limits);

}  // namespace util
