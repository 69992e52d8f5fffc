// Finds, loads and validates plugins, and hands out their factories by (kind, config type).
//
// Plugins come from two places: built-ins registered with add_builtin() (linked statically), and
// shared objects named sccache-*.so found in the search directories, in order, first match wins.
// A (kind, type) has one provider: a plugin in an earlier directory shadows a later directory's
// plugin of the same type, but two plugins of one directory, or a plugin and a built-in, claiming
// one type are an error naming both (except a built-in's own shared object, which is skipped).
// Shared objects are loaded with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) and never
// unloaded, so factories and the objects they create stay valid for the life of the process.
//
// Threads: not thread-safe; the apps resolve every plugin at startup, before serving.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sccache/auth.hpp"
#include "sccache/plugin_abi.h"
#include "sccache/sandbox.hpp"
#include "sccache/transport.hpp"

namespace sccache {

class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~PluginError() override;
};

const char* plugin_kind_name(uint32_t kind) noexcept;  // "auth", "sandbox", "transport", "?"

struct LoadedPlugin {
  std::string origin;  // the .so path, or "built-in"
  const sccache_plugin_descriptor* descriptor = nullptr;
};

class PluginRegistry {
 public:
  explicit PluginRegistry(std::vector<std::filesystem::path> search_dirs);

  // The search order: `config_dirs` (a config's plugin_dir), then SCCACHE_PLUGIN_PATH
  // (colon-separated), then <exe dir>/../lib/sccache/plugins, then the install prefix's plugin dir.
  static std::vector<std::filesystem::path> default_search_dirs(
      const std::vector<std::filesystem::path>& config_dirs = {});

  // Validates and registers a statically linked plugin. Throws PluginError (naming the plugin
  // already serving a type it claims).
  void add_builtin(const sccache_plugin_descriptor* descriptor);
  // dlopens one file and registers it; the plugin serving its types (the built-in when the file
  // is a built-in's shared object: same kind, types, version and description). Throws
  // PluginError naming the file (and, for a type claimed twice, the other claimant).
  const LoadedPlugin& load_file(const std::filesystem::path& file);

  // The factory serving `type` for that kind. Built-ins first, then the search directories in
  // order (every sccache-*.so of a directory is loaded when it is scanned). Throws PluginError
  // listing the types found and the directories searched when nothing serves `type`.
  const AuthFactory& auth(std::string_view type);
  const SandboxFactory& sandbox(std::string_view type);
  const TransportFactory& transport(std::string_view type);

  // The plugin registered for (kind, type), or nullptr; does not load anything.
  const LoadedPlugin* provider_of(uint32_t kind, std::string_view type) const;

  // Everything registered so far, for --version and logs.
  std::vector<LoadedPlugin> loaded() const;
  const std::vector<std::filesystem::path>& search_dirs() const noexcept { return m_dirs; }

 private:
  void* find(uint32_t kind, std::string_view type);
  // Indexes `plugin` by its types; the plugin that serves them (a built-in, when `plugin` is its
  // shared object). Throws PluginError, registering nothing, when a type is claimed twice.
  const LoadedPlugin& register_plugin(LoadedPlugin plugin);
  void scan_next_dir();

  std::vector<std::filesystem::path> m_dirs;
  size_t m_scanned = 0;  // how many of m_dirs have been scanned
  std::vector<LoadedPlugin> m_plugins;
  std::map<std::pair<uint32_t, std::string>, size_t, std::less<>> m_by_type;
};

// Validates a descriptor's C fields; nullopt if fine, else the reason.
std::optional<std::string> validate_descriptor(const sccache_plugin_descriptor* descriptor);

}  // namespace sccache
