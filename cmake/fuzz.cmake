# cmake/fuzz.cmake - libFuzzer targets (test/fuzz), built with -DFUZZ=ON and clang:
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DFUZZ=ON
#   cmake --build build-fuzz --target fuzz_assess fuzz_jsonstream
# scripts/fuzz does this and runs them. Each target links the source it tests
# directly, instrumented for coverage (-fsanitize=fuzzer), AddressSanitizer and
# UndefinedBehaviorSanitizer; the helpers it needs (util, plan, args) get the
# sanitizers but no coverage, so that the coverage figures count the code under test.

option(FUZZ "build the libFuzzer targets in test/fuzz (needs clang)" OFF)

if(FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FUZZ=ON needs clang: configure with -DCMAKE_C_COMPILER=clang "
      "(the compiler is ${CMAKE_C_COMPILER_ID})")
  endif()
  set(FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer -g)

  add_library(fuzz_support STATIC src/util.c src/plan.c src/procedure.c src/edits.c src/args.c)
  target_include_directories(fuzz_support PUBLIC src)
  target_compile_options(fuzz_support PRIVATE ${FUZZ_SANITIZERS})
  target_link_libraries(fuzz_support PUBLIC PkgConfig::JANSSON m)

  foreach(pair fuzz_assess:assess fuzz_jsonstream:jsonstream)
    string(REPLACE ":" ";" pair "${pair}")
    list(GET pair 0 target)
    list(GET pair 1 source)
    add_executable(${target} test/fuzz/${target}.c src/${source}.c)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer ${FUZZ_SANITIZERS})
    target_link_options(${target} PRIVATE -fsanitize=fuzzer ${FUZZ_SANITIZERS})
    target_link_libraries(${target} PRIVATE fuzz_support)
  endforeach()
endif()
