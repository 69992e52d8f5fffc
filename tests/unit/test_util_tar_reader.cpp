// util::UntrustedTarReader's policy: a tar, plain or compressed with gzip, xz or zstd, is read;
// every other format libarchive knows (zip, cpio, 7z, ...) and every other filter is refused
// before its parser runs on the data; entries and uncompressed bytes are capped.
#include <sstream>

#include <catch2/catch.hpp>

#include "util/tar.hpp"

#include "support/test_support.hpp"
#include "unit/archive_builder.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

constexpr util::ArchiveLimits k_roomy{1000, 64 << 20};

// Reads every entry and its data; "name=contents" per entry.
std::vector<std::string> read_all(util::UntrustedTarReader& reader) {
  std::vector<std::string> entries;
  while (archive_entry* entry = reader.next()) {
    std::string contents;
    char buffer[4096];
    while (size_t n = reader.read(buffer, sizeof buffer)) {
      contents.append(buffer, n);
    }
    entries.push_back(std::string(archive_entry_pathname(entry)) + "=" + contents);
  }
  return entries;
}

std::vector<std::string> read_bytes(const std::string& bytes, util::ArchiveLimits limits) {
  std::istringstream in(bytes);
  util::UntrustedTarReader reader(in, "the upload", limits);
  return read_all(reader);
}

// The ArchiveError message of reading `bytes` from a stream and from a file (they must agree
// that it is refused), or "(no ArchiveError)".
std::string refusal(const std::string& bytes, util::ArchiveLimits limits = k_roomy) {
  std::string from_stream = "(no ArchiveError)";
  try {
    read_bytes(bytes, limits);
  } catch (const util::ArchiveError& e) {
    from_stream = e.what();
  }
  TempDir dir("sccache-tar-reader");
  write_file(dir / "archive", bytes);
  std::string from_file = "(no ArchiveError)";
  try {
    util::UntrustedTarReader reader(dir / "archive", "the upload", limits);
    read_all(reader);
  } catch (const util::ArchiveError& e) {
    from_file = e.what();
  }
  CHECK((from_file == "(no ArchiveError)") == (from_stream == "(no ArchiveError)"));
  return from_stream;
}

std::string two_files(ArchiveFormat format, ArchiveFilter filter) {
  return ArchiveBuilder(format, filter).file("a.txt", "alpha").file("dir/b.txt", "beta").finish();
}

}  // namespace

TEST_CASE("a tar is read plain and with each accepted filter") {
  const std::pair<ArchiveFilter, const char*> filters[] = {{ArchiveFilter::none, "none"},
                                                           {ArchiveFilter::gzip, "gzip"},
                                                           {ArchiveFilter::xz, "xz"},
                                                           {ArchiveFilter::zstd, "zstd"}};
  for (const auto& [filter, name] : filters) {
    INFO(name);
    const std::string bytes = two_files(ArchiveFormat::pax, filter);
    CHECK(read_bytes(bytes, k_roomy) == std::vector<std::string>{"a.txt=alpha", "dir/b.txt=beta"});
    CHECK(refusal(bytes) == "(no ArchiveError)");
  }
}

TEST_CASE("zip, cpio and 7z archives are refused, and so is a bzip2-compressed tar") {
  const std::pair<std::string, std::string> archives[] = {
      {"zip", two_files(ArchiveFormat::zip, ArchiveFilter::none)},
      {"cpio", two_files(ArchiveFormat::cpio, ArchiveFilter::none)},
      {"gzip cpio", two_files(ArchiveFormat::cpio, ArchiveFilter::gzip)},
      {"7z", two_files(ArchiveFormat::seven_zip, ArchiveFilter::none)},
      {"tar.bz2", two_files(ArchiveFormat::pax, ArchiveFilter::bzip2)},
      {"no archive", std::string(4096, 'x')},
  };
  for (const auto& [kind, bytes] : archives) {
    INFO(kind);
    const std::string message = refusal(bytes);
    CHECK(message != "(no ArchiveError)");
    CHECK(message.find("the upload") != std::string::npos);  // named as the caller calls it
  }
}

