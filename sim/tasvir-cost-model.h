/*
 * tasvir-cost-model.h — CPU costs the simulator cannot see, charged as simulated time.
 *
 * The simulator runs the real core, so the *work* (lines copied, bytes scanned, frames
 * built and parsed) is real, but it takes no simulated time.  The cost model turns that
 * work into time, from per-unit costs measured on real hardware and stored in a calibration
 * file (format: docs/simulation.md, written by `tasvir-bench calibrate`):
 *
 *     # comment
 *     format = 1
 *     machine = some text           (free-text keys: machine, cpu, date, tool, note)
 *     copy_ns_per_line = 4.1        (numeric keys: see Keys())
 *
 * A call's cost is derived from the node's tasvir_stats deltas across the call (the
 * simulation runs one node call at a time, so the delta is exactly that call's work) plus
 * the frames it sent and received.  Missing numeric keys keep their built-in defaults and
 * are reported by Defaulted(); unknown keys, malformed lines, duplicates and negative or
 * non-numeric values are errors naming the file, the line and the key.
 *
 * No ns-3 here: costs are plain nanoseconds, so the parser is testable on its own.
 */
#ifndef TASVIR_COST_MODEL_H
#define TASVIR_COST_MODEL_H

#include "tasvir/tasvir.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ns3
{

class TasvirCostModel
{
  public:
    /** Per-unit costs in ns (see docs/simulation.md for what each one covers). */
    struct Params
    {
        double epoch_fixed_ns;           //!< per internal-sync epoch (start + publish)
        double checkin_ns;               //!< per tasvir_service call during an epoch
        double checkin_jitter_ns;        //!< a check-in lands up to this late after its tick
        double done_notice_ns;           //!< a waiting thread sees the epoch end this late
        double poll_ns;                  //!< per sync-engine poll (fixed part)
        double poll_ns_per_peer;         //!< per sync-engine poll and peer the node knows
        double engine_wake_ns;           //!< the engine notices a kick or a frame this late
        double scan_ns_per_kib;          //!< dirty-log scan, per KiB of area covered
        double copy_ns_per_line;         //!< writer -> reader copy, per 64-byte line
        double frame_encode_ns;          //!< build one frame (fixed part)
        double frame_encode_ns_per_kib;  //!< build one frame, per KiB of frame
        double frame_decode_ns;          //!< parse one frame (fixed part)
        double frame_decode_ns_per_kib;  //!< parse one frame, per KiB of frame
        double sleep_wake_ns;            //!< --relax=sleep: a sleeping thread runs this long
                                         //!< after a wake (median; drawn in [0.5, 1.5] x)
        double timer_late_ns;            //!< --relax=sleep: a timed sleep ends this much
                                         //!< late (median; drawn in [0.5, 1.5] x)
        double timer_wake_ns;            //!< --nodeCpu: the CPU a timer wake-up of a
                                         //!< sleeping engine occupies (0: sleep_wake_ns)
        double timer_sleep_ns;           //!< the timed sleep the two keys above were
                                         //!< measured with (an idle engine's; not a cost)
        double port_tx_ns;               //!< hand a call's frames to the port (the kernel
                                         //!< kick of net_af_packet; 0: NIC, memif)
        double port_tx_ns_per_frame;     //!< the kernel carries one frame (veth, bridge)
        double app_write_ns_per_line;    //!< the workload writes one line (application work)
        double app_verify_ns_per_line;   //!< the workload's probe verifies one line
    };

    TasvirCostModel();

    /** Load a calibration file.  On failure returns false and sets *error to a message
     *  "FILE:LINE: ..." naming the problem; the model keeps its previous values. */
    bool Load(const std::string& path, std::string* error);
    /** Parse calibration text (name is used in messages). */
    bool Parse(const std::string& text, const std::string& name, std::string* error);

    const Params& Get() const;
    void Set(const Params& p);
    /** The file loaded ("" for built-in defaults) and its FNV-1a 64 checksum. */
    const std::string& Path() const;
    uint64_t Checksum() const;
    /** Numeric keys with their values, in the documented order. */
    std::vector<std::pair<std::string, double>> Values() const;
    /** Numeric keys the file did not set (defaults used). */
    const std::vector<std::string>& Defaulted() const;
    /** Free-text keys the file set (machine, cpu, date, tool, note). */
    const std::vector<std::pair<std::string, std::string>>& Metadata() const;
    /** All numeric key names, in documented order. */
    static std::vector<std::string> Keys();

    /** Cost of one engine poll or one service call, from the node's counters before and
     *  after it (frames are charged separately: EncodeCostNs, DecodeCostNs); `peers` is the
     *  number of other nodes the node knows (a poll scans them). */
    uint64_t CallCostNs(bool engine,
                        const struct tasvir_stats& before,
                        const struct tasvir_stats& after,
                        uint32_t peers = 0) const;
    uint64_t EncodeCostNs(uint32_t frameBytes) const;
    /** The sending CPU's time to hand one frame to the port: port_tx_ns_per_frame, plus
     *  port_tx_ns for the first frame of a call (one kick per burst). */
    uint64_t PortTxCostNs(bool firstOfCall) const;
    uint64_t DecodeCostNs(uint32_t frameBytes) const;
    /** The application work of a workload call that wrote and verified these many lines. */
    uint64_t AppCostNs(uint64_t linesWritten, uint64_t linesVerified) const;

  private:
    Params m_p;
    std::string m_path;
    uint64_t m_checksum;
    std::vector<std::string> m_defaulted;
    std::vector<std::pair<std::string, std::string>> m_meta;
};

/**
 * \brief Strip leading and trailing blanks (space, tab, CR) from a line of a "key = value"
 * text file (calibration files, tasvir-sim config files).
 */
std::string TasvirTrimBlanks(const std::string& s);

} // namespace ns3

#endif /* TASVIR_COST_MODEL_H */
