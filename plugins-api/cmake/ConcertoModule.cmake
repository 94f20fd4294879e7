# concerto_add_module(<name> SOURCES <files...> [DIR <folder>])
#
# Builds one Concerto module as <name>.so with hidden visibility and the
# version script, so the descriptor function is its only export. DIR is the
# module's folder holding sql/ and web/ (default: the current source dir); it
# is linked beside the .so in the build tree and installed next to it.
# Used in-tree, and by vendors after `cmake --install` (include it from
# <prefix>/share/concerto/cmake) - or use pkg-config concerto-plugin instead.
#
# A module that offers services keeps their versioned headers in
# <DIR>/include/concerto/<name>_v<N>.h: they become the interface target
# concerto::<name>-api (a consumer module links it to include them) and are
# installed under <prefix>/include/concerto/, beside the plugin API, where
# `pkg-config --cflags concerto-plugin` finds them. Test modules
# (CONCERTO_MODULE_NO_INSTALL) install nothing by default; their files go
# to the component "concerto-test" for the out-of-tree tests.
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
  if(EXISTS ${ARG_DIR}/include/concerto AND NOT TARGET ${name}-api)
    add_library(${name}-api INTERFACE)
    add_library(concerto::${name}-api ALIAS ${name}-api)
    target_include_directories(${name}-api INTERFACE
      $<BUILD_INTERFACE:${ARG_DIR}/include>)
    target_include_directories(${name} PRIVATE ${ARG_DIR}/include)
    if(CONCERTO_MODULE_NO_INSTALL)
      install(DIRECTORY ${ARG_DIR}/include/concerto
              DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
              COMPONENT concerto-test EXCLUDE_FROM_ALL)
      install(TARGETS ${name} LIBRARY
              DESTINATION ${CMAKE_INSTALL_LIBDIR}/concerto/modules
              COMPONENT concerto-test EXCLUDE_FROM_ALL)
      foreach(sub sql web)
        if(EXISTS ${ARG_DIR}/${sub})
          install(DIRECTORY ${ARG_DIR}/${sub}
                  DESTINATION ${CMAKE_INSTALL_LIBDIR}/concerto/modules/${name}
                  COMPONENT concerto-test EXCLUDE_FROM_ALL)
        endif()
      endforeach()
    else()
      install(DIRECTORY ${ARG_DIR}/include/concerto
              DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
    endif()
  endif()
endfunction()
