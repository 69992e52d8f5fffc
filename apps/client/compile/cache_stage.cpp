#include "client/compile/cache_stage.hpp"

#include <sys/stat.h>

#include "util/fs.hpp"

#include "client/compile/local_compile.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_object = "object";
constexpr std::string_view k_depfile = "depfile";

fs::path in_cwd(const CompileRequest& request, const std::string& path) {
  return (request.cwd / path).lexically_normal();
}

}  // namespace

std::optional<cache::KeyInputs> key_inputs(const PlannedCompile& planned,
                                           const CompileRequest& request,
                                           cache::CompileCache& cache) {
  const compiler::CompilePlan& plan = planned.plan.value();
  const std::optional<cache::FileDigest> compiler = cache.digests().digest(planned.compiler);
  if (!compiler) {
    return std::nullopt;
  }
  cache::KeyInputs inputs;
  inputs.compiler_digest = compiler->hex;
  inputs.family = plan.family == compiler::Family::clang ? "clang" : "gcc";
  inputs.language = plan.language;
  inputs.args.assign(planned.argv.begin() + 1, planned.argv.end());
  inputs.object = plan.output;
  inputs.writes_depfile = plan.depfile.has_value();
  inputs.cwd = request.cwd;
  inputs.environment = cache::key_environment(request.environment);
  inputs.basedirs = cache.config().basedirs;
  return inputs;
}

std::optional<cache::FileDigest> source_digest(const PlannedCompile& planned,
                                               const CompileRequest& request,
                                               cache::CompileCache& cache) {
  return cache.digests().digest(in_cwd(request, planned.plan->input));
}

CompileReply replay(const cache::CompileResult& result, const PlannedCompile& planned,
                    const CompileRequest& request, bool write_depfile) {
  const compiler::CompilePlan& plan = planned.plan.value();
  CompileReply reply;
  reply.exit_code = 0;
  reply.stdout_data = result.stdout_data;
  reply.stderr_data =
      wants_colour(planned, request) ? result.stderr_data : strip_colours(result.stderr_data);
  const auto* object = result.file(k_object);
  if (!object || plan.outputs.empty()) {
    throw std::runtime_error("cache entry without an object");
  }
  const fs::path object_path = in_cwd(request, plan.outputs.front());
  util::write_file_atomically(object_path, object->content, object->mode);
  reply.outputs.push_back(object_path);
  if (write_depfile && plan.depfile) {
    const auto* depfile = result.file(k_depfile);
    if (!depfile) {
      throw std::runtime_error("cache entry without the depfile");
    }
    const fs::path depfile_path = in_cwd(request, *plan.depfile);
    util::write_file_atomically(depfile_path, depfile->content, depfile->mode);
    reply.outputs.push_back(depfile_path);
  }
  return reply;
}

std::optional<cache::CompileResult> result_of(const CompileReply& reply,
                                              const PlannedCompile& planned,
                                              const CompileRequest& request) {
  const compiler::CompilePlan& plan = planned.plan.value();
  if (plan.outputs.size() != 1) {
    return std::nullopt;
  }
  cache::CompileResult result;
  result.stdout_data = reply.stdout_data;
  result.stderr_data = reply.stderr_data;
  auto add = [&](std::string_view kind, const std::string& name) {
    const fs::path path = in_cwd(request, name);
    struct stat st {};
    std::optional<std::string> content = util::read_file(path);
    if (!content || ::stat(path.c_str(), &st) != 0) {
      return false;
    }
    result.files.push_back(
        {std::string(kind), static_cast<uint32_t>(st.st_mode & 0777), std::move(*content)});
    return true;
  };
  if (!add(k_object, plan.outputs.front())) {
    return std::nullopt;
  }
  if (plan.depfile && !add(k_depfile, *plan.depfile)) {
    return std::nullopt;
  }
  return result;
}

std::optional<IncludeDigests> include_digests(cache::CompileCache& cache,
                                              const std::vector<std::filesystem::path>& files,
                                              int64_t since_ns) {
  IncludeDigests out;
  out.includes.reserve(files.size());
  for (const auto& file : files) {
    const std::optional<cache::FileDigest> digest = cache.digests().digest(file, since_ns);
    if (!digest || digest->too_new) {
      return std::nullopt;
    }
    out.mentions_time = out.mentions_time || digest->mentions_time;
    out.mentions_date = out.mentions_date || digest->mentions_date;
    out.includes.push_back({file.string(), digest->hex});
  }
  return out;
}

cache::Store record_manifest(cache::CompileCache& cache, const std::string& direct_key,
                             cache::Manifest::Result entry, const cache::Manifest* known) {
  cache::Manifest manifest;
  if (known) {
    manifest = *known;
  } else if (cache::Lookup existing = cache.get(direct_key); existing.hit) {
    try {
      manifest = cache::decode_manifest(existing.bytes);
    } catch (const cache::CorruptEntry&) {
      manifest = {};  // replaced below
    }
  }
  manifest.add(std::move(entry));
  return cache.put(direct_key, cache::encode_manifest(manifest));
}

}  // namespace sccache
