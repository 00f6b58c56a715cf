/* SPDX-License-Identifier: MIT */
/*
 * ursa-run [--backend=auto|ursa|kernel] [--signals=trap|wrap] PROGRAM [ARGS]
 *
 * Runs PROGRAM with its io_uring served by ursa (the preloaded interposer
 * plus the drop-in liburing.so.2), or by the kernel.  auto: the kernel when
 * io_uring_setup works here, ursa otherwise.  URSA_LOG=1 says which and why.
 * See docs/URSA-RUN.md.
 */
#include <limits.h>
#include <stdarg.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <liburing/io_uring.h>
#include "run/run.h"

static bool log_on;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ursa-run [--backend=auto|ursa|kernel] [--signals=trap|wrap] [--] PROGRAM [ARGS...]\n"
		"  --backend=auto    the kernel's io_uring if io_uring_setup works, else ursa (default)\n"
		"  --backend=ursa    always ursa (syscall interposition + drop-in liburing.so.2)\n"
		"  --backend=kernel  the kernel's io_uring; nothing is interposed\n"
		"  --signals=trap    also trap raw rt_sigprocmask/rt_sigaction so SIGSYS stays\n"
		"                    deliverable; exec of static programs is refused (default)\n"
		"  --signals=wrap    only libc's signal functions are wrapped; static children may\n"
		"                    run (without ursa)\n"
		"environment: URSA_LOG=1 logs the backend of every ring and why;\n"
		"  URSA_RUN_FD_BASE=N places ring fds at N and above.\n"
		"exit codes: %d static PROGRAM, %d setup failed, %d prctl/seccomp refused,\n"
		"  otherwise PROGRAM's (127/126: PROGRAM not found / not executable).\n",
		URSA_RUN_EXIT_STATIC, URSA_RUN_EXIT_SETUP, URSA_RUN_EXIT_SECCOMP);
}

__attribute__((format(printf, 1, 2))) static void logv(const char *fmt, ...)
{
	va_list ap;

	if (!log_on)
		return;
	fprintf(stderr, "ursa-run[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* PROGRAM as execvp would find it (for the static check only). */
static bool resolve(const char *prog, char *out, size_t sz)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/'))
		return snprintf(out, sz, "%s", prog) < (int)sz;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);

		if (snprintf(out, sz, "%.*s/%s", (int)n, n ? path : ".", prog) <
		    (int)sz && access(out, X_OK) == 0)
			return true;
		if (!end)
			break;
		path = end + 1;
	}
	return false;
}

static enum run_elf_kind classify(const char *path)
{
	char interp[PATH_MAX];
	enum run_elf_kind k = RUN_ELF_UNKNOWN;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return RUN_ELF_UNKNOWN;
	k = run_elf_kind_fd(fd, interp, sizeof(interp));
	close(fd);
	if (k == RUN_ELF_SCRIPT) {
		fd = open(interp, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return RUN_ELF_UNKNOWN;
		k = run_elf_kind_fd(fd, interp, sizeof(interp));
		close(fd);
	}
	return k;
}

/* Does the kernel serve io_uring to us?  reason gets the answer either way. */
static bool kernel_io_uring_works(char *reason, size_t sz)
{
	struct io_uring_params p;
	long fd;
	int e;
	FILE *f;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 1, &p);
	if (fd >= 0) {
		close((int)fd);
		snprintf(reason, sz, "auto: the kernel's io_uring works here "
			 "(io_uring_setup probe succeeded)");
		return true;
	}
	e = errno;
	f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	if (f) {
		int v = 0;

		if (fscanf(f, "%d", &v) == 1 && v) {
			fclose(f);
			snprintf(reason, sz, "auto: the kernel refused "
				 "io_uring_setup (%s; kernel.io_uring_disabled=%d)",
				 strerror(e), v);
			return false;
		}
		fclose(f);
	}
	snprintf(reason, sz, "auto: the kernel refused io_uring_setup (%s%s)",
		 strerror(e), e == EPERM ? ", e.g. a seccomp policy" :
		 e == ENOSYS ? ", no io_uring in this kernel or sandbox" : "");
	return false;
}

/* Can this process tree install a seccomp filter at all?  Tried in a child
 * so the launcher itself stays unfiltered. */
static int seccomp_allowed(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(errno & 0x7f);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			_exit(errno & 0x7f);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return EIO;
	return WEXITSTATUS(st);
}

static void prepend_preload(const char *libs)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;

	if (old && strstr(old, libs))
		return;
	if (asprintf(&v, "%s%s%s", libs, old && *old ? ":" : "",
		     old ? old : "") < 0) {
		perror("ursa-run");
		exit(URSA_RUN_EXIT_SETUP);
	}
	setenv("LD_PRELOAD", v, 1);
	free(v);
}

static void run(char **argv)
{
	int e;

	execvp(argv[0], argv);
	e = errno;
	fprintf(stderr, "ursa-run: %s: %s\n", argv[0], strerror(e));
	exit(e == ENOENT ? 127 : 126);
}

