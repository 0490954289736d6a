# Run `tasvir-bench local --quick`; fail unless it exits 0 and prints the CSV header.
# Usage: cmake -DBENCH=<path to tasvir-bench> -DOUT=<csv file> -P smoke.cmake
if(NOT BENCH OR NOT OUT)
  message(FATAL_ERROR "smoke.cmake: pass -DBENCH=<tasvir-bench> -DOUT=<csv file>")
endif()
execute_process(COMMAND ${BENCH} local --quick
  OUTPUT_FILE ${OUT}
  RESULT_VARIABLE rc
  TIMEOUT 55)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tasvir-bench local --quick exited with '${rc}'")
endif()
file(STRINGS ${OUT} lines)
list(LENGTH lines n)
if(n LESS 2)
  message(FATAL_ERROR "tasvir-bench local --quick printed ${n} line(s), expected a header and rows")
endif()
list(GET lines 0 header)
foreach(col bench workload area_bytes sync_int_us write_xput_l0s0_mbps write_xput_l1s1_mbps
            overhead_full_pct isync_us_per_call epochs_ok_per_s ratio_vs_memcpy
            ratio_vs_memcpy_paired ratio_vs_line_stream line_store_gbps
            memcpy_split_gbps)
  if(NOT header MATCHES "(^|,)${col}(,|$)")
    message(FATAL_ERROR "CSV header lacks column '${col}': ${header}")
  endif()
endforeach()
message(STATUS "tasvir-bench local --quick: ${n} lines, header ok")
