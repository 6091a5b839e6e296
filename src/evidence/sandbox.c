/*
 * sandbox.c — the seccomp filter of the walk's child (see sandbox.h).
 *
 * The lists come from `strace -f` of the walk's child over the fixture
 * cards (FAT12/16/32, exFAT, MBR and GPT cards, E01 and split raw images,
 * the hostile cards of t0860), after it opened the image: read, lseek,
 * write, close, newfstatat (split images), openat (split images of more
 * than 15 segments), mmap, munmap, brk, futex, exit_group.  The rest is
 * what glibc may call on the way (abort, the clocks, malloc's madvise and
 * mremap) and, under AddressSanitizer, what its runtime needs: LeakSanitizer
 * refuses to run under strace (it ptraces the process itself), so that list
 * comes from the kernel's audit log of the calls this filter refused
 * (SCMP_FLTATR_CTL_LOG, a test build's walk over the same cards).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <seccomp.h>

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* What the walk does. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(preadv), SCMP_SYS(lseek),
	SCMP_SYS(write), SCMP_SYS(writev),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(close),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(sched_yield),
#ifdef UNDER_ASAN
	/* LeakSanitizer at exit: a clone of the process (see clone below)
	 * ptraces it, lists /proc/self/task (getdents) and reads
	 * /proc/self/maps (the read-only opens are allowed below); readlink
	 * and fcntl for the modules its suppressions name.  Left at EPERM:
	 * stat (it looks for an external symbolizer to fork: none is found,
	 * its own symbolizes) and ioctl (is stderr a terminal: no colour) */
	SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(prctl), SCMP_SYS(sigaltstack),
	SCMP_SYS(getdents), SCMP_SYS(getppid), SCMP_SYS(readlink), SCMP_SYS(fcntl),
#endif
};

/* What a walk never does and a compromised child would: SIGSYS. */
static const int killed[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat),
	SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
	SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(sendto),
	SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
	SCMP_SYS(recvmmsg), SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(clone3),
#ifndef UNDER_ASAN
	SCMP_SYS(ptrace),
#endif
	SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
	SCMP_SYS(creat), SCMP_SYS(openat2), SCMP_SYS(unlink), SCMP_SYS(unlinkat),
	SCMP_SYS(rename), SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(mkdir),
	SCMP_SYS(mkdirat), SCMP_SYS(rmdir), SCMP_SYS(link), SCMP_SYS(linkat),
	SCMP_SYS(symlink), SCMP_SYS(symlinkat), SCMP_SYS(chmod), SCMP_SYS(fchmod),
	SCMP_SYS(fchmodat), SCMP_SYS(chown), SCMP_SYS(fchown), SCMP_SYS(lchown),
	SCMP_SYS(fchownat), SCMP_SYS(truncate), SCMP_SYS(ftruncate), SCMP_SYS(mknod),
	SCMP_SYS(mknodat), SCMP_SYS(tkill),
	SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
	SCMP_SYS(bpf), SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
	SCMP_SYS(chroot), SCMP_SYS(setns), SCMP_SYS(unshare), SCMP_SYS(init_module),
	SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(kexec_load),
	SCMP_SYS(kexec_file_load), SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff),
	SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd),
};

/* The flags of an open that writes, creates or truncates. */
static const unsigned open_write[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC };

/* One rule; the first error kept with the call it was for. */
struct rules {
	scmp_filter_ctx ctx;
	int ret;
	int nr;
};

static void
rule(struct rules *r, uint32_t action, int nr, unsigned n, const struct scmp_arg_cmp *cmp)
{
	int ret;

	if (r->ret < 0)
		return;
	/* (a call this architecture lacks is negative: nothing to filter) */
	if (nr < 0 && seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr) == NULL)
		return;
	if ((ret = seccomp_rule_add_array(r->ctx, action, nr, n, cmp)) < 0) {
		r->ret = ret;
		r->nr = nr;
	}
}