int main(int argc, char **argv)
{
	const char *backend = "auto", *signals = "trap", *e;
	char self[PATH_MAX], dir[PATH_MAX], libs[2 * PATH_MAX + 2];
	char reason[512], prog[PATH_MAX];
	bool nested;
	ssize_t n;
	int i, err;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strncmp(argv[i], "--backend=", 10)) {
			backend = argv[i] + 10;
		} else if (!strncmp(argv[i], "--signals=", 10)) {
			signals = argv[i] + 10;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "ursa-run: unknown option %s\n", argv[i]);
			usage(stderr);
			return URSA_RUN_EXIT_USAGE;
		}
	}
	if (i >= argc || (strcmp(backend, "auto") && strcmp(backend, "ursa") &&
			  strcmp(backend, "kernel")) ||
	    (strcmp(signals, "trap") && strcmp(signals, "wrap"))) {
		usage(stderr);
		return URSA_RUN_EXIT_USAGE;
	}
	argv += i;
	e = getenv("URSA_LOG");
	log_on = e && *e && strcmp(e, "0");

	/* Already inside ursa-run: the filter (and its preload) persist. */
	e = getenv(ENV_RUN_FILTER);
	nested = e && !strcmp(e, "1");

	if (!strcmp(backend, "kernel") && nested) {
		fprintf(stderr, "ursa-run: --backend=kernel is impossible inside "
			"ursa-run: the seccomp filter of the outer ursa-run "
			"persists in this process tree\n");
		return URSA_RUN_EXIT_SETUP;
	}
	if (!strcmp(backend, "auto")) {
		if (nested) {
			snprintf(reason, sizeof(reason), "auto: already under "
				 "ursa-run (%s=1)", ENV_RUN_FILTER);
			backend = "ursa";
		} else {
			backend = kernel_io_uring_works(reason, sizeof(reason)) ?
				  "kernel" : "ursa";
		}
	} else {
		snprintf(reason, sizeof(reason), "--backend=%s", backend);
	}

	if (!strcmp(backend, "kernel")) {
		logv("%s: io_uring served by the kernel (%s); nothing is "
		     "interposed", argv[0], reason);
		unsetenv(ENV_RUN_REASON);
		run(argv);
	}

	/* ursa: the preload and the drop-in live next to this program. */
	e = getenv("URSA_RUN_LIBDIR");
	if (e && *e) {
		snprintf(dir, sizeof(dir), "%s", e);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0) {
			perror("ursa-run: /proc/self/exe");
			return URSA_RUN_EXIT_SETUP;
		}
		self[n] = 0;
		snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(self, '/') - self),
			 self);
	}
	if (snprintf(libs, sizeof(libs), "%s/libursa-preload.so:%s/liburing.so.2",
		     dir, dir) >= (int)sizeof(libs)) {
		fprintf(stderr, "ursa-run: path too long\n");
		return URSA_RUN_EXIT_SETUP;
	}
	for (const char *lib = libs; lib; lib = strchr(lib, ':')) {
		char one[PATH_MAX];

		if (*lib == ':')
			lib++;
		snprintf(one, sizeof(one), "%.*s",
			 (int)(strchrnul(lib, ':') - lib), lib);
		if (access(one, R_OK)) {
			fprintf(stderr, "ursa-run: %s: %s\n", one, strerror(errno));
			return URSA_RUN_EXIT_SETUP;
		}
	}

	if (resolve(argv[0], prog, sizeof(prog)) &&
	    classify(prog) == RUN_ELF_STATIC) {
		fprintf(stderr, "ursa-run: %s is statically linked: LD_PRELOAD "
			"cannot bring the interposer into it, so ursa cannot "
			"serve its io_uring (see docs/URSA-RUN.md, \"Static "
			"binaries\"); --backend=kernel runs it on the kernel's "
			"io_uring where that works\n", prog);
		return URSA_RUN_EXIT_STATIC;
	}
	if (!nested) {
		err = seccomp_allowed();
		if (err) {
			fprintf(stderr, "ursa-run: this sandbox refuses "
				"prctl(PR_SET_NO_NEW_PRIVS) or seccomp() (%s): "
				"io_uring cannot be interposed; ursa-run needs both "
				"(Docker's default profile allows them)\n",
				strerror(err));
			return URSA_RUN_EXIT_SECCOMP;
		}
	}

	logv("%s: io_uring served by ursa (%s)", argv[0], reason);
	prepend_preload(libs);
	setenv(ENV_RUN_BACKEND, "ursa", 1);
	setenv(ENV_RUN_REASON, reason, 1);
	if (!nested) {
		setenv(ENV_RUN_MODE, signals, 1);
		/* a fresh filter: the preload chooses trampoline and base */
		setenv(ENV_RUN_LIBS, libs, 1);
		unsetenv(ENV_RUN_TRAMP);
		unsetenv(ENV_RUN_FILTER);
	}
	run(argv);
	return 0;
}
