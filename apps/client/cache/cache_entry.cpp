#include "client/cache/cache_entry.hpp"

#include <cstring>

#include <zstd.h>

namespace sccache::cache {

namespace {

// Fast to write (a miss pays for it) and still about 3x on objects; decompression speed barely
// depends on the level.
constexpr int k_compression_level = 1;
// Nothing a compiler writes is this large; a frame claiming more is damaged.
constexpr uint64_t k_max_content = 4ull << 30;
constexpr std::string_view k_result_magic = "sccache-result-1";

void put_u64(std::string& out, uint64_t value) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  }
  out.append(bytes, 8);
}

uint64_t get_u64(std::string_view& in) {
  if (in.size() < 8) {
    throw CorruptEntry("truncated cache entry");
  }
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  in.remove_prefix(8);
  return value;
}

std::string compress(const std::string& plain) {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  if (ctx == nullptr) {
    throw std::bad_alloc();
  }
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, k_compression_level);
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1);
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const size_t size = ZSTD_compress2(ctx, out.data(), out.size(), plain.data(), plain.size());
  ZSTD_freeCCtx(ctx);
  if (ZSTD_isError(size)) {
    throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(size));
  }
  out.resize(size);
  return out;
}

std::string decompress(std::string_view frame) {
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > k_max_content) {
    throw CorruptEntry("not a cache entry (bad frame header)");
  }
  if (ZSTD_findFrameCompressedSize(frame.data(), frame.size()) != frame.size()) {
    throw CorruptEntry("truncated or padded cache entry");
  }
  std::string plain(size, '\0');
  const size_t got = ZSTD_decompress(plain.data(), plain.size(), frame.data(), frame.size());
  if (ZSTD_isError(got) || got != size) {
    throw CorruptEntry(std::string("damaged cache entry: ") +
                       (ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short"));
  }
  return plain;
}

}  // namespace

const CompileResult::File* CompileResult::file(std::string_view kind) const {
  for (const auto& f : files) {
    if (f.kind == kind) {
      return &f;
    }
  }
  return nullptr;
}

std::string encode_fields(std::string_view magic, const std::vector<std::string>& fields) {
  std::string plain(magic);
  put_u64(plain, fields.size());
  for (const auto& field : fields) {
    put_u64(plain, field.size());
    plain += field;
  }
  return compress(plain);
}

std::vector<std::string> decode_fields(std::string_view magic, std::string_view bytes) {
  const std::string plain = decompress(bytes);
  std::string_view in = plain;
  if (!in.starts_with(magic)) {
    throw CorruptEntry("not a cache entry of this kind or version");
  }
  in.remove_prefix(magic.size());
  const uint64_t count = get_u64(in);
  if (count > in.size() / 8) {
    throw CorruptEntry("damaged cache entry (field count)");
  }
  std::vector<std::string> fields;
  fields.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t size = get_u64(in);
    if (size > in.size()) {
      throw CorruptEntry("damaged cache entry (field length)");
    }
    fields.emplace_back(in.substr(0, size));
    in.remove_prefix(size);
  }
  if (!in.empty()) {
    throw CorruptEntry("damaged cache entry (trailing bytes)");
  }
  return fields;
}

std::string encode_result(const CompileResult& result) {
  std::vector<std::string> fields{result.stdout_data, result.stderr_data};
  for (const auto& file : result.files) {
    fields.push_back(file.kind);
    fields.push_back(std::to_string(file.mode));
    fields.push_back(file.content);
  }
  return encode_fields(k_result_magic, fields);
}

CompileResult decode_result(std::string_view bytes) {
  std::vector<std::string> fields = decode_fields(k_result_magic, bytes);
  if (fields.size() < 2 || (fields.size() - 2) % 3 != 0) {
    throw CorruptEntry("damaged cache entry (layout)");
  }
  CompileResult result;
  result.stdout_data = std::move(fields[0]);
  result.stderr_data = std::move(fields[1]);
  for (size_t i = 2; i < fields.size(); i += 3) {
    CompileResult::File file;
    file.kind = std::move(fields[i]);
    try {
      file.mode = static_cast<uint32_t>(std::stoul(fields[i + 1], nullptr, 10)) & 07777;
    } catch (const std::exception&) {
      throw CorruptEntry("damaged cache entry (mode)");
    }
    file.content = std::move(fields[i + 2]);
    result.files.push_back(std::move(file));
  }
  return result;
}

}  // namespace sccache::cache