/* open and openat (the flags are argument 1, 2): kill a write, create or
 * truncate; allow the rest when reads are allowed (else EPERM). */
static void
open_rules(struct rules *r, int nr, unsigned arg, unsigned flags)
{
	size_t i;

	for (i = 0; i < sizeof(open_write) / sizeof(open_write[0]); i++) {
		struct scmp_arg_cmp c = SCMP_CMP32(arg, SCMP_CMP_MASKED_EQ, open_write[i],
						   open_write[i]);
		rule(r, SCMP_ACT_KILL_PROCESS, nr, 1, &c);
	}
	if (flags & CT_SANDBOX_OPEN_READ) {
		struct scmp_arg_cmp c = SCMP_CMP32(arg, SCMP_CMP_MASKED_EQ,
						   O_WRONLY | O_RDWR | O_CREAT | O_TRUNC, 0);
		rule(r, SCMP_ACT_ALLOW, nr, 1, &c);
	}
}

/* kill and tgkill: to itself (abort, raise), or SIGSYS. */
static void
signal_rules(struct rules *r, pid_t self)
{
	static const int nrs[] = { SCMP_SYS(kill), SCMP_SYS(tgkill) };
	struct scmp_arg_cmp is_self = SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)self);
	struct scmp_arg_cmp not_self = SCMP_A0_32(SCMP_CMP_NE, (uint32_t)self);
	size_t i;

	for (i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		rule(r, SCMP_ACT_ALLOW, nrs[i], 1, &is_self);
		rule(r, SCMP_ACT_KILL_PROCESS, nrs[i], 1, &not_self);
	}
}

/* mmap and mprotect: never executable memory (a code injection's step). */
static void
memory_rules(struct rules *r)
{
	struct scmp_arg_cmp no_exec = SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);

	rule(r, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, &no_exec);
	rule(r, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, &no_exec);
}

/* clone: a thread-like clone sharing the memory is LeakSanitizer's tracer
 * (sanitizer builds only); any other, fork included, is killed. */
static void
clone_rules(struct rules *r)
{
#ifdef UNDER_ASAN
	struct scmp_arg_cmp vm = SCMP_A0_64(SCMP_CMP_MASKED_EQ, CLONE_VM, CLONE_VM);
	struct scmp_arg_cmp no_vm = SCMP_A0_64(SCMP_CMP_MASKED_EQ, CLONE_VM, 0);

	rule(r, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &vm);
	rule(r, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1, &no_vm);
#else
	rule(r, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 0, NULL);
#endif
}

int
ct_sandbox_walk(unsigned flags, char *err, size_t errlen)
{
	struct rules r = { NULL, 0, -1 };
	size_t i;
	char *name;

	if ((r.ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL) {
		r.ret = -ENOMEM;
		snprintf(err, errlen, "libseccomp cannot make a filter");
		return r.ret;
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rule(&r, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
	for (i = 0; i < sizeof(killed) / sizeof(killed[0]); i++)
		rule(&r, SCMP_ACT_KILL_PROCESS, killed[i], 0, NULL);
#ifdef UNDER_ASAN
	/* LeakSanitizer reads /proc; the release build keeps EPERM */
	flags |= CT_SANDBOX_OPEN_READ;
#endif
	open_rules(&r, SCMP_SYS(openat), 2, flags);
	open_rules(&r, SCMP_SYS(open), 1, flags);
	signal_rules(&r, getpid());
	memory_rules(&r);
	clone_rules(&r);
	if (r.ret < 0) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, r.nr);
		snprintf(err, errlen, "libseccomp refuses the rule for '%s': %s",
			 name ? name : "?", strerror(-r.ret));
		free(name);
	} else if ((r.ret = seccomp_load(r.ctx)) < 0) {
		snprintf(err, errlen, "the kernel does not load it: %s", strerror(-r.ret));
	}
	seccomp_release(r.ctx);
	return r.ret;
}
