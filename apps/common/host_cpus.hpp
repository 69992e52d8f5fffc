// How many CPUs this process may use.
#pragma once

namespace sccache {

// CPUs in this process's affinity mask (sched_getaffinity), at least 1.
unsigned usable_cpus();

}  // namespace sccache
