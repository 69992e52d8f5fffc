// Which toolchain archives become images: tars, plain or compressed with gzip, xz or zstd, and
// nothing else, so no other libarchive format parser or decompressor (nor an mtree that reads
// host files) ever runs on what a client uploaded.
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

#include "plugins/sandbox_docker/docker_fixture.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::docker;
namespace fs = std::filesystem;

namespace {

struct ArchiveKind {
  std::string file_name;
  std::function<int(archive*)> set_format;
  std::function<int(archive*)> add_filter;
};

// Writes an archive holding bin/hello in `kind`'s format and filter; false if this libarchive
// cannot write that kind.
bool write_archive(const fs::path& path, const ArchiveKind& kind) {
  std::unique_ptr<archive, int (*)(archive*)> out(archive_write_new(), archive_write_free);
  if (kind.set_format(out.get()) != ARCHIVE_OK || kind.add_filter(out.get()) != ARCHIVE_OK ||
      archive_write_open_filename(out.get(), path.c_str()) != ARCHIVE_OK) {
    return false;
  }
  const std::string contents = "hello\n";
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                 archive_entry_free);
  archive_entry_set_pathname(entry.get(), "bin/hello");
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(contents.size()));
  return archive_write_header(out.get(), entry.get()) == ARCHIVE_OK &&
         archive_write_data(out.get(), contents.data(), contents.size()) ==
             static_cast<la_ssize_t>(contents.size()) &&
         archive_write_close(out.get()) == ARCHIVE_OK;
}

}  // namespace

TEST_CASE("only tars, plain or compressed with gzip, xz or zstd, become toolchain images") {
  require_docker_engine();
  TempDir dir("sccache-docker-archives");
  TestSandbox sandbox("pool_size = 0\n");
  sandbox->check_ready();

  const std::vector<ArchiveKind> accepted = {
      {"plain.tar", archive_write_set_format_pax_restricted, archive_write_add_filter_none},
      {"gzip.tar.gz", archive_write_set_format_pax_restricted, archive_write_add_filter_gzip},
      {"xz.tar.xz", archive_write_set_format_pax_restricted, archive_write_add_filter_xz},
      {"zstd.tar.zst", archive_write_set_format_pax_restricted, archive_write_add_filter_zstd},
      {"ustar.tar", archive_write_set_format_ustar, archive_write_add_filter_none},
  };
  std::set<std::string> ids;
  for (const auto& kind : accepted) {
    INFO(kind.file_name);
    const fs::path path = dir / kind.file_name;
    REQUIRE(write_archive(path, kind));
    const std::string id = archive_id(path);
    sandbox->prepare_toolchain(id, path);
    CHECK(sandbox->has_toolchain(id));
    ids.insert(id);  // a plain pax tar of so little is a ustar tar, byte for byte
  }

  const std::vector<ArchiveKind> refused = {
      {"stored.zip", archive_write_set_format_zip, archive_write_add_filter_none},
      {"seven.7z", archive_write_set_format_7zip, archive_write_add_filter_none},
      {"old.cpio", archive_write_set_format_cpio, archive_write_add_filter_none},
      {"disc.iso", archive_write_set_format_iso9660, archive_write_add_filter_none},
      {"compress.tar.Z", archive_write_set_format_pax_restricted,
       archive_write_add_filter_compress},
      {"bzip2.tar.bz2", archive_write_set_format_pax_restricted, archive_write_add_filter_bzip2},
      {"lz4.tar.lz4", archive_write_set_format_pax_restricted, archive_write_add_filter_lz4},
      {"uu.tar.uu", archive_write_set_format_pax_restricted, archive_write_add_filter_uuencode},
  };
  std::vector<fs::path> archives;
  for (const auto& kind : refused) {
    if (write_archive(dir / kind.file_name, kind)) {
      archives.push_back(dir / kind.file_name);
    } else {
      WARN("this libarchive cannot write " << kind.file_name << "; not tried");
    }
  }
  // An mtree names files of the machine that reads it: read, it would copy a host file in.
  write_file(dir / "host.mtree", "#mtree\n./leak type=file contents=/etc/passwd\n");
  archives.push_back(dir / "host.mtree");
  REQUIRE(archives.size() >= 5);
  for (const auto& path : archives) {
    INFO(path.filename().string());
    const std::string id = archive_id(path);
    std::string error = sandbox_error([&] { sandbox->prepare_toolchain(id, path); });
    CHECK(error.find(path.filename().string()) != std::string::npos);
    CHECK(error.find("gzip, xz or zstd") != std::string::npos);
    CHECK_FALSE(sandbox->has_toolchain(id));
  }
  CHECK(sandbox.engine().images().size() == ids.size());
}
