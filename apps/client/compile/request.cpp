#include "client/compile/request.hpp"

namespace sccache {

std::optional<std::string_view> CompileRequest::env(std::string_view key) const {
  for (const auto& entry : environment) {
    if (entry.size() > key.size() && entry[key.size()] == '=' && entry.starts_with(key)) {
      return std::string_view(entry).substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

CompileReply CompileReply::local(std::filesystem::path executable, std::vector<std::string> argv,
                                 LocalCause cause, std::string reason, std::string warning) {
  CompileReply reply;
  reply.kind = Kind::run_locally;
  reply.executable = std::move(executable);
  reply.argv = std::move(argv);
  reply.cause = cause;
  reply.reason = std::move(reason);
  reply.warning = std::move(warning);
  return reply;
}

}  // namespace sccache
