// Command setuid is the identity step of the test bed's container runtime (test/kubelet/sandbox.ts): bwrap, run by
// real root without a user namespace, starts it as root inside the sandbox; it takes the container's groups, gid and
// uid, then becomes the container's command, as runc does between namespace setup and exec. It is built static
// (CGO_ENABLED=0) because a busybox sandbox has no host libraries to load a dynamic binary with.
//
//	setuid <uid> <gid> <groups, comma-separated, or -> -- <command> [args...]
//
// When the command cannot be started it says so in bwrap's own words ("bwrap: execvp NAME: REASON", exit 1): the
// runtime turns that line into the container runtime's start error, whichever of the two tried the exec.
package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

func fail(message string) {
	os.Stderr.WriteString("bwrap: " + message + "\n")
	os.Exit(1)
}

func id(text string) int {
	n, err := strconv.ParseUint(text, 10, 32)
	if err != nil {
		fail("setuid: bad id " + strconv.Quote(text))
	}
	return int(n)
}

// reason is strerror's text for the errors execvp reports, as bwrap prints them.
func reason(err error) string {
	switch err {
	case syscall.ENOENT:
		return "No such file or directory"
	case syscall.EACCES:
		return "Permission denied"
	case syscall.ENOEXEC:
		return "Exec format error"
	}
	return err.Error()
}

func main() {
	args := os.Args[1:]
	if len(args) < 5 || args[3] != "--" {
		fail("setuid: usage: setuid UID GID GROUPS|- -- COMMAND [ARGS...]")
	}
	uid, gid := id(args[0]), id(args[1])
	groups := []int{}
	if args[2] != "-" {
		for _, g := range strings.Split(args[2], ",") {
			groups = append(groups, id(g))
		}
	}
	argv := args[4:]
	// Groups first, then the gid, then the uid: once the uid is not 0 the process may change neither.
	if err := syscall.Setgroups(groups); err != nil {
		fail("setuid: setgroups: " + err.Error())
	}
	if err := syscall.Setgid(gid); err != nil {
		fail("setuid: setgid: " + err.Error())
	}
	if err := syscall.Setuid(uid); err != nil {
		fail("setuid: setuid: " + err.Error())
	}
	if uid != 0 {
		// PR_SET_NO_NEW_PRIVS: a gnu image's root is the host's /usr, whose setuid programs (su, mount) must not
		// take a non-root container back to root.
		if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, 38, 1, 0, 0, 0, 0); errno != 0 {
			fail("setuid: no_new_privs: " + errno.Error())
		}
	}
	env := os.Environ()
	name := argv[0]
	if strings.Contains(name, "/") {
		fail("execvp " + name + ": " + reason(syscall.Exec(name, argv, env)))
	}
	// execvp's search: the first PATH entry that runs; permission denied wins over not found when nothing does.
	var last error = syscall.ENOENT
	for _, dir := range strings.Split(os.Getenv("PATH"), ":") {
		if dir == "" {
			dir = "."
		}
		err := syscall.Exec(dir+"/"+name, argv, env)
		if err == syscall.EACCES {
			last = err
		} else if err != syscall.ENOENT && err != syscall.ENOTDIR {
			fail("execvp " + name + ": " + reason(err))
		}
	}
	fail("execvp " + name + ": " + reason(last))
}
