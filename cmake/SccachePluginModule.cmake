# Installed with the SDK: what turns a CMake MODULE into a plugin the sccache-dist loader accepts.
#
#   sccache_add_plugin_module(<file-name> SOURCES <sources...> [LIBRARIES <libs...>])
#     A MODULE target <file-name> whose file is "sccache-<file-name>.so", e.g.
#     sccache_add_plugin_module(auth-user-tokens SOURCES user_tokens.cpp) makes
#     sccache-auth-user-tokens.so. Links sccache::core (which brings C++20 and the headers).
#
#   sccache_configure_plugin_module(<target> <file-name>)
#     The same properties for a MODULE target made some other way.
#
# Only the entry symbol is exported (hidden visibility); undefined symbols fail the link rather
# than the load.
function(sccache_configure_plugin_module target file_name)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "sccache-${file_name}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(NOT SCCACHE_FUZZ)  # sanitizer runtimes live in the fuzz tree's executables
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
endfunction()

function(sccache_add_plugin_module file_name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${file_name} MODULE ${P_SOURCES})
  target_link_libraries(${file_name} PRIVATE sccache::core ${P_LIBRARIES})
  sccache_configure_plugin_module(${file_name} ${file_name})
endfunction()
