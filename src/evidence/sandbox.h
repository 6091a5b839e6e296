/*
 * sandbox.h — the seccomp filter of the walk's child (isolate.c).
 *
 * The child reads the image through descriptors it already holds and
 * writes its records to a pipe; nothing else.  Once the image is open,
 * and before libtsk parses a byte of the card, the child installs this
 * filter (libseccomp) for itself and whatever it could start:
 *
 *   allowed      reading and seeking open descriptors, writing (the pipe,
 *                stderr), fstat/stat, memory (mmap and mprotect without
 *                PROT_EXEC, brk, madvise), futex, close, the clocks,
 *                getpid/gettid, signal masks and handlers, a signal to
 *                itself (abort), exit;
 *   killed       (SIGSYS, the whole process) exec, sockets, ptrace,
 *                process creation, opening a file to write, create or
 *                truncate, changing the filesystem (unlink, rename, mkdir,
 *                link, chmod, chown, truncate, mknod), a signal to another
 *                process, io_uring, bpf, mount, modules;
 *   EPERM        everything else (a harmless call nobody foresaw fails
 *                instead of ending the walk), opening files to read
 *                included unless CT_SANDBOX_OPEN_READ.
 *
 * Built with AddressSanitizer (the test build), the runtime's leak check
 * at exit also needs a ptracing clone of the process, /proc, sigaltstack
 * and prctl: those are allowed there, and only there.
 */
#ifndef CARDTRAIL_SANDBOX_H
#define CARDTRAIL_SANDBOX_H

#include <stddef.h>

/* Files may be opened to read (libtsk reopens the segments of a split
 * image by name when it has more than it keeps open). */
#define CT_SANDBOX_OPEN_READ 0x1

/*
 * Install the filter in the calling process (and its threads and
 * children to come: seccomp filters are inherited and cannot be removed).
 * 0, or -errno with what failed in err (a kernel without seccomp, a
 * libseccomp that does not know the architecture).
 */
int ct_sandbox_walk(unsigned flags, char *err, size_t errlen);

#endif
