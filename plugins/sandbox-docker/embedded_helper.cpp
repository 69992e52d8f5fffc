#include "sandbox-docker/embedded_helper.hpp"

// SCCACHE_DOCKER_INIT_PATH (set by CMakeLists.txt) is the built helper; the assembler copies it in.
#ifndef SCCACHE_DOCKER_INIT_PATH
#error "SCCACHE_DOCKER_INIT_PATH must name the built sccache-docker-init"
#endif

asm(".pushsection .rodata.sccache_docker_init, \"a\", @progbits\n"
    ".balign 16\n"
    ".hidden sccache_docker_init_begin\n"
    ".hidden sccache_docker_init_end\n"
    "sccache_docker_init_begin:\n"
    ".incbin \"" SCCACHE_DOCKER_INIT_PATH
    "\"\n"
    "sccache_docker_init_end:\n"
    ".popsection\n");

extern "C" {
extern const char sccache_docker_init_begin[];
extern const char sccache_docker_init_end[];
}

namespace sccache::sandbox_docker {

std::string_view embedded_helper() noexcept {
  return {sccache_docker_init_begin,
          static_cast<size_t>(sccache_docker_init_end - sccache_docker_init_begin)};
}

}  // namespace sccache::sandbox_docker
