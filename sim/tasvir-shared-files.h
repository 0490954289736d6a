/*
 * tasvir-shared-files.h — the per-node files of the shared workload module
 * (experiments/workload, run by the "versioned" stepped workload) in a tasvir-sim run
 * directory: converted to simulator time, then joined exactly as on hardware.
 *
 * Every node writes, on its own clock (experiments/workload/workload.h):
 *   versions-node<N>.csv     area,owner,version,pub_ns,lines_changed
 *   visible-node<N>.csv      area,owner,node,version,pub_ns,visible_ns
 *   samples-raw-node<N>.csv  time_ns,node,thread,area,owner,version,pub_ns,
 *                            announced_version,announced_pub_ns,w2v_ns
 *   trace-node<N>.csv        node,area,owner,version,event,peer,ns,epoch_start_ns,frames
 *                            (the core's trace, written by the node app: ns and
 *                            epoch_start_ns are the node's clock)
 * A time stamped by node X reads simulator time + offset(X) (tasvir-sim gives node clocks
 * random offsets so that their sync grids are not in phase).  ToSimTime rewrites the
 * files in simulator time: pub_ns and announced_pub_ns are the owner's clock, time_ns and
 * visible_ns the node's, and w2v_ns (a reader time minus an owner-stamped write time) gets
 * offset(owner) - offset(node).  This is the conversion DESIGN.md §6 asks of hardware runs
 * across machines, with offsets known exactly instead of estimated.
 *
 * Join then does what tasvir-collect does for a hardware run: tsv_join (the shared
 * module's) writes visibility.csv and samples.csv from the per-node files, and versions.csv
 * gets every owner's versions in node order.  samples.csv is put in node order (tsv_join
 * reads the per-node files in directory order), so a run directory does not depend on the
 * file system.
 */
#ifndef TASVIR_SHARED_FILES_H
#define TASVIR_SHARED_FILES_H

#include <cstdint>
#include <string>
#include <vector>

struct tsv_trace; // experiments/workload/workload.h

namespace ns3
{

/**
 * Write node id's trace of the version path (trace-node<N>.csv, node clock, converted with
 * the other files) next to its workload files.  Returns false with *error.
 */
bool TasvirSharedFilesWriteTrace(const std::string& dir,
                                 uint16_t id,
                                 const struct tsv_trace* trace,
                                 std::string* error);

/** Names of the per-node files of node `id` (those that exist in dir), in kind order. */
std::vector<std::string> TasvirSharedFilesOfNode(const std::string& dir, uint16_t id);

/**
 * Rewrite the per-node files of nodes `ids` in simulator time.  offsetNs[id] is node id's
 * clock offset (ids index it).  Returns false with *error naming the file and line.
 */
bool TasvirSharedFilesToSimTime(const std::string& dir,
                                const std::vector<uint16_t>& ids,
                                const std::vector<uint64_t>& offsetNs,
                                std::string* error);

/**
 * Join the per-node files into visibility.csv, samples.csv and versions.csv (names added
 * to *files).  Returns false with *error.
 */
bool TasvirSharedFilesJoin(const std::string& dir,
                           const std::vector<uint16_t>& ids,
                           std::vector<std::string>* files,
                           std::string* error);

} // namespace ns3

#endif /* TASVIR_SHARED_FILES_H */
