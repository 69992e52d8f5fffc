#include "client/client_config.hpp"

#include <cstdlib>

#include "common/scheduler_location.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

// server_startup_timeout_ms belongs to upstream's daemon start; it is accepted so one config
// serves both, and has no effect here (SCCACHE_SERVER_TIMEOUT is ours).
constexpr ConfigKey k_root_keys[] = {
    {"dist", ConfigValueType::table, "none: dist disabled",
     "distributed compilation: the keys below"},
    {"cache", ConfigValueType::table, "on, in `~/.cache/sccache`",
     "the compile cache: [cache.disk] and [cache.redis] (see [the compile "
     "cache](#the-compile-cache))"},
    {"basedirs", ConfigValueType::string_array, "`[]`",
     "upstream's place for `cache.basedirs` (either works)"},
    {"plugin_dir", ConfigValueType::path_or_paths, "", "searched first for plugins"},
    {"server_startup_timeout_ms", ConfigValueType::integer, "",
     "accepted for compatibility with upstream's client; no effect"},
};

constexpr ConfigKey k_dist_keys[] = {
    {"scheduler_addr", ConfigValueType::string, "",
     "`\"ip\"`: the scheduler (seed-era form, port 10500 implied)"},
    {"scheduler_url", ConfigValueType::string, "",
     "`\"http://host[:port]\"` or `\"https://...\"`: the scheduler (later form); without "
     "either, dist is disabled"},
    {"cache_dir", ConfigValueType::path, "`~/.cache/sccache-dist-client`",
     "client toolchain cache (in `<cache_dir>/client`); `$XDG_CACHE_HOME` applies"},
    {"toolchains", ConfigValueType::table_array, "`[]`",
     "toolchains to send instead of a packaged local one, or compilers never to distribute "
     "(below)"},
    {"toolchain_cache_size", ConfigValueType::size, "10 GiB", "client toolchain cache limit"},
    {"rewrite_includes_only", ConfigValueType::boolean, "**true** (upstream: false)",
     "preprocess with gcc `-fdirectives-only` / clang `-frewrite-includes`, so macros expand on "
     "the build server; see [remote compiles](remote-compiles.md)"},
    {"auth", ConfigValueType::table, "`DANGEROUSLY_INSECURE`",
     "the credential presented to the scheduler, by its `type` (see [auth](#auth))"},
};

constexpr ConfigKey k_path_override_keys[] = {
    {"type", ConfigValueType::string, "required", "`\"path_override\"`"},
    {"compiler_executable", ConfigValueType::string, "required",
     "the local compiler this entry matches (an absolute path)"},
    {"archive", ConfigValueType::path, "required", "the toolchain archive to send"},
    {"archive_compiler_executable", ConfigValueType::string, "required",
     "the compiler's path inside the archive"},
};

constexpr ConfigKey k_no_dist_keys[] = {
    {"type", ConfigValueType::string, "required", "`\"no_dist\"`"},
    {"compiler_executable", ConfigValueType::string, "required",
     "the local compiler (an absolute path) whose compiles always run locally"},
};

fs::path home_dir(const Environment& env) {
  return fs::path(env.get_nonempty("HOME").value_or("/tmp"));
}

fs::path default_cache_dir(const Environment& env) {
  if (auto xdg = env.get_nonempty("XDG_CACHE_HOME")) {
    return fs::path(*xdg) / "sccache-dist-client";
  }
  return home_dir(env) / ".cache" / "sccache-dist-client";
}

ToolchainOverride read_toolchain(const ConfigSection& entry) {
  ToolchainOverride toolchain;
  std::string type = entry.require_string("type");
  if (type == "path_override") {
    entry.reject_unknown_keys(k_path_override_keys);
    toolchain.kind = ToolchainOverride::Kind::path_override;
    toolchain.archive = *[&] {
      auto archive = entry.get_path("archive");
      if (!archive) {
        entry.fail("archive", "missing required key (the toolchain archive to send)");
      }
      return archive;
    }();
    toolchain.archive_compiler_executable = entry.require_string("archive_compiler_executable");
  } else if (type == "no_dist") {
    entry.reject_unknown_keys(k_no_dist_keys);
    toolchain.kind = ToolchainOverride::Kind::no_dist;
  } else {
    entry.fail("type", "unknown toolchain type (expected \"path_override\" or \"no_dist\")");
  }
  toolchain.compiler_executable = entry.require_string("compiler_executable");
  if (toolchain.compiler_executable.is_relative()) {
    entry.fail("compiler_executable", "must be an absolute path");
  }
  return toolchain;
}

}  // namespace

