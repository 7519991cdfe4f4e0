// The benchmark sets. Each one runs its variants interleaved repetition by
// repetition, prints a table on stdout and fills its part of the results.
#pragma once

#include <map>
#include <string>

#include "json.hpp"

namespace bench {

// Headline figures that the target checks compare across sets.
using Figures = std::map<std::string, double>;

void run_latency(Json& out, Figures& fig);      // items 1a, 2, 3
void run_throughput(Json& out, Figures& fig);   // items 1b, 4
void run_zerocopy(Json& out, Figures& fig);     // item 5
void run_emptypoll(Json& out, Figures& fig);    // item 6
void run_determinism(Json& out, Figures& fig);  // item 7
void run_handshake(Json& out, Figures& fig);    // item 8
void run_memory(Json& out, Figures& fig);       // item 9
void run_notify(Json& out, Figures& fig);       // issue 12: push cost with an eventfd
void run_wakeup(Json& out, Figures& fig);       // issue 12: waitset wake-up latency
void run_stats(Json& out, Figures& fig);        // issue 17: the statistics page's hot-path cost
void run_worstcase(Json& out, Figures& fig);    // issue 19: tails under load (only when named)

// The targets the write-up evaluates, from whichever figures were measured.
void evaluate_targets(const Figures& fig, Json& out);

}  // namespace bench
