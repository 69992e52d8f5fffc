# sccache_add_plugin(<name> ENTRY <entry.cpp> SOURCES <impl sources...> [LIBRARIES <libs...>])
#
# Makes two targets, as the plugin ABI design asks:
#   <name>_impl  a static, position-independent library with everything, which tests link;
#   <name>       the MODULE sccache-<name>.so: the entry point plus <name>_impl, exporting only the
#                entry symbol (hidden visibility, no undefined symbols).
# Out-of-tree plugins use sccache_add_plugin_module() from the installed SDK instead.
include(${CMAKE_CURRENT_LIST_DIR}/SccachePluginModule.cmake)

function(sccache_add_plugin name)
  cmake_parse_arguments(P "" "ENTRY" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${name}_impl STATIC ${P_SOURCES})
  set_target_properties(${name}_impl PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # Includes are rooted at plugins/: "sandbox-bwrap/bwrap_command.hpp".
  target_include_directories(${name}_impl PUBLIC ${PROJECT_SOURCE_DIR}/plugins)
  target_link_libraries(${name}_impl PUBLIC sccache::core sccache::util ${P_LIBRARIES})

  add_library(${name} MODULE ${P_ENTRY})
  target_link_libraries(${name} PRIVATE ${name}_impl)
  sccache_configure_plugin_module(${name} ${name})
  set_target_properties(${name} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${SCCACHE_PLUGIN_OUTPUT_DIR}
    INSTALL_RPATH "$ORIGIN/../..")
  install(TARGETS ${name} LIBRARY DESTINATION ${SCCACHE_PLUGIN_SUBDIR})
endfunction()
