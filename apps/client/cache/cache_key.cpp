#include "client/cache/cache_key.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>

#include "util/sha256.hpp"

#include "client/cache/include_list.hpp"
#include "client/cache/source_tokens.hpp"

namespace sccache::cache {

namespace {

// Bumped whenever what goes into a key, or an entry's layout, changes.
constexpr std::string_view k_key_version = "sccache-cache-key-1";

// What changes the compiler's output besides its arguments: include search paths, the driver's
// program search, pinned timestamps, the diagnostics' language (stderr is replayed), clang's
// override hook, and upstream's explicit cache buster.
constexpr std::string_view k_key_variables[] = {
    "CPATH",
    "C_INCLUDE_PATH",
    "CPLUS_INCLUDE_PATH",
    "OBJC_INCLUDE_PATH",
    "COMPILER_PATH",
    "GCC_EXEC_PREFIX",
    "GCC_COMPARE_DEBUG",
    "SOURCE_DATE_EPOCH",
    "CCC_OVERRIDE_OPTIONS",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_MESSAGES",
    "LC_CTYPE",
    "SDKROOT",
    "MACOSX_DEPLOYMENT_TARGET",
    "SCCACHE_C_CUSTOM_CACHE_BUSTER",
};

class Hasher {
 public:
  // Every field is length-prefixed, so ("ab","c") and ("a","bc") differ.
  void field(std::string_view name, std::string_view value) {
    m_sha.update(name);
    const std::string size = std::to_string(value.size());
    m_sha.update("=", 1);
    m_sha.update(size);
    m_sha.update(":", 1);
    m_sha.update(value);
  }
  void raw(std::string_view bytes) { m_sha.update(bytes); }
  std::string hex() { return m_sha.hex_digest(); }

 private:
  util::Sha256 m_sha;
};

std::string strip(std::string_view text, const std::vector<std::string>& basedirs) {
  std::string out(text);
  for (const auto& dir : basedirs) {
    const std::string prefix = dir + "/";
    size_t pos = 0;
    while ((pos = out.find(prefix, pos)) != std::string::npos) {
      out.replace(pos, prefix.size(), "<base>/");
      pos += 7;
    }
  }
  return out;
}

// The arguments that go into a key: all but where outputs go and diagnostics' colours.
void hash_args(Hasher& h, const KeyInputs& in, const std::vector<std::string>* basedirs) {
  for (size_t i = 0; i < in.args.size(); ++i) {
    const std::string& arg = in.args[i];
    if (arg == "-o" || arg == "-MF") {
      ++i;
      continue;
    }
    if ((arg.starts_with("-o") || arg.starts_with("-MF")) || is_colour_option(arg)) {
      continue;
    }
    h.field("arg", basedirs ? strip(arg, *basedirs) : arg);
  }
}

void hash_common(Hasher& h, const KeyInputs& in, std::string_view kind,
                 const std::vector<std::string>* basedirs) {
  h.field("version", k_key_version);
  h.field("kind", kind);
  h.field("compiler", in.compiler_digest);
  h.field("family", in.family);
  h.field("language", in.language);
  hash_args(h, in, basedirs);
  if (in.writes_depfile) {
    // The depfile names the object (its default target).
    h.field("object", basedirs ? strip(in.object, *basedirs) : in.object);
  }
  for (const auto& [name, value] : in.environment) {
    h.field("env", name);
    h.field("value", value);
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> key_environment(
    const std::vector<std::string>& environment) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string_view name : k_key_variables) {
    for (const auto& entry : environment) {
      if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
          entry[name.size()] == '=') {
        out.emplace_back(std::string(name), entry.substr(name.size() + 1));
        break;  // the first one, as getenv
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool records_paths(const std::vector<std::string>& args) {
  bool debug = false;
  for (const auto& arg : args) {
    if (arg.starts_with("-fdebug-prefix-map=") || arg.starts_with("-ffile-prefix-map=") ||
        arg.starts_with("-fdebug-compilation-dir")) {
      return false;
    }
    if (arg.starts_with("-g")) {
      debug = arg != "-g0";
    }
  }
  return debug;
}

bool is_colour_option(std::string_view arg) {
  return arg.starts_with("-fdiagnostics-color") || arg.starts_with("-fno-diagnostics-color") ||
         arg == "-fcolor-diagnostics" || arg == "-fno-color-diagnostics";
}

ResultKey result_key(const KeyInputs& in, std::string_view unit) {
  ResultKey out;
  const bool pinned_time =
      std::any_of(in.environment.begin(), in.environment.end(),
                  [](const auto& kv) { return kv.first == "SOURCE_DATE_EPOCH"; });
  if (!pinned_time) {
    if (mentions_time(unit)) {
      out.not_cacheable = "time_macros";
      return out;
    }
    out.date_dependent = mentions_date(unit);
  }
  const bool paths = records_paths(in.args);
  const bool strip_basedirs = !in.basedirs.empty() && !paths && !has_identifier(unit, "__FILE__") &&
                              !has_identifier(unit, "__BASE_FILE__");
  const std::vector<std::string>* basedirs = strip_basedirs ? &in.basedirs : nullptr;
  Hasher h;
  hash_common(h, in, "result", basedirs);
  if (paths) {
    h.field("cwd", in.cwd.string());
  }
  if (out.date_dependent) {
    char date[32];
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    std::strftime(date, sizeof date, "%Y-%m-%d", &local);
    h.field("date", date);
  }
  h.field("unit", std::to_string(unit.size()));
  if (!basedirs) {
    h.raw(unit);
  } else {
    // Line markers only: paths elsewhere (string literals) are the program's own.
    size_t pos = 0;
    while (pos < unit.size()) {
      const char* nl =
          static_cast<const char*>(std::memchr(unit.data() + pos, '\n', unit.size() - pos));
      const size_t end = nl ? static_cast<size_t>(nl - unit.data()) + 1 : unit.size();
      const std::string_view line = unit.substr(pos, end - pos);
      if (is_line_marker(line)) {
        const std::string stripped = strip(line, *basedirs);
        out.basedirs_stripped = out.basedirs_stripped || stripped != line;
        h.raw(stripped);
      } else {
        h.raw(line);
      }
      pos = end;
    }
  }
  out.key = h.hex() + "R";
  return out;
}

std::string direct_key(const KeyInputs& in, std::string_view input_path,
                       std::string_view source_digest) {
  Hasher h;
  hash_common(h, in, "direct", nullptr);
  h.field("cwd", in.cwd.string());
  h.field("input", input_path);
  h.field("source", source_digest);
  return h.hex() + "M";
}

std::string depend_key(std::string_view direct_key,
                       const std::vector<std::pair<std::string, std::string>>& files) {
  Hasher h;
  h.field("version", k_key_version);
  h.field("kind", "depend");
  h.field("direct", direct_key);
  for (const auto& [path, digest] : files) {
    h.field("file", path);
    h.field("digest", digest);
  }
  return h.hex() + "R";
}

}  // namespace sccache::cache
