# One line per test suite: tmx_test(<file name in tests/> <timeout s> <libs>).
tmx_test(model 60 tmx_model)
tmx_test(storage 120 tmx_storage)
tmx_test(actors 120 tmx_actors)
tmx_test(scheduling 120 tmx_actors)
# Black-box suites against a real tmx-server (PkgConfig::CPP_HTTPLIB comes
# from CMakeLists.txt).
tmx_test(http 180 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_http tmx-server)
tmx_test(durability 180 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_durability tmx-server)
tmx_test(cluster 300 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_cluster tmx-server tmx-agent)
tmx_test(tmxctl 180 tmx_storage PkgConfig::CPP_HTTPLIB)
add_dependencies(test_tmxctl tmx-server tmxctl)
tmx_test(host_process 120 tmx_host)
add_test(NAME reference_scripts
         COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/reference_scripts.py)
set_tests_properties(reference_scripts PROPERTIES TIMEOUT 120)
tmx_test(adb 300 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_adb tmx-server tmx-agent)
target_compile_definitions(test_adb PRIVATE TMX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
tmx_test(adb_client 120 tmx_host)
target_compile_definitions(test_adb_client PRIVATE TMX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
