package zones

// sysSetns is setns(2) on linux/amd64; the syscall package's table for amd64 predates it.
const sysSetns = 308
