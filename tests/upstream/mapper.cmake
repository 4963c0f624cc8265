# Unit tests of upstream/response_mapper. Included by tests/unit/CMakeLists.txt;
# paths are relative to this file so the includer's directory does not matter.
add_executable(response_mapper_test ${CMAKE_CURRENT_LIST_DIR}/response_mapper_test.cc)
target_link_libraries(response_mapper_test
  PRIVATE ktp_upstream GTest::gtest_main GTest::gmock ktp_warnings)
gtest_discover_tests(response_mapper_test DISCOVERY_MODE PRE_TEST)
