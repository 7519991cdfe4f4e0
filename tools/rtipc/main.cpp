// rtipc: see inside a running system of rtipc processes (docs/man/rtipc.1.scd).
#include <cstdio>
#include <cstring>
#include <string>

#include "commands.hpp"
#include "rtipc/rtipc.h"

using namespace rtipc_tool;

namespace {

const char kUsageLine[] = "usage: rtipc [--help] [--version] VERB [ARG...]\n";

const char kMain[] =
    "usage: rtipc [--help] [--version] VERB [ARG...]\n"
    "\n"
    "  ls      every rtipc group on the host, its channels and counters\n"
    "  top     live per-channel rates and queue depths\n"
    "  probe   offer a group to a server and report its answer\n"
    "  decode  decode a handshake request\n"
    "  proxy   pass handshakes through to a server, printing each one\n"
    "  help    the usage of a verb\n"
    "\n"
    "  -h, --help    print this help and exit\n"
    "  --version     print the library version and exit\n"
    "\n"
    "Exit status: 0 success, 1 failure of the thing asked, 2 usage error.\n";

int help(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kMain, stdout);
    return kOk;
  }
  const char* text = usage_of(argv[1]);
  if (!text) {
    std::fprintf(stderr, "rtipc help: no verb '%s'\n", argv[1]);
    return kUsage;
  }
  std::fputs(text, stdout);
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsageLine, stderr);
    return kUsage;
  }
  const std::string verb = argv[1];
  if (verb == "--version") {
    std::printf("rtipc (librtipc) %s\n", rtipc_version());
    return kOk;
  }
  if (verb == "-h" || verb == "--help") return help(1, argv);
  if (verb[0] == '-') {
    std::fputs(kUsageLine, stderr);
    return kUsage;
  }
  // Each verb sees its own name as argv[0], like a program of its own.
  const int n = argc - 1;
  char** v = argv + 1;
  if (verb == "help") return help(n, v);
  if (verb == "ls") return cmd_ls(n, v);
  if (verb == "top") return cmd_top(n, v);
  if (verb == "probe") return cmd_probe(n, v);
  if (verb == "decode") return cmd_decode(n, v);
  if (verb == "proxy") return cmd_proxy(n, v);
  std::fprintf(stderr, "rtipc: no verb '%s'\n", verb.c_str());
  std::fputs(kUsageLine, stderr);
  return kUsage;
}
