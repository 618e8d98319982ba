# One line per test suite: tmx_test(<file name in tests/> <timeout s> <libs>).
tmx_test(model 60 tmx_model)
tmx_test(storage 120 tmx_storage tmx_storage_testing)
target_sources(test_storage PRIVATE ${CMAKE_SOURCE_DIR}/tests/storage_inspect.cpp)
# The list index: every filter combination, deep pages, migration, check.
tmx_test(list_index 180 tmx_storage tmx_storage_testing)
target_sources(test_list_index PRIVATE
  ${CMAKE_SOURCE_DIR}/tests/list_index_migration.cpp)
tmx_test(actors 120 tmx_actors)
tmx_test(scheduling 120 tmx_actors)
# Black-box suites against a real tmx-server (PkgConfig::CPP_HTTPLIB comes
# from CMakeLists.txt).
tmx_test(http 180 tmx_model PkgConfig::CPP_HTTPLIB)
# One suite in several files by area; fixtures in tests/http/fixtures.hpp.
target_sources(test_http PRIVATE
  ${CMAKE_SOURCE_DIR}/tests/http/access.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/accounts.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/connections.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/create.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/dashboard.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/groups.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/hostile_input.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/overload.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/runs.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/schedules.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/scheduling.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/scripts.cpp
  ${CMAKE_SOURCE_DIR}/tests/http/tasks.cpp)
add_dependencies(test_http tmx-server)
# The API's request parsers (model/request_parsing.hpp), without a server.
tmx_test(http_parsing 60 tmx_model)
# The script_config rules beyond the tables (comment, ChatGPT settings),
# comment's fan-out, and the masking and redaction of secrets.
tmx_test(script_config 60 tmx_model)
target_sources(test_script_config PRIVATE
  ${CMAKE_SOURCE_DIR}/tests/script_secrets.cpp)
# The API key of account_warmup on every surface of a real server (sim and
# adb driver, the fake adb server), and on the script's stdin.
tmx_test(secrets 240 tmx_model PkgConfig::CPP_HTTPLIB OpenSSL::Crypto)
add_dependencies(test_secrets tmx-server tmxctl)
target_compile_definitions(test_secrets PRIVATE
                           TMX_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
tmx_test(durability 180 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_durability tmx-server)
tmx_test(cluster 300 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_cluster tmx-server tmx-agent)
tmx_test(tmxctl 180 tmx_storage tmx_storage_testing PkgConfig::CPP_HTTPLIB)
# One suite in several files; helpers in tests/tmxctl/fixtures.hpp. The
# event-stream parser of tmxctl is unit-tested there too.
target_sources(test_tmxctl PRIVATE
  ${CMAKE_SOURCE_DIR}/tests/tmxctl/db.cpp
  ${CMAKE_SOURCE_DIR}/tests/tmxctl/events.cpp
  ${CMAKE_SOURCE_DIR}/tests/tmxctl/groups.cpp
  ${CMAKE_SOURCE_DIR}/tests/tmxctl/retention.cpp
  ${CMAKE_SOURCE_DIR}/tests/tmxctl/schedules.cpp
  ${CMAKE_SOURCE_DIR}/tests/tmxctl/sse_parser.cpp
  ${CMAKE_SOURCE_DIR}/tests/tmxctl/watch.cpp
  ${CMAKE_SOURCE_DIR}/tools/tmxctl/sse.cpp)
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
tmx_test(write_first 120 tmx_actors)
tmx_test(transitions 60 tmx_model)
# A data directory on a small tmpfs (needs root to mount; skipped else).
tmx_test(disk_full 180 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_disk_full tmx-server tmxctl)
set_tests_properties(disk_full PROPERTIES
                     SKIP_REGULAR_EXPRESSION "disk_full skipped:")
include(tests/fuzz/fuzz.cmake)
include(${CMAKE_SOURCE_DIR}/tools/crash_test.cmake)
tmx_test(cluster_tls 300 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_cluster_tls tmx-server tmx-agent tmxctl)
# The event stream (GET /api/v1/events) against a real tmx-server.
tmx_test(events 240 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_events tmx-server)
# GET /metrics against a real tmx-server (tests/http/fixtures.hpp).
tmx_test(metrics 120 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_metrics tmx-server)
# configs/prometheus.yml and the alert rules with their promtool unit tests
# (promtool: Debian package prometheus; skipped where it is missing).
add_test(NAME alert_rules
  COMMAND sh -c "command -v promtool >/dev/null || { echo 'alert_rules skipped: no promtool'; exit 0; }; promtool check config configs/prometheus.yml && promtool test rules tests/prometheus/tmx-alerts.test.yml"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(alert_rules PROPERTIES TIMEOUT 60
                     SKIP_REGULAR_EXPRESSION "alert_rules skipped:")
# Webhooks against a real tmx-server and receivers of the test's own;
# the pure parts (request, url, signature, retry arithmetic) without one.
tmx_test(webhooks 240 tmx_model PkgConfig::CPP_HTTPLIB OpenSSL::Crypto)
add_dependencies(test_webhooks tmx-server)
tmx_test(webhook_model 60 tmx_model OpenSSL::Crypto)
tmx_test(store_events 60 tmx_storage)
# Device groups: the body, the registry, group mode and the store's records
# (group_model); the task manager's groups on the test coordinator (groups).
tmx_test(group_model 60 tmx_storage)
tmx_test(groups 120 tmx_actors)
# Schedules: the slots in a time zone and what is owed (schedule_model),
# the bodies and the object (schedule_requests), the records and the
# firing's batch (schedule_store), the keeper on the test coordinator
# (schedule_keeper), and real servers killed around a slot
# (schedule_restart, which waits for a whole minute of the wall clock).
tmx_test(schedule_model 60 tmx_model)
tmx_test(schedule_requests 60 tmx_model)
tmx_test(schedule_store 60 tmx_storage)
tmx_test(schedule_keeper 120 tmx_actors)
tmx_test(schedule_restart 240 tmx_model PkgConfig::CPP_HTTPLIB)
add_dependencies(test_schedule_restart tmx-server)
# The dashboard's files (http/web_files.hpp), against web/ as it is.
tmx_test(web_files 60 tmx_web ZLIB::ZLIB)
target_compile_definitions(test_web_files PRIVATE
  TMX_WEB_DIR="${CMAKE_SOURCE_DIR}/web")
# The dashboard in a real browser: headless Chromium driven by Selenium
# against a real tmx-server with simulated devices (tests/dashboard/). Each
# page's screenshot lands in dashboard-screenshots/ of the build directory.
add_test(NAME dashboard
         COMMAND /usr/bin/python3 -m unittest discover -s ${CMAKE_SOURCE_DIR}/tests/dashboard -v)
set_tests_properties(dashboard PROPERTIES TIMEOUT 600 ENVIRONMENT
  "TMX_SERVER=$<TARGET_FILE:tmx-server>;TMX_SCREENSHOT_DIR=${CMAKE_BINARY_DIR}/dashboard-screenshots")
# Group commit (storage.sync) in the store actor, on the test coordinator.
tmx_test(group_commit 60 tmx_actors)
