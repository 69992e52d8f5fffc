#include "sccache/plugin_registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sccache/build_fingerprint.hpp"

#ifndef SCCACHE_INSTALL_PLUGIN_DIR
#define SCCACHE_INSTALL_PLUGIN_DIR "/usr/local/lib/sccache/plugins"
#endif

namespace sccache {

PluginError::~PluginError() = default;

namespace fs = std::filesystem;

const char* plugin_kind_name(uint32_t kind) noexcept {
  switch (kind) {
    case SCCACHE_PLUGIN_KIND_AUTH:
      return "auth";
    case SCCACHE_PLUGIN_KIND_SANDBOX:
      return "sandbox";
    case SCCACHE_PLUGIN_KIND_TRANSPORT:
      return "transport";
    default:
      return "?";
  }
}

namespace {

// The minimum descriptor size: every field up to and including `factory`.
constexpr uint32_t k_min_descriptor_size =
    offsetof(sccache_plugin_descriptor, factory) + sizeof(void*);

fs::path executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// A build server runs untrusted compiles; a plugin anybody can replace would run as the server.
std::optional<std::string> unsafe_permissions(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fmt::format("cannot stat: {}", std::strerror(errno));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fmt::format(
        "{} is group- or world-writable (mode {:o}); refusing to load plugins from it",
        path.string(), st.st_mode & 07777);
  }
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return fmt::format("{} is owned by uid {}, neither root nor this process's user", path.string(),
                       st.st_uid);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> validate_descriptor(const sccache_plugin_descriptor* d) {
  if (d == nullptr) {
    return "the entry point returned no descriptor";
  }
  if (d->struct_size < k_min_descriptor_size) {
    return fmt::format("descriptor is {} bytes, smaller than the {} this host needs",
                       d->struct_size, k_min_descriptor_size);
  }
  if (d->abi_version != SCCACHE_PLUGIN_ABI_VERSION) {
    return fmt::format(
        "plugin ABI version {} does not match this host's version {}; rebuild the "
        "plugin against this sccache SDK",
        d->abi_version, SCCACHE_PLUGIN_ABI_VERSION);
  }
  if (d->build_fingerprint == nullptr ||
      std::strcmp(d->build_fingerprint, core_build_fingerprint()) != 0) {
    return fmt::format(
        "build fingerprint '{}' does not match this host's '{}'; rebuild the plugin "
        "with the same compiler and libraries",
        d->build_fingerprint ? d->build_fingerprint : "(none)", core_build_fingerprint());
  }
  if (std::strcmp(plugin_kind_name(d->kind), "?") == 0) {
    return fmt::format("unknown plugin kind {}", d->kind);
  }
  if (d->types == nullptr || d->types[0] == nullptr) {
    return "the plugin declares no config types";
  }
  if (d->factory == nullptr) {
    return "the plugin has no factory";
  }
  return std::nullopt;
}

PluginRegistry::PluginRegistry(std::vector<fs::path> search_dirs)
    : m_dirs(std::move(search_dirs)) {}

std::vector<fs::path> PluginRegistry::default_search_dirs(
    const std::vector<fs::path>& config_dirs) {
  std::vector<fs::path> dirs = config_dirs;
  if (const char* env = std::getenv("SCCACHE_PLUGIN_PATH"); env != nullptr && *env != '\0') {
    std::string_view rest(env);
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view part = rest.substr(0, colon);
      if (!part.empty()) {
        dirs.emplace_back(part);
      }
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  if (fs::path exe_dir = executable_dir(); !exe_dir.empty()) {
    dirs.push_back((exe_dir / ".." / "lib" / "sccache" / "plugins").lexically_normal());
  }
  dirs.emplace_back(SCCACHE_INSTALL_PLUGIN_DIR);
  // The same directory reached twice is scanned once.
  std::vector<fs::path> unique;
  for (auto& dir : dirs) {
    if (std::find(unique.begin(), unique.end(), dir) == unique.end()) {
      unique.push_back(std::move(dir));
    }
  }
  return unique;
}

namespace {

constexpr std::string_view k_builtin_origin = "built-in";

bool same_text(const char* a, const char* b) {
  return (a == nullptr || b == nullptr) ? a == b : std::strcmp(a, b) == 0;
}

// Whether two descriptors describe one plugin: the same kind, types, version and description
// (a built-in and the shared object of the same plugin, both found by the client).
bool same_plugin(const sccache_plugin_descriptor& a, const sccache_plugin_descriptor& b) {
  if (a.kind != b.kind || !same_text(a.version, b.version) ||
      !same_text(a.description, b.description)) {
    return false;
  }
  size_t i = 0;
  for (; a.types[i] != nullptr && b.types[i] != nullptr; ++i) {
    if (std::strcmp(a.types[i], b.types[i]) != 0) {
      return false;
    }
  }
  return a.types[i] == nullptr && b.types[i] == nullptr;
}

std::string describe_origin(const LoadedPlugin& plugin) {
  if (plugin.origin == k_builtin_origin) {
    return fmt::format("the built-in plugin '{}' {}", plugin.descriptor->description,
                       plugin.descriptor->version);
  }
  return plugin.origin;
}

}  // namespace

const LoadedPlugin& PluginRegistry::register_plugin(LoadedPlugin plugin) {
  const sccache_plugin_descriptor* d = plugin.descriptor;
  const bool builtin = plugin.origin == k_builtin_origin;
  // Every type is checked before any is registered, so a refused plugin leaves nothing behind.
  std::vector<std::string> types;
  for (const char* const* type = d->types; *type != nullptr; ++type) {
    auto it = m_by_type.find(std::make_pair(d->kind, std::string(*type)));
    if (it == m_by_type.end()) {
      types.emplace_back(*type);
      continue;
    }
    const LoadedPlugin& first = m_plugins[it->second];
    const bool first_builtin = first.origin == k_builtin_origin;
    if (first.descriptor == d) {
      return first;  // the same built-in registered again
    }
    if (first_builtin && !builtin && same_plugin(*first.descriptor, *d)) {
      return first;  // the shared object of a plugin the program links: the built-in serves
    }
    if (!first_builtin && !builtin &&
        fs::path(first.origin).parent_path() != fs::path(plugin.origin).parent_path()) {
      continue;  // a directory earlier in the search order shadows this one for this type
    }
    // Two plugins of one directory, or a plugin and a built-in: which one should serve is
    // anybody's guess (a file name's sort order), so neither does.
    throw PluginError(fmt::format(
        "{} plugin type '{}' is claimed twice: by {} and by {}; remove one of them (plugins "
        "found in a directory earlier in the search order shadow later ones, but within one "
        "directory, or against a built-in, a type may have only one plugin)",
        plugin_kind_name(d->kind), *type, describe_origin(first), describe_origin(plugin)));
  }
  for (auto& type : types) {
    m_by_type.emplace(std::make_pair(d->kind, std::move(type)), m_plugins.size());
  }
  m_plugins.push_back(std::move(plugin));
  return m_plugins.back();
}

void PluginRegistry::add_builtin(const sccache_plugin_descriptor* descriptor) {
  if (auto problem = validate_descriptor(descriptor)) {
    throw PluginError(fmt::format("built-in plugin rejected: {}", *problem));
  }
  register_plugin({std::string(k_builtin_origin), descriptor});
}

const LoadedPlugin& PluginRegistry::load_file(const fs::path& file) {
  for (const auto& plugin : m_plugins) {
    if (plugin.origin == file.string()) {
      return plugin;
    }
  }
  if (auto problem = unsafe_permissions(file)) {
    throw PluginError(fmt::format("plugin {}: {}", file.string(), *problem));
  }
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* error = ::dlerror();
    throw PluginError(fmt::format("plugin {}: cannot load: {}", file.string(),
                                  error ? error : "unknown dlopen error"));
  }
  // Never dlclose: objects created by the plugin may outlive any handle we could track.
  auto entry =
      reinterpret_cast<sccache_plugin_entry_fn>(::dlsym(handle, SCCACHE_PLUGIN_ENTRY_NAME));
  if (entry == nullptr) {
    throw PluginError(
        fmt::format("plugin {}: missing entry symbol '{}'; is it an sccache plugin "
                    "built for this ABI version?",
                    file.string(), SCCACHE_PLUGIN_ENTRY_NAME));
  }
  const sccache_plugin_descriptor* descriptor = entry();
  if (auto problem = validate_descriptor(descriptor)) {
    throw PluginError(fmt::format("plugin {}: {}", file.string(), *problem));
  }
  return register_plugin({file.string(), descriptor});
}

void PluginRegistry::scan_next_dir() {
  const fs::path& dir = m_dirs[m_scanned++];
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return;
  }
  if (auto problem = unsafe_permissions(dir)) {
    throw PluginError(fmt::format("plugin directory {}: {}", dir.string(), *problem));
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("sccache-") && name.ends_with(".so")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    load_file(file);
  }
}

void* PluginRegistry::find(uint32_t kind, std::string_view type) {
  auto key = std::make_pair(kind, std::string(type));
  while (true) {
    if (auto it = m_by_type.find(key); it != m_by_type.end()) {
      return m_plugins[it->second].descriptor->factory;
    }
    if (m_scanned >= m_dirs.size()) {
      break;
    }
    scan_next_dir();
  }
  std::string known;
  for (const auto& [k, index] : m_by_type) {
    if (k.first == kind) {
      known +=
          fmt::format("{}'{}' ({})", known.empty() ? "" : ", ", k.second, m_plugins[index].origin);
    }
  }
  std::string searched;
  for (const auto& dir : m_dirs) {
    searched += fmt::format("{}{}", searched.empty() ? "" : ", ", dir.string());
  }
  throw PluginError(fmt::format(
      "no {} plugin provides type '{}'. Types found: {}. Directories searched: {}. Set plugin_dir "
      "in the config or SCCACHE_PLUGIN_PATH to add a directory.",
      plugin_kind_name(kind), type, known.empty() ? "none" : known,
      searched.empty() ? "none" : searched));
}

const AuthFactory& PluginRegistry::auth(std::string_view type) {
  return *static_cast<const AuthFactory*>(find(SCCACHE_PLUGIN_KIND_AUTH, type));
}

const SandboxFactory& PluginRegistry::sandbox(std::string_view type) {
  return *static_cast<const SandboxFactory*>(find(SCCACHE_PLUGIN_KIND_SANDBOX, type));
}

const TransportFactory& PluginRegistry::transport(std::string_view type) {
  return *static_cast<const TransportFactory*>(find(SCCACHE_PLUGIN_KIND_TRANSPORT, type));
}

const LoadedPlugin* PluginRegistry::provider_of(uint32_t kind, std::string_view type) const {
  auto it = m_by_type.find(std::make_pair(kind, std::string(type)));
  return it == m_by_type.end() ? nullptr : &m_plugins[it->second];
}

std::vector<LoadedPlugin> PluginRegistry::loaded() const {
  return m_plugins;
}

}  // namespace sccache
