// `sccache --dist-status`: asks the configured scheduler for its servers and prints them.
#pragma once

#include <ostream>

#include "client/client_config.hpp"

namespace sccache {

enum class OutputFormat { text, json };

// Prints the status; returns 0 if connected or disabled, 1 if the scheduler could not be used.
int print_dist_status(const ClientConfig& config, OutputFormat format, std::ostream& out,
                      std::ostream& err);

}  // namespace sccache
