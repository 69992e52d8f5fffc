#include "sandbox-bwrap/embedded_gate.hpp"

// SCCACHE_SANDBOX_GATE_PATH (set by CMakeLists.txt) is the built gate; the assembler copies it in.
#ifndef SCCACHE_SANDBOX_GATE_PATH
#error "SCCACHE_SANDBOX_GATE_PATH must name the built sccache-sandbox-gate"
#endif

asm(".pushsection .rodata.sccache_sandbox_gate, \"a\", @progbits\n"
    ".balign 16\n"
    ".hidden sccache_sandbox_gate_begin\n"
    ".hidden sccache_sandbox_gate_end\n"
    "sccache_sandbox_gate_begin:\n"
    ".incbin \"" SCCACHE_SANDBOX_GATE_PATH
    "\"\n"
    "sccache_sandbox_gate_end:\n"
    ".popsection\n");

extern "C" {
extern const char sccache_sandbox_gate_begin[];
extern const char sccache_sandbox_gate_end[];
}

namespace sccache::sandbox_bwrap {

std::string_view embedded_gate() noexcept {
  return {sccache_sandbox_gate_begin,
          static_cast<size_t>(sccache_sandbox_gate_end - sccache_sandbox_gate_begin)};
}

}  // namespace sccache::sandbox_bwrap
