#include "sccache/sandbox.hpp"

namespace sccache {

SandboxError::~SandboxError() = default;
Sandbox::~Sandbox() = default;
SandboxFactory::~SandboxFactory() = default;

}  // namespace sccache
