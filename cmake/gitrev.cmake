# cmake -DSRC=DIR -DOUT=FILE -DPREFIX=NAME -P gitrev.cmake
# Writes OUT, a header defining NAME_GIT_REV (full commit id of SRC), NAME_GIT_DIRTY (1 if
# tracked files differ from it) and NAME_GIT_DESCRIBE (`git describe --always --dirty`);
# "unknown" outside a git checkout.  OUT is rewritten only when its text changes, so an
# unchanged revision rebuilds nothing.  Used for the git revision in run manifests.
if(NOT PREFIX)
  message(FATAL_ERROR "gitrev.cmake: PREFIX is not set")
endif()
execute_process(COMMAND git -C "${SRC}" rev-parse HEAD
                OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR rev STREQUAL "")
  set(rev "unknown")
endif()
execute_process(COMMAND git -C "${SRC}" status --porcelain --untracked-files=no
                OUTPUT_VARIABLE st RESULT_VARIABLE rc2 ERROR_QUIET)
if(rc2 EQUAL 0 AND NOT st STREQUAL "")
  set(dirty 1)
else()
  set(dirty 0)
endif()
execute_process(COMMAND git -C "${SRC}" describe --always --dirty
                OUTPUT_VARIABLE desc OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc3 ERROR_QUIET)
if(NOT rc3 EQUAL 0 OR desc STREQUAL "")
  set(desc "unknown")
endif()
set(text "#define ${PREFIX}_GIT_REV \"${rev}\"\n#define ${PREFIX}_GIT_DIRTY ${dirty}\n#define ${PREFIX}_GIT_DESCRIBE \"${desc}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
