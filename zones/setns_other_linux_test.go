//go:build linux && !amd64 && !386

package zones

import "syscall"

// sysSetns is setns(2), from the syscall package's table where it has it.
const sysSetns = syscall.SYS_SETNS