std::span<const ConfigKey> client_config_keys() {
  return k_root_keys;
}

std::span<const ConfigKey> client_dist_keys() {
  return k_dist_keys;
}

std::span<const ConfigKey> client_path_override_keys() {
  return k_path_override_keys;
}

std::span<const ConfigKey> client_no_dist_keys() {
  return k_no_dist_keys;
}

fs::path client_config_path() {
  return client_config_path(Environment::of_this_process());
}

fs::path client_config_path(const Environment& env) {
  if (auto conf = env.get_nonempty("SCCACHE_CONF")) {
    return fs::path(*conf);
  }
  if (auto xdg = env.get_nonempty("XDG_CONFIG_HOME")) {
    return fs::path(*xdg) / "sccache" / "config";
  }
  return home_dir(env) / ".config" / "sccache" / "config";
}

ClientConfig read_client_config(const fs::path& path) {
  return read_client_config(path, Environment::of_this_process());
}

ClientConfig read_client_config(const fs::path& path, const Environment& env) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    ClientConfig config;
    config.cache_dir = default_cache_dir(env);
    config.ca_file = fs::path(env.get_nonempty("SSL_CERT_FILE").value_or(""));
    config.ca_dir = fs::path(env.get_nonempty("SSL_CERT_DIR").value_or(""));
    config.cache = cache::read_cache_config(std::nullopt, env);
    return config;
  }
  return read_client_config(load_config_document(path), env);
}

ClientConfig read_client_config(ConfigDocument document) {
  return read_client_config(std::move(document), Environment::of_this_process());
}

ClientConfig read_client_config(ConfigDocument document, const Environment& env) {
  ClientConfig config;
  config.cache_dir = default_cache_dir(env);
  config.ca_file = fs::path(env.get_nonempty("SSL_CERT_FILE").value_or(""));
  config.ca_dir = fs::path(env.get_nonempty("SSL_CERT_DIR").value_or(""));
  const ConfigSection root = document.section();
  root.reject_unknown_keys(k_root_keys);
  config.plugin_dirs = read_plugin_dirs(root);
  config.cache = cache::read_cache_config(root, env);
  if (auto dist = root.get_table("dist")) {
    dist->reject_unknown_keys(k_dist_keys);
    if (dist->contains("scheduler_addr") || dist->contains("scheduler_url")) {
      config.scheduler = read_scheduler_location(*dist);
    }
    if (auto dir = dist->get_path("cache_dir")) {
      config.cache_dir = *dir;
    }
    if (auto size = dist->get_size("toolchain_cache_size")) {
      if (*size == 0) {
        dist->fail("toolchain_cache_size", "the toolchain cache size must be above zero");
      }
      config.toolchain_cache_size = *size;
    }
    if (auto rewrite = dist->get_bool("rewrite_includes_only")) {
      config.rewrite_includes_only = *rewrite;
    }
    for (const auto& entry : dist->get_table_array("toolchains")) {
      ToolchainOverride toolchain = read_toolchain(entry);
      for (const auto& existing : config.toolchains) {
        if (existing.compiler_executable == toolchain.compiler_executable) {
          entry.fail("compiler_executable",
                     "this compiler already has an entry in dist.toolchains (duplicate or "
                     "conflicting entries are not allowed)");
        }
      }
      config.toolchains.push_back(std::move(toolchain));
    }
    if (auto auth = dist->get_table("auth")) {
      config.auth = read_auth_section(*auth, AuthRole::client_credential);
    }
  }
  config.document = std::move(document);
  return config;
}

}  // namespace sccache
