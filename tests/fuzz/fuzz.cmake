# fuzz.cmake - the libFuzzer targets, included by CMakeLists.txt under -DTD_FUZZ=ON.
#
# Configure with clang (scripts/fuzz.sh does all of this):
#   CC=clang cmake -S . -B build/fuzz -DTD_FUZZ=ON && cmake --build build/fuzz
# Each tests/fuzz/fuzz_NAME.c becomes build/fuzz/fuzz_NAME, linked with
# -fsanitize=fuzzer (libFuzzer's main) on top of the ASan + UBSan library.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "TD_FUZZ needs clang (libFuzzer): CC=clang cmake -DTD_FUZZ=ON ...")
endif()

# The CLI's option parsing without its main(), for fuzz_cli_sample.
file(GLOB TD_FUZZ_CLI_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/cli/*.c)
list(FILTER TD_FUZZ_CLI_SOURCES EXCLUDE REGEX "/main\\.c$")

file(GLOB TD_FUZZERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
foreach(fuzz_src ${TD_FUZZERS})
  get_filename_component(fuzz_name ${fuzz_src} NAME_WE)
  set(srcs ${fuzz_src})
  if(fuzz_name MATCHES "_cli_")
    list(APPEND srcs ${TD_FUZZ_CLI_SOURCES})
  endif()
  add_executable(${fuzz_name} ${srcs})
  target_compile_options(${fuzz_name} PRIVATE ${TD_WARNINGS})
  target_compile_definitions(${fuzz_name} PRIVATE TD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_link_libraries(${fuzz_name} PRIVATE thinkdiff)
  target_link_options(${fuzz_name} PRIVATE -fsanitize=fuzzer)
endforeach()
