#include "common/scheduler_location.hpp"

namespace sccache {

HttpUrl read_scheduler_location(const ConfigSection& section) {
  const bool has_addr = section.contains("scheduler_addr");
  const bool has_url = section.contains("scheduler_url");
  if (has_addr && has_url) {
    section.fail("scheduler_url",
                 "both scheduler_addr and scheduler_url are set; keep one (scheduler_url = "
                 "\"http://host:port\", or the older scheduler_addr = \"<IP>\")");
  }
  std::string error;
  if (has_addr) {
    auto url =
        parse_http_url(section.require_string("scheduler_addr"), k_default_scheduler_port, &error);
    if (!url) {
      section.fail("scheduler_addr", error);
    }
    return *url;
  }
  if (has_url) {
    auto url =
        parse_http_url(section.require_string("scheduler_url"), k_default_scheduler_port, &error);
    if (!url) {
      section.fail("scheduler_url", error);
    }
    return *url;
  }
  section.fail("scheduler_url",
               "missing required key (set scheduler_url = \"http://host:10500\", or "
               "scheduler_addr = \"<IP>\")");
}

}  // namespace sccache
