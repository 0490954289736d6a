/*
 * tasvir-sim-config.h — every parameter of a tasvir-sim run, with one table that drives
 * the command line (--key=value), config files (key = value lines), --help and the
 * manifest.
 *
 * Durations are ns-3 time strings ("10us", "1ms", "2.5s"), link rates ns-3 data rates
 * ("10Gbps"); each value is checked when set, and cross-field checks run in Validate().
 */
#ifndef TASVIR_SIM_CONFIG_H
#define TASVIR_SIM_CONFIG_H

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace ns3
{

/** "10us" -> 10000; false with *error for a bad number or unit (ns, us, ms, s). */
bool ParseTimeNs(const std::string& value, uint64_t* ns, std::string* error);
/** "0,1,0": CPU numbers 0..1023, at least one; false with *error naming the problem. */
bool ParseCpuList(const std::string& value, std::vector<uint32_t>* cpus, std::string* error);
/** "10Gbps" -> 10000000000; false with *error (bps, kbps, Mbps, Gbps, Tbps). */
bool ParseRateBps(const std::string& value, uint64_t* bps, std::string* error);

struct TasvirSimConfig
{
    // topology and nodes
    uint32_t nodes = 4;
    uint32_t threads = 2;
    uint32_t mtu = 1500;
    // areas and workload
    uint32_t areasPerNode = 1;
    uint64_t areaBytes = 65536;
    std::string subscription = "none";
    uint32_t subscribeK = 2;
    std::string syncInt = "1ms";
    std::string syncExt = "10ms";
    std::string epochWindow = "50us";
    std::string checkinPeriod = "10us";
    std::string relax = "spin";      //!< how idle threads wait: spin or sleep
    std::string idlePoll = "20us";   //!< relax=sleep: the idle engine's sleep between polls
    std::string nodeCpu;             //!< host CPU of each node's agents ("0,1": cycled); "": own cores
    std::string addressing = "unicast";
    std::string hbPeriod = "10ms";
    uint32_t downAfter = 5;
    std::string clockSkew = "auto"; //!< "auto": the largest sync interval; "0ns": none
    double writeRate = 1000;
    std::string writeStop = "0s";
    uint32_t linesPerWrite = 1;
    std::string writePattern = "seq";
    std::string writeArrival = "constant";
    uint32_t writeBurst = 1;
    double sampleRate = 100;
    std::string workload = "versioned"; //!< a stepped workload (tnode_workload) name
    std::vector<std::pair<std::string, std::string>> params; //!< --param KEY=VALUE, in order
    // network
    std::string linkRate = "10Gbps";
    std::string linkDelay = "500ns";
    std::string switchDelay = "500ns";
    double lossRate = 0;
    uint32_t queueFrames = 1000;
    uint32_t hostQueueFrames = 1000;
    // synthetic raw-frame load
    double rawRate = 0;
    uint32_t rawBytes = 1014;
    std::string rawDest = "mcast";
    // run
    std::string duration = "1s";
    uint64_t seed = 1;
    std::string out = "results/sim";
#ifdef TASVIR_DEFAULT_CALIBRATION
    std::string calibration = TASVIR_DEFAULT_CALIBRATION; //!< "builtin": built-in values
#else
    std::string calibration = "builtin";
#endif
    std::string scheduler = "priority";
    bool pcap = false;
    bool samples = true;
    bool visibility = true;
    std::string label = "sim";

    /** One parameter: its name, help, current value as text, and a checked setter. */
    struct Option
    {
        std::string name;
        std::string help;
        std::string kind; //!< "uint", "double", "time", "rate", "string", "bool", "path",
                          //!< "list" (repeatable; get() joins with spaces)
        std::function<std::string()> get;
        std::function<bool(const std::string&, std::string*)> set;
    };
    /** The table, in --help order.  The functions refer to *this. */
    std::vector<Option> Options();

    /** Set one parameter by name; false with *error naming the key and what was expected. */
    bool Set(const std::string& key, const std::string& value, std::string* error);
    /** Read key = value lines ('#' comments); errors name the file and line. */
    bool LoadFile(const std::string& path, std::string* error);
    /** Cross-field checks; false with *error. */
    bool Validate(std::string* error);
    /** The clock-offset range in ns: clockSkew, or for "auto" the larger of syncInt and
     *  syncExt (call after Validate). */
    uint64_t ClockSkewNs() const;
    /** The --param list the workload gets: for "versioned", the area, write, sample and
     *  subscription options above as its parameters (sampleRate=0 without samples), then
     *  the --param pairs (which override them); for another workload, the --param pairs. */
    std::vector<std::pair<std::string, std::string>> WorkloadParams() const;
    /** --help text. */
    void PrintHelp(std::ostream& os, const std::string& program);
};

} // namespace ns3

#endif /* TASVIR_SIM_CONFIG_H */
