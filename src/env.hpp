// The library's environment switches (RTIPC_NO_IO_URING,
// RTIPC_NO_KERNEL_SIGNAL): on when set to anything but "" or "0".
#pragma once

namespace rtipc {

bool env_switch_on(const char* name);

}  // namespace rtipc
