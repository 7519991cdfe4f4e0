// The verbs of the rtipc program. Each takes its arguments (after the verb)
// and returns the exit status: 0 success, 1 the thing asked failed, 2 usage.
#pragma once

namespace rtipc_tool {

inline constexpr int kOk = 0, kFailed = 1, kUsage = 2;

int cmd_ls(int argc, char** argv);
int cmd_top(int argc, char** argv);
int cmd_probe(int argc, char** argv);
int cmd_decode(int argc, char** argv);
int cmd_proxy(int argc, char** argv);

// The usage text of a verb (nullptr for an unknown one).
const char* usage_of(const char* verb);

}  // namespace rtipc_tool
