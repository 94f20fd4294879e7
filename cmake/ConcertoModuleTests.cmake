# The tests of a module (modules/<m>/tests/) or a shared library
# (libs/<l>/tests/), registered with ctest by one helper so a new module only
# lists its files (docs/plugin-guide.md, "Module template"):
#
#   concerto_module_tests(<name>
#     [UNIT <test_x.c>...]         cmocka programs, no server           -> unit_<x>
#     [LINK <target>...]           what the UNIT programs link (the code under test)
#     [INTEGRATION <test_x.c>...]  the real server and PostgreSQL (the "pg"
#                                  fixture), linked with the test harness
#                                  (tests/integration/harness.h)        -> integration_<x>
#     [PEERS]                      the INTEGRATION tests start the npm peers
#                                  (the SMTP sink, the JWT check)
#     [BROWSER <x.test.mjs>...]    Chromium tests importing tests/browser/harness.mjs,
#                                  one node --test run                  -> browser_<name>
#     [FUZZ <fuzz_x.c>...]         libFuzzer targets, only in -DCONCERTO_FUZZ=ON
#     [CORPUS <dir>])              builds, seeded from <dir>            -> fuzz_<x>
#
# Paths are relative to the calling CMakeLists.txt. A test name is
# <kind>_<x> when <x> (from test_<x>.c, fuzz_<x>.c) starts with <name>, else
# <kind>_<name>_<x>, so a module's names never collide with the core's.
# Every kind runs where the core's tests of that kind run: nothing but FUZZ in
# a fuzz build, no BROWSER under the sanitizers or without node and npm.
# In-tree only (it links the test harness); vendors test their own way.

set(CONCERTO_FUZZ_SECONDS 20 CACHE STRING "Seconds each fuzzer runs under ctest")
set(CONCERTO_BROWSER_DIR ${CMAKE_SOURCE_DIR}/tests/browser)

# What every server-side test is told: the binary, the test modules, the
# cluster, the sources.
set(CONCERTO_TEST_ENV
    "CONCERTO_BIN=$<TARGET_FILE:concerto>;CONCERTO_TEST_MODULES=${CMAKE_BINARY_DIR}/test-modules;CONCERTO_TEST_PG_BASE=${CMAKE_BINARY_DIR};CONCERTO_SOURCE_DIR=${CMAKE_SOURCE_DIR}")

function(_concerto_test_name out kind name file prefix)
  get_filename_component(base ${file} NAME_WE)
  string(REGEX REPLACE "^${prefix}" "" x ${base})
  if(x STREQUAL name OR x MATCHES "^${name}_")
    set(${out} ${kind}_${x} PARENT_SCOPE)
  else()
    set(${out} ${kind}_${name}_${x} PARENT_SCOPE)
  endif()
endfunction()

function(_concerto_cmocka target)
  if(NOT TARGET PkgConfig::CONCERTO_CMOCKA)
    pkg_check_modules(CONCERTO_CMOCKA REQUIRED IMPORTED_TARGET GLOBAL cmocka)
  endif()
  target_link_libraries(${target} PRIVATE PkgConfig::CONCERTO_CMOCKA)
endfunction()

# concerto_integration_test(<test name> <executable> <source> [PEERS]):
# one integration test program; also used for the core's own
# (tests/integration/CMakeLists.txt).
function(concerto_integration_test test exe source)
  cmake_parse_arguments(ARG "PEERS" "" "" ${ARGN})
  add_executable(${exe} ${source})
  _concerto_cmocka(${exe})
  target_link_libraries(${exe} PRIVATE test_harness concerto::plugin-api)
  target_compile_definitions(${exe} PRIVATE
    CONCERTO_SOURCE_DIR_LITERAL="${CMAKE_SOURCE_DIR}")
  if(ARG_PEERS)
    # The peers are npm packages (tests/browser/package.json): the SMTP sink
    # smtp-server, and jsonwebtoken checking the video tokens.
    add_test(NAME ${test}
             COMMAND sh -c "cd '${CONCERTO_BROWSER_DIR}' && (test -d node_modules/smtp-server && test -d node_modules/jsonwebtoken || npm install --no-audit --no-fund --silent) && '$<TARGET_FILE:${exe}>'")
    set_tests_properties(${test} PROPERTIES RESOURCE_LOCK npm)
  else()
    add_test(NAME ${test} COMMAND ${exe})
  endif()
  set_tests_properties(${test} PROPERTIES
    LABELS integration TIMEOUT 300 FIXTURES_REQUIRED pg
    ENVIRONMENT "${CONCERTO_TEST_ENV}")
