// The one place toml++ is included, so every binary and plugin sees the same configuration macros
// (part of the build fingerprint).
#pragma once

#ifndef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 1
#endif
#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>
