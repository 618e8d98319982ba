# The crash test (tools/crash-test) with a few short rounds: load, SIGKILL,
# restart, checks. It runs the built programs, so ctest must run after the
# build (as for every suite here); a failure prints the seed to replay.
add_test(NAME crash_test
         COMMAND python3 ${CMAKE_SOURCE_DIR}/tools/crash-test
                 --rounds 5 --round-seconds 2
                 --server $<TARGET_FILE:tmx-server>
                 --agent $<TARGET_FILE:tmx-agent>
                 --tmxctl $<TARGET_FILE:tmxctl>)
set_tests_properties(crash_test PROPERTIES TIMEOUT 120)
# The same with storage.sync: replies wait for the fsync they share (group
# commit), and still none is lost.
add_test(NAME crash_test_sync
         COMMAND python3 ${CMAKE_SOURCE_DIR}/tools/crash-test
                 --rounds 5 --round-seconds 2 --sync
                 --server $<TARGET_FILE:tmx-server>
                 --agent $<TARGET_FILE:tmx-agent>
                 --tmxctl $<TARGET_FILE:tmxctl>)
set_tests_properties(crash_test_sync PROPERTIES TIMEOUT 120)
