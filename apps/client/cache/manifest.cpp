#include "client/cache/manifest.hpp"

#include <algorithm>

#include "client/cache/cache_entry.hpp"

namespace sccache::cache {

namespace {

constexpr std::string_view k_magic = "sccache-manifest-1";

}  // namespace

std::optional<std::string> Manifest::find(FileDigests& digests) const {
  for (const auto& result : results) {
    const bool matches =
        std::all_of(result.includes.begin(), result.includes.end(), [&](const Include& include) {
          const std::optional<FileDigest> now = digests.digest(include.path);
          return now && now->hex == include.digest;
        });
    if (matches) {
      return result.result_key;
    }
  }
  return std::nullopt;
}

void Manifest::add(Result result) {
  std::erase_if(results, [&](const Result& r) { return r.result_key == result.result_key; });
  results.insert(results.begin(), std::move(result));
  if (results.size() > k_max_results) {
    results.resize(k_max_results);
  }
  size_t files = 0;
  for (const auto& r : results) {
    files += r.includes.size();
  }
  if (files > k_max_files) {
    results.resize(1);
  }
}

std::string encode_manifest(const Manifest& manifest) {
  // result key, include count, then path and digest per include
  std::vector<std::string> fields;
  for (const auto& result : manifest.results) {
    fields.push_back(result.result_key);
    fields.push_back(std::to_string(result.includes.size()));
    for (const auto& include : result.includes) {
      fields.push_back(include.path);
      fields.push_back(include.digest);
    }
  }
  return encode_fields(k_magic, fields);
}

Manifest decode_manifest(std::string_view bytes) {
  const std::vector<std::string> fields = decode_fields(k_magic, bytes);
  Manifest manifest;
  size_t i = 0;
  while (i < fields.size()) {
    if (i + 2 > fields.size()) {
      throw CorruptEntry("damaged manifest (layout)");
    }
    Manifest::Result result;
    result.result_key = fields[i];
    size_t count = 0;
    try {
      count = std::stoul(fields[i + 1]);
    } catch (const std::exception&) {
      throw CorruptEntry("damaged manifest (count)");
    }
    i += 2;
    if (count > (fields.size() - i) / 2) {
      throw CorruptEntry("damaged manifest (count)");
    }
    for (size_t k = 0; k < count; ++k, i += 2) {
      result.includes.push_back({fields[i], fields[i + 1]});
    }
    manifest.results.push_back(std::move(result));
  }
  return manifest;
}

}  // namespace sccache::cache
