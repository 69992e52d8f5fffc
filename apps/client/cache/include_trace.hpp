// gcc's -H include trace, for depend mode where the depfile leaves system headers out (-MMD):
// -H prints every header entered, one per line as dots (the depth), a space and the path, then
// at the end "Multiple include guards may be useful for:" and a list of paths. Both go to
// stderr between the compiler's own diagnostics (the same stream, whole lines), so removing
// exactly those lines gives the stderr of the command without -H; -H changes nothing else.
// Precompiled headers show as "! <file>.gch" (used) and "x <file>.gch" (rejected).
//
// Threads: pure. Failure: none (a line that is not the trace's is kept as it is).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sccache::cache {

struct IncludeTrace {
  std::string diagnostics;  // stderr without the trace
  // Every file the trace names as read, once, absolute (against cwd) and lexically normal.
  std::vector<std::filesystem::path> files;
};

IncludeTrace split_include_trace(std::string_view stderr_text, const std::filesystem::path& cwd);

}  // namespace sccache::cache
