package zones

// sysSetns is setns(2) on linux/386; the syscall package's table for 386 predates it.
const sysSetns = 346