endfunction()

# concerto_browser_test(<test name> [<file>...]): one node --test run in
# tests/browser (where playwright-core is installed); without files node
# finds tests/browser/*.test.mjs itself. Also used for the console's own
# (tests/browser/CMakeLists.txt).
function(concerto_browser_test test)
  find_program(CONCERTO_NODE node)
  find_program(CONCERTO_NPM npm)
  if(NOT CONCERTO_NODE OR NOT CONCERTO_NPM)
    message(STATUS "node or npm not found: the ${test} test is not added")
    return()
  endif()
  set(files "")
  foreach(f ${ARGN})
    get_filename_component(abs ${f} ABSOLUTE)
    string(APPEND files " '${abs}'")
  endforeach()
  add_test(NAME ${test}
           COMMAND sh -c "cd '${CONCERTO_BROWSER_DIR}' && (test -d node_modules/playwright-core -a -d node_modules/smtp-server || npm install --no-audit --no-fund --silent) && node --test --test-concurrency=1${files}")
  set_tests_properties(${test} PROPERTIES
    LABELS browser TIMEOUT 600 FIXTURES_REQUIRED pg RESOURCE_LOCK npm
    ENVIRONMENT "${CONCERTO_TEST_ENV};CONCERTO_WEB_DIR=${CMAKE_SOURCE_DIR}/core/web;CONCERTO_BROWSER_OUT=${CMAKE_BINARY_DIR}/browser-screenshots")
endfunction()

function(concerto_module_tests name)
  cmake_parse_arguments(ARG "PEERS" "CORPUS"
                        "UNIT;LINK;INTEGRATION;BROWSER;FUZZ" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "concerto_module_tests(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(CONCERTO_FUZZ)
    foreach(f ${ARG_FUZZ})
      _concerto_test_name(test fuzz ${name} ${f} "fuzz_")
      add_executable(${test} ${f})
      target_link_libraries(${test} PRIVATE ${ARG_LINK})
      target_compile_options(${test} PRIVATE -fsanitize=fuzzer,address,undefined)
      target_link_options(${test} PRIVATE -fsanitize=fuzzer,address,undefined)
      set(corpus ${CMAKE_CURRENT_BINARY_DIR}/corpus-${test})
      set(seed "")
      if(ARG_CORPUS)
        get_filename_component(seeds ${ARG_CORPUS} ABSOLUTE)
        set(seed "cp -n '${seeds}'/* '${corpus}'/ && ")
      endif()
      add_test(NAME ${test}
               COMMAND sh -c "mkdir -p '${corpus}' && ${seed}$<TARGET_FILE:${test}> -max_total_time=${CONCERTO_FUZZ_SECONDS} -max_len=4096 '${corpus}'")
      set_tests_properties(${test} PROPERTIES LABELS fuzz TIMEOUT 600)
    endforeach()
    return()
  endif()
  if(NOT BUILD_TESTING)
    return()
  endif()
  foreach(f ${ARG_UNIT})
    _concerto_test_name(test unit ${name} ${f} "test_")
    add_executable(${test} ${f})
    _concerto_cmocka(${test})
    target_link_libraries(${test} PRIVATE ${ARG_LINK})
    target_compile_definitions(${test} PRIVATE
      CONCERTO_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    add_test(NAME ${test} COMMAND ${test})
    set_tests_properties(${test} PROPERTIES LABELS unit TIMEOUT 60)
  endforeach()
  foreach(f ${ARG_INTEGRATION})
    _concerto_test_name(test integration ${name} ${f} "test_")
    string(REGEX REPLACE "^integration_" "it_" exe ${test})
    if(ARG_PEERS)
      concerto_integration_test(${test} ${exe} ${f} PEERS)
    else()
      concerto_integration_test(${test} ${exe} ${f})
    endif()
  endforeach()
  if(ARG_BROWSER AND NOT CONCERTO_SANITIZE)
    concerto_browser_test(browser_${name} ${ARG_BROWSER})
  endif()
endfunction()
