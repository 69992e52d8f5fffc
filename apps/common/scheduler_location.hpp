// Where the scheduler is, as server.conf and the client's [dist] both say it: the seed-era
// scheduler_addr (a bare IP or host, port 10500 implied) or the later scheduler_url.
#pragma once

#include "sccache/config_section.hpp"

#include "common/net_address.hpp"

namespace sccache {

// Exactly one of scheduler_addr and scheduler_url is required. Throws ConfigError at the key.
HttpUrl read_scheduler_location(const ConfigSection& section);

}  // namespace sccache
