// Archives built entry by entry with libarchive for the tests of util/tar.hpp: any format and
// filter libarchive can write, and entries util::TarWriter would never make (devices, hard links,
// set-id modes, ".." names), so the reading side can be shown to refuse them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <archive.h>
#include <archive_entry.h>

namespace sccache::test {

enum class ArchiveFormat { pax, zip, cpio, seven_zip };
enum class ArchiveFilter { none, gzip, xz, zstd, bzip2 };

class ArchiveBuilder {
 public:
  explicit ArchiveBuilder(ArchiveFormat format = ArchiveFormat::pax,
                          ArchiveFilter filter = ArchiveFilter::none)
      : m_archive(archive_write_new()) {
    if (m_archive == nullptr) {
      throw std::runtime_error("archive_write_new failed");
    }
    switch (format) {
      case ArchiveFormat::pax:
        check(archive_write_set_format_pax_restricted(m_archive));
        break;
      case ArchiveFormat::zip:
        check(archive_write_set_format_zip(m_archive));
        break;
      case ArchiveFormat::cpio:
        check(archive_write_set_format_cpio_newc(m_archive));
        break;
      case ArchiveFormat::seven_zip:
        check(archive_write_set_format_7zip(m_archive));
        break;
    }
    switch (filter) {
      case ArchiveFilter::none:
        break;
      case ArchiveFilter::gzip:
        check(archive_write_add_filter_gzip(m_archive));
        break;
      case ArchiveFilter::xz:
        check(archive_write_add_filter_xz(m_archive));
        break;
      case ArchiveFilter::zstd:
        check(archive_write_add_filter_zstd(m_archive));
        break;
      case ArchiveFilter::bzip2:
        check(archive_write_add_filter_bzip2(m_archive));
        break;
    }
    // No zero padding after the (compressed) stream, as tar tools writing to a file do.
    check(archive_write_set_bytes_in_last_block(m_archive, 1));
    check(archive_write_open(m_archive, &m_bytes, nullptr, &ArchiveBuilder::append, nullptr));
  }
  ~ArchiveBuilder() { archive_write_free(m_archive); }
  ArchiveBuilder(const ArchiveBuilder&) = delete;
  ArchiveBuilder& operator=(const ArchiveBuilder&) = delete;

  ArchiveBuilder& file(const std::string& path, std::string_view contents, unsigned mode = 0644) {
    archive_entry* e = entry(path, AE_IFREG, mode);
    archive_entry_set_size(e, static_cast<la_int64_t>(contents.size()));
    write(e);
    if (!contents.empty()) {
      data(contents);
    }
    return *this;
  }
  // A regular file of `size` zero bytes, written in blocks (a decompression bomb's payload).
  ArchiveBuilder& zeros(const std::string& path, uint64_t size) {
    archive_entry* e = entry(path, AE_IFREG, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    write(e);
    const std::string block(1 << 20, '\0');
    for (uint64_t done = 0; done < size;) {
      const uint64_t n = std::min<uint64_t>(block.size(), size - done);
      data(std::string_view(block.data(), n));
      done += n;
    }
    return *this;
  }
  ArchiveBuilder& directory(const std::string& path, unsigned mode = 0755) {
    write(entry(path, AE_IFDIR, mode));
    return *this;
  }
  ArchiveBuilder& symlink(const std::string& path, const std::string& target) {
    archive_entry* e = entry(path, AE_IFLNK, 0777);
    archive_entry_copy_symlink(e, target.c_str());
    write(e);
    return *this;
  }
  ArchiveBuilder& hardlink(const std::string& path, const std::string& target) {
    archive_entry* e = entry(path, AE_IFREG, 0644);
    archive_entry_copy_hardlink(e, target.c_str());
    archive_entry_set_size(e, 0);
    write(e);
    return *this;
  }
  // A character or block device, or a FIFO (`type` is AE_IFCHR, AE_IFBLK or AE_IFIFO).
  ArchiveBuilder& node(const std::string& path, unsigned type) {
    archive_entry* e = entry(path, type, 0666);
    if (type != AE_IFIFO) {
      archive_entry_set_rdevmajor(e, 1);
      archive_entry_set_rdevminor(e, 3);  // /dev/null's numbers
    }
    write(e);
    return *this;
  }
  // Ends the archive; its bytes.
  std::string finish() {
    check(archive_write_close(m_archive));
    return m_bytes;
  }

 private:
  static la_ssize_t append(archive*, void* client, const void* buffer, size_t size) {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), size);
    return static_cast<la_ssize_t>(size);
  }
  void check(int rc) {
    if (rc < ARCHIVE_WARN) {
      const char* text = archive_error_string(m_archive);
      throw std::runtime_error(std::string("libarchive: ") + (text ? text : "error"));
    }
  }
  archive_entry* entry(const std::string& path, unsigned type, unsigned mode) {
    archive_entry_clear(m_entry);
    archive_entry_copy_pathname(m_entry, path.c_str());
    archive_entry_set_filetype(m_entry, type);
    archive_entry_set_perm(m_entry, mode);
    archive_entry_set_mtime(m_entry, 0, 0);
    return m_entry;
  }
  void write(archive_entry* e) { check(archive_write_header(m_archive, e)); }
  void data(std::string_view bytes) {
    if (archive_write_data(m_archive, bytes.data(), bytes.size()) < 0) {
      check(ARCHIVE_FATAL);
    }
  }

  archive* m_archive;
  struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
  };
  std::unique_ptr<archive_entry, EntryFree> m_entry_owner{archive_entry_new()};
  archive_entry* m_entry = m_entry_owner.get();
  std::string m_bytes;
};

// One ustar entry written by hand (header, data, then the end-of-archive blocks): for headers
// libarchive's writer would normalise, such as a hard link (typeflag '1') that declares a size,
// which readers report as a regular file with a link target.
inline std::string raw_ustar(const std::string& name, char typeflag, const std::string& linkname,
                             const std::string& data) {
  std::string header(512, '\0');
  auto put = [&](size_t offset, size_t width, const std::string& text) {
    header.replace(offset, std::min(width, text.size()), text.substr(0, width));
  };
  auto octal = [](uint64_t value, size_t digits) {
    std::string text(digits, '0');
    for (size_t i = digits; i-- > 0 && value > 0; value >>= 3) {
      text[i] = static_cast<char>('0' + (value & 7));
    }
    return text;
  };
  put(0, 100, name);
  put(100, 8, octal(0644, 7));
  put(108, 8, octal(0, 7));
  put(116, 8, octal(0, 7));
  put(124, 12, octal(data.size(), 11));
  put(136, 12, octal(0, 11));
  header[156] = typeflag;
  put(157, 100, linkname);
  put(257, 6, std::string("ustar\0", 6));
  put(263, 2, "00");
  put(148, 8, std::string(8, ' '));  // the checksum counts its own field as spaces
  unsigned sum = 0;
  for (unsigned char c : header) {
    sum += c;
  }
  put(148, 8, octal(sum, 6) + std::string("\0 ", 2));
  std::string padded = data;
  padded.resize((data.size() + 511) / 512 * 512, '\0');
  return header + padded + std::string(1024, '\0');
}

}  // namespace sccache::test
