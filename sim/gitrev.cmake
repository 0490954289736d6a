# Writes OUT with the git revision of SRC (or "unknown"), touching it only on change.
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
set(text "#define TASVIR_SIM_GIT_REV \"${rev}\"\n#define TASVIR_SIM_GIT_DIRTY ${dirty}\n#define TASVIR_SIM_GIT_DESCRIBE \"${desc}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
