#include "plugins/sandbox_conformance/conformance.hpp"

namespace sccache::test::conformance {

SandboxResult run_bash(const std::string& script, std::vector<std::string> outputs) {
  return run_bash_in(*shared(), script, std::move(outputs));
}

}  // namespace sccache::test::conformance
