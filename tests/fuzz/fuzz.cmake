# The fuzz targets of tests/fuzz/<name>.cpp, each over real production code
# that reads outside input. With TMX_FUZZ (clang-14, build-fuzz) each is a
# libFuzzer binary fuzz_<name> that `make fuzz` runs. Otherwise the same
# source is linked with replay_main.cpp and ctest fuzz_replay_<name> runs it
# once on every file of tests/fuzz/corpus/<name>/ (the seed corpus) and
# tests/fuzz/regressions/<name>/ (every input that once failed), so that
# `make test` and `make sanitize` check them too.

set(TMX_FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)
add_custom_target(fuzz_targets)

# tmx_fuzz_target(NAME LIBS...)
function(tmx_fuzz_target name)
  add_executable(fuzz_${name} ${TMX_FUZZ_DIR}/${name}.cpp)
  target_link_libraries(fuzz_${name} PRIVATE ${ARGN})
  add_dependencies(fuzz_targets fuzz_${name})
  if(TMX_FUZZ)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    return()
  endif()
  target_sources(fuzz_${name} PRIVATE ${TMX_FUZZ_DIR}/replay_main.cpp)
  add_test(NAME fuzz_replay_${name}
           COMMAND fuzz_${name} ${TMX_FUZZ_DIR}/corpus/${name}
                   ${TMX_FUZZ_DIR}/regressions/${name})
  set_tests_properties(fuzz_replay_${name} PROPERTIES TIMEOUT 120)
endfunction()

tmx_fuzz_target(create tmx_model)
tmx_fuzz_target(list_query tmx_model restinio::restinio)
target_sources(fuzz_list_query PRIVATE ${CMAKE_SOURCE_DIR}/http/query_string.cpp)
tmx_fuzz_target(batch_delete tmx_model)
tmx_fuzz_target(store_codec tmx_storage)
tmx_fuzz_target(webhook tmx_model)
tmx_fuzz_target(group tmx_model)
tmx_fuzz_target(schedule tmx_storage)
# tmx_options reuses tmx_actors' precompiled header, which would build all
# of actors/ under the fuzzing flags: the fuzz build compiles options.cpp
# into its target instead.
if(TMX_FUZZ)
  tmx_fuzz_target(config tmx_model caf::openssl spdlog::spdlog)
  target_sources(fuzz_config PRIVATE ${CMAKE_SOURCE_DIR}/tools/options.cpp)
else()
  tmx_fuzz_target(config tmx_options)
endif()

# The program that wrote tests/fuzz/corpus/store_codec/ (see its header).
add_executable(fuzz_store_codec_seeds EXCLUDE_FROM_ALL
               ${TMX_FUZZ_DIR}/store_codec_seeds.cpp)
target_link_libraries(fuzz_store_codec_seeds PRIVATE tmx_storage)