TEST_CASE("a refused format is explained: what the archives must be") {
  TempDir dir("sccache-tar-reader");
  write_file(dir / "archive.zip", two_files(ArchiveFormat::zip, ArchiveFilter::none));
  try {
    util::UntrustedTarReader reader(dir / "archive.zip", "the toolchain", k_roomy);
    read_all(reader);
    FAIL("a zip archive was read");
  } catch (const util::ArchiveError& e) {
    CHECK(std::string(e.what()).find(util::UntrustedTarReader::k_accepted) != std::string::npos);
  }
}

TEST_CASE("the entry cap: max_entries entries are read, one more is refused") {
  ArchiveBuilder archive(ArchiveFormat::pax, ArchiveFilter::zstd);
  for (int i = 0; i < 4; ++i) {
    archive.file("f" + std::to_string(i), "x");
  }
  const std::string bytes = archive.finish();
  CHECK(read_bytes(bytes, {4, 1 << 20}).size() == 4);
  CHECK(refusal(bytes, {3, 1 << 20}).find("refusing the upload: more than 3 entries") !=
        std::string::npos);
}

TEST_CASE("the byte cap counts uncompressed file data, checked at each header") {
  const std::string bytes = ArchiveBuilder(ArchiveFormat::pax, ArchiveFilter::gzip)
                                .file("a", std::string(600, 'a'))
                                .file("b", std::string(400, 'b'))
                                .finish();
  CHECK(read_bytes(bytes, {10, 1000}).size() == 2);  // exactly at the cap
  CHECK(refusal(bytes, {10, 999}).find("refusing the upload: more than 999 bytes uncompressed") !=
        std::string::npos);

  // The second header is refused before any of its data is read.
  std::istringstream in(bytes);
  util::UntrustedTarReader reader(in, "the upload", {10, 700});
  REQUIRE(reader.next() != nullptr);
  CHECK_THROWS_AS(reader.next(), util::ArchiveError);
  CHECK(reader.entries() == 2);
}

TEST_CASE("read_block counts against the byte cap too") {
  const std::string bytes = ArchiveBuilder().file("a", std::string(5000, 'a')).finish();
  std::istringstream in(bytes);
  util::UntrustedTarReader reader(in, "the upload", {10, 5000});
  REQUIRE(reader.next() != nullptr);
  uint64_t total = 0;
  const void* block = nullptr;
  size_t size = 0;
  int64_t offset = 0;
  while (reader.read_block(&block, &size, &offset)) {
    total += size;
  }
  CHECK(total == 5000);
  CHECK(reader.next() == nullptr);
}

TEST_CASE("a truncated archive is an ArchiveError, not a crash or a short success") {
  std::string noise(100 * 1024, '\0');
  uint32_t state = 12345;
  for (char& c : noise) {
    state = state * 1103515245 + 12345;
    c = static_cast<char>(state >> 24);
  }
  for (ArchiveFilter filter : {ArchiveFilter::none, ArchiveFilter::zstd}) {
    const std::string whole = ArchiveBuilder(ArchiveFormat::pax, filter).file("f", noise).finish();
    REQUIRE(whole.size() > noise.size());
    for (size_t keep : {whole.size() / 2, size_t{1000}, size_t{10}}) {
      INFO(keep);
      CHECK(refusal(whole.substr(0, keep)) != "(no ArchiveError)");
    }
  }
}

TEST_CASE("clean_archive_path normalises and refuses '..'") {
  CHECK(util::clean_archive_path("/a/./b//c") == std::optional<std::string>("a/b/c"));
  CHECK(util::clean_archive_path("./") == std::optional<std::string>(""));
  CHECK(util::clean_archive_path("a/..") == std::nullopt);
  CHECK(util::clean_archive_path("../a") == std::nullopt);
  CHECK(util::clean_archive_path("a/..b") == std::optional<std::string>("a/..b"));
}
