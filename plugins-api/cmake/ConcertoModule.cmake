# concerto_add_module(<name> SOURCES <files...> [DIR <folder>])
#
# Builds one Concerto module as <name>.so with hidden visibility and the
# version script, so the descriptor function is its only export. DIR is the
# module's folder holding sql/ and web/ (default: the current source dir); it
# is linked beside the .so in the build tree and installed next to it.
# Used in-tree, and by vendors after `cmake --install` (include it from
# <prefix>/share/concerto/cmake) - or use pkg-config concerto-plugin instead.
function(concerto_add_module name)
  cmake_parse_arguments(ARG "" "DIR" "SOURCES" ${ARGN})
  if(NOT ARG_DIR)
    set(ARG_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    LIBRARY_OUTPUT_DIRECTORY ${CONCERTO_MODULE_OUTPUT_DIR})
  target_link_libraries(${name} PRIVATE concerto::plugin-api)
  target_link_options(${name} PRIVATE
    -Wl,--version-script=${CONCERTO_MODULE_MAP} -Wl,--no-undefined)
  foreach(sub sql web demo)
    if(EXISTS ${ARG_DIR}/${sub})
      file(MAKE_DIRECTORY ${CONCERTO_MODULE_OUTPUT_DIR}/${name})
      file(CREATE_LINK ${ARG_DIR}/${sub} ${CONCERTO_MODULE_OUTPUT_DIR}/${name}/${sub}
           SYMBOLIC)
      if(NOT CONCERTO_MODULE_NO_INSTALL)
        install(DIRECTORY ${ARG_DIR}/${sub}
                DESTINATION ${CMAKE_INSTALL_LIBDIR}/concerto/modules/${name})
      endif()
    endif()
  endforeach()
  if(NOT CONCERTO_MODULE_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/concerto/modules)
  endif()
endfunction()
