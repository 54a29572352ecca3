# CMake toolchain file: cross-compile LLVM, lld and the C++ runtimes (libc++,
# libc++abi, libunwind) for x86_64-unknown-veridian. Used by `cargo xtask llvm`.
#
# Inputs (cache variables, given with -D; nothing machine-specific is written here):
#   VERIDIAN_SYSROOT   the musl sysroot of `cargo xtask toolchain`
#                      (include/, lib/ with crt objects, libc.a, libgcc.a, libgcc_eh.a)
#   VERIDIAN_CLANG     the clang C driver (default: clang-22); VERIDIAN_CLANGXX likewise
#   VERIDIAN_CXX_ROOT  prefix holding libc++ (include/c++/v1, lib/libc++.a); left empty
#                      while libc++ itself is being built
#   VERIDIAN_KERNEL_HEADERS  Linux UAPI headers (linux/, asm/, asm-generic/), searched after
#                      the sysroot: libc++ and LLVM include <linux/futex.h> and the like,
#                      which musl does not ship (the ABI is Linux's, so they are right)
#
# Choices a reader might expect otherwise, with reasons:
# - CMAKE_SYSTEM_NAME is Linux: VeridianOS speaks the Linux x86_64 syscall ABI over musl,
#   and CMake's and LLVM's platform logic (threads, mmap, ELF, PIC) is right for it
#   unchanged. The triple LLVM reports is still x86_64-unknown-veridian (LLVM_HOST_TRIPLE).
# - The compiler is clang 22 (Debian's clang-22) rather than the x86_64-veridian-gcc
#   wrapper: libc++ 22 supports only current compilers (gcc 12 cannot parse its headers),
#   and LLVM is built against that libc++. clang is told the musl-linux triple, which is
#   the same ABI, because Debian's clang does not know the veridian OS.
# - C++ exceptions/RTTI are left to LLVM's own defaults (it turns both off itself).

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

# try_compile projects re-read this file; hand the inputs on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES
  VERIDIAN_SYSROOT VERIDIAN_CLANG VERIDIAN_CLANGXX VERIDIAN_CXX_ROOT VERIDIAN_KERNEL_HEADERS)

if(NOT VERIDIAN_SYSROOT)
  message(FATAL_ERROR "VERIDIAN_SYSROOT is not set (run `cargo xtask llvm`)")
endif()
if(NOT VERIDIAN_CLANG)
  set(VERIDIAN_CLANG clang-22)
endif()
if(NOT VERIDIAN_CLANGXX)
  set(VERIDIAN_CLANGXX clang++-22)
endif()

set(VERIDIAN_CLANG_TRIPLE x86_64-unknown-linux-musl)
set(CMAKE_C_COMPILER ${VERIDIAN_CLANG})
set(CMAKE_CXX_COMPILER ${VERIDIAN_CLANGXX})
set(CMAKE_ASM_COMPILER ${VERIDIAN_CLANG})
set(CMAKE_C_COMPILER_TARGET ${VERIDIAN_CLANG_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${VERIDIAN_CLANG_TRIPLE})
set(CMAKE_ASM_COMPILER_TARGET ${VERIDIAN_CLANG_TRIPLE})

set(CMAKE_SYSROOT ${VERIDIAN_SYSROOT})
set(CMAKE_FIND_ROOT_PATH ${VERIDIAN_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The sysroot is flat (lib/ holds the crt objects), so point the driver at it with -B.
# Everything is position independent: rustc links itself as a static PIE.
set(VERIDIAN_COMMON_FLAGS "-B${VERIDIAN_SYSROOT}/lib -fPIC -ffunction-sections -fdata-sections")
if(VERIDIAN_KERNEL_HEADERS)
  string(APPEND VERIDIAN_COMMON_FLAGS " -idirafter ${VERIDIAN_KERNEL_HEADERS}")
endif()
set(CMAKE_C_FLAGS_INIT "${VERIDIAN_COMMON_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${VERIDIAN_COMMON_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${VERIDIAN_COMMON_FLAGS}")
# Debian's libgcc_eh reaches pthread_once & co. through weak references, which a static
# link leaves null unless something else pulls them in: the first C++ throw after a
# thread started then jumps to address 0. Asking for them keeps unwinding sound.
set(VERIDIAN_LINK_FLAGS "-fuse-ld=lld -rtlib=libgcc -unwindlib=libgcc -static -Wl,--gc-sections")
string(APPEND VERIDIAN_LINK_FLAGS
  " -Wl,-u,pthread_once -Wl,-u,pthread_getspecific -Wl,-u,pthread_setspecific")

if(VERIDIAN_CXX_ROOT)
  # libc++ (with libc++abi merged in) from the runtimes step; gcc's libgcc_eh stays the
  # one unwinder, as it is for the Rust std of this target.
  # The headers are named explicitly (Debian's clang would not look for them in this
  # sysroot's layout); -stdlib=libc++ is then for the link only, and saying it at compile
  # time too (as LLVM's checks do) must not trip -Werror.
  string(APPEND CMAKE_CXX_FLAGS_INIT
    " -nostdinc++ -isystem ${VERIDIAN_CXX_ROOT}/include/c++/v1 -Wno-unused-command-line-argument")
  string(APPEND VERIDIAN_LINK_FLAGS " -stdlib=libc++ -L${VERIDIAN_CXX_ROOT}/lib")
endif()

set(CMAKE_EXE_LINKER_FLAGS_INIT "${VERIDIAN_LINK_FLAGS}")
