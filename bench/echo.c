/* SPDX-License-Identifier: MIT */
/*
 * echo: TCP echo benchmark over loopback, three servers in one run.
 *
 *   echo [-B BUILD_DIR] [-t SECS] [-w SECS] [-r REPS] [-c LIST] [-s LIST]
 *        [-S LIST] [-a "SERVER ARGS"] [-j THREADS] [-k] [-v]
 *
 * Servers (children started and stopped here, all on 127.0.0.1):
 *   ursa    examples/echo-server --backend ursa    (io_uring served by ursa)
 *   kernel  examples/echo-server --backend kernel  (the same binary, kernel)
 *   epoll   bench/echo-epoll                       (the baseline)
 * Load: examples/echo-client (epoll, nonblocking, verifies every byte),
 * ping-pong on each connection, at 1, 16 and 256 connections with 64-byte
 * and 16 KiB messages.  Every point starts a fresh server, runs the client
 * for a warm-up plus -t seconds, and stops the server.  With -r > 1 the
 * median is shown, and the order of the servers rotates from one point to
 * the next so that drift of a shared machine hits all of them alike.
 *
 * Prints messages/s and MB/s (payload echoed, one direction, 10^6 bytes/s)
 * per server and configuration, then ursa/epoll and ursa/kernel.  A server
 * that fails a point (cannot start, stalls, wrong data) is reported, shown
 * as "fail" and skipped for the rest of the run (-k: keep trying).  Exit
 * status 1 if any point failed, 2 on a data mismatch, else 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIST	8
#define MAX_REPS	15
#define MAX_ARGS	32

enum { S_URSA, S_KERNEL, S_EPOLL, NSERVERS };
static const char *const server_name[NSERVERS] = { "ursa", "kernel", "epoll" };

struct result {
	bool	ok;
	double	msgs_s, mb_s, p50_us, p99_us;
};

static char bdir[PATH_MAX - 64];
static char server_bin[PATH_MAX], epoll_bin[PATH_MAX], client_bin[PATH_MAX];
static double secs = 2.0, warmup = 0.5;
static int reps = 3, threads = 1;
static int conns[MAX_LIST] = { 1, 16, 256 }, nconns = 3;
static int sizes[MAX_LIST] = { 64, 16384 }, nsizes = 2;
static bool use[NSERVERS] = { true, true, true };
static bool keep_going, verbose;
static char *extra_args[MAX_ARGS];
static int nextra;
static bool broken[NSERVERS];
static char served_by[NSERVERS][128];
static int status;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* An unlinked temporary file for a child's stderr. */
static int tmp_log(void)
{
	char path[] = "/tmp/ursa-echo-bench.XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd < 0) {
		perror("echo: mkstemp");
		exit(1);
	}
	unlink(path);
	return fd;
}

/* Print the last lines of a child's log, indented. */
static void show_log(int fd, const char *who)
{
	char buf[4096];
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t) sizeof(buf) - 1 ?
		     size - (off_t) sizeof(buf) + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
	char *line, *save = NULL;

	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "    %s| %s\n", who, line);
}

/* fork + exec argv with stdout to a pipe (returned in *out), stderr to log. */
static pid_t spawn(char *const argv[], int *out, int log)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("echo: pipe");
		exit(1);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("echo: fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(log, 2);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	*out = p[0];
	return pid;
}

/*
 * Read from fd until a '\n' (line mode) or EOF, for at most limit seconds.
 * Returns the bytes read (NUL-terminated), -1 on timeout.
 */
static int read_until(int fd, char *buf, size_t cap, double limit, bool line)
{
	double end = now_s() + limit;
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double left = end - now_s();
		ssize_t n;

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int) (left * 1000) + 1) <= 0)
			continue;
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t) n;
		buf[len] = '\0';
		if ((line && memchr(buf, '\n', len)) || len == cap - 1)
			break;
	}
	buf[len] = '\0';
	return (int) len;
}

/* Wait for pid up to limit seconds, then SIGKILL it.  Returns the status. */
static int reap(pid_t pid, double limit, bool *killed)
{
	double end = now_s() + limit;
	int st;

	*killed = false;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_s() >= end && !*killed) {
			kill(pid, SIGKILL);
			*killed = true;
			waitpid(pid, &st, 0);
			return st;
		}
		usleep(2000);
	}
}

static const char *describe(int st)
{
	static char buf[64];

	if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, sizeof(buf), "status %#x", st);
	return buf;
}

static double field(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? atof(p + strlen(key)) : 0;
}

/* One measurement: start server s, run the client, stop the server. */
static struct result run_point(int s, int nconn, int size)
{
	struct result res = { .ok = false };
	char *argv[MAX_ARGS + 8], port_s[16], conns_s[16], size_s[16];
	char t_s[32], w_s[32], j_s[16], buf[1024];
	int argc = 0, out, log = tmp_log(), clog, cout, port = 0, i, st;
	const char *p;
	bool killed, server_ok = true;
	pid_t spid, cpid;

	if (s == S_EPOLL) {
		argv[argc++] = epoll_bin;
	} else {
		argv[argc++] = server_bin;
		argv[argc++] = "--backend";
		argv[argc++] = (char *) server_name[s];
		for (i = 0; i < nextra; i++)
			argv[argc++] = extra_args[i];
	}
	argv[argc++] = "0";
	argv[argc] = NULL;
	spid = spawn(argv, &out, log);
	if (read_until(out, buf, sizeof(buf), 5.0, true) < 0 ||
	    !(p = strstr(buf, "listening on 127.0.0.1:")) ||
	    (port = atoi(p + strlen("listening on 127.0.0.1:"))) <= 0) {
		kill(spid, SIGKILL);
		st = reap(spid, 5, &killed);
		fprintf(stderr, "  %s server did not start (%s):\n",
			server_name[s], describe(st));
		show_log(log, server_name[s]);
		close(out);
		close(log);
		if (!status)
			status = 1;
		return res;
	}
	if (!served_by[s][0]) {
		char lb[4096];
		ssize_t n = pread(log, lb, sizeof(lb) - 1, 0);

		lb[n > 0 ? n : 0] = '\0';
		p = strstr(lb, "ring served by ");
		if (p)
			snprintf(served_by[s], sizeof(served_by[s]), "%.*s",
				 (int) strcspn(p + 15, "\n"), p + 15);
		else
			snprintf(served_by[s], sizeof(served_by[s]), "%s",
				 s == S_EPOLL ? "epoll (no io_uring)" :
				 "(the server did not say)");
	}

	snprintf(port_s, sizeof(port_s), "%d", port);
	snprintf(conns_s, sizeof(conns_s), "%d", nconn);
	snprintf(size_s, sizeof(size_s), "%d", size);
	snprintf(t_s, sizeof(t_s), "%.3f", secs + warmup);
	snprintf(w_s, sizeof(w_s), "%.3f", warmup);
	snprintf(j_s, sizeof(j_s), "%d", threads);
	{
		char *cargv[] = { client_bin, "-p", port_s, "-c", conns_s,
				  "-s", size_s, "-t", t_s, "-w", w_s, "-j", j_s,
				  "-T", "3", "-r", NULL };

		clog = tmp_log();
		cpid = spawn(cargv, &cout, clog);
	}
	buf[0] = '\0';
	read_until(cout, buf, sizeof(buf), secs + warmup + 30, false);
	st = reap(cpid, 5, &killed);
	close(cout);

	/* Stop the server; it should exit 0 on SIGTERM. */
	if (waitpid(spid, &i, WNOHANG) == spid) {
		server_ok = false;
		fprintf(stderr, "  %s server died during the run (%s)\n",
			server_name[s], describe(i));
	} else {
		kill(spid, SIGTERM);
		i = reap(spid, 3, &killed);
		if (killed || !WIFEXITED(i) || WEXITSTATUS(i)) {
			server_ok = false;
			fprintf(stderr, "  %s server did not stop cleanly (%s%s)\n",
				server_name[s], killed ? "SIGKILLed after 3 s, " : "",
				describe(i));
		}
	}
	close(out);

	p = strstr(buf, "RESULT ");
	if (p && strstr(p, "status=ok") && WIFEXITED(st) && !WEXITSTATUS(st) &&
	    server_ok) {
		res.ok = true;
		res.msgs_s = field(p, "msgs_per_s=");
		res.mb_s = field(p, "mb_per_s=");
		res.p50_us = field(p, "lat_p50_us=");
		res.p99_us = field(p, "lat_p99_us=");
		if (verbose)
			fprintf(stderr, "  %-6s %3d x %5d: %10.0f msg/s %9.2f MB/s"
				"  p50 %8.1f us  p99 %8.1f us\n", server_name[s],
				nconn, size, res.msgs_s, res.mb_s, res.p50_us,
				res.p99_us);
	} else {
		bool mismatch = p && strstr(p, "status=mismatch");

		fprintf(stderr, "  %s, %d connection(s), %d-byte messages: %s"
			" (client %s%s)\n", server_name[s], nconn, size,
			mismatch ? "ECHOED DATA MISMATCH" : "FAILED",
			killed ? "timed out, " : "", describe(st));
		show_log(clog, "client");
		show_log(log, server_name[s]);
		if (mismatch)
			status = 2;
		else if (!status)
			status = 1;
	}
	close(clog);
	close(log);
	return res;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Median of the successful repeats; false if none succeeded. */
static bool median(const struct result *r, int n, struct result *m)
{
	double v[4][MAX_REPS];
	int k = 0, i;

	for (i = 0; i < n; i++) {
		if (!r[i].ok)
			continue;
		v[0][k] = r[i].msgs_s;
		v[1][k] = r[i].mb_s;
		v[2][k] = r[i].p50_us;
		v[3][k] = r[i].p99_us;
		k++;
	}
	if (!k)
		return false;
	for (i = 0; i < 4; i++)
		qsort(v[i], (size_t) k, sizeof(double), cmp_double);
	m->ok = true;
	/* an even count averages the middle two */
	m->msgs_s = (v[0][(k - 1) / 2] + v[0][k / 2]) / 2;
	m->mb_s = (v[1][(k - 1) / 2] + v[1][k / 2]) / 2;
	m->p50_us = (v[2][(k - 1) / 2] + v[2][k / 2]) / 2;
	m->p99_us = (v[3][(k - 1) / 2] + v[3][k / 2]) / 2;
	return true;
}

static int parse_list(const char *s, int *out)
{
	int n = 0;

	while (*s && n < MAX_LIST) {
		char *end;
		long v = strtol(s, &end, 10);

		if (end == s || v <= 0)
			return -1;
		out[n++] = (int) v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n ? n : -1;
}

static void fmt_rate(char *buf, size_t cap, const struct result *r)
{
	if (!r->ok)
		snprintf(buf, cap, "fail");
	else if (r->msgs_s >= 1e6)
		snprintf(buf, cap, "%.3f M", r->msgs_s / 1e6);
	else
		snprintf(buf, cap, "%.1f k", r->msgs_s / 1e3);
}

static void print_ratio(const struct result *a, const struct result *b,
			int width)
{
	if (a->ok && b->ok && b->msgs_s > 0)
		printf(" %*.2fx", width - 1, a->msgs_s / b->msgs_s);
	else
		printf(" %*s", width, "n/a");
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: echo [options]\n"
"  -B DIR     build directory with examples/ and bench/ (default: the one\n"
"             this program is in)\n"
"  -t SECS    measured seconds per point (default 2)\n"
"  -w SECS    warm-up before each measurement (default 0.5)\n"
"  -r N       repeats per point, median shown (default 3, max %d)\n"
"  -c LIST    connection counts (default 1,16,256)\n"
"  -s LIST    message sizes in bytes (default 64,16384)\n"
"  -S LIST    servers, of ursa,kernel,epoll (default all three)\n"
"  -a ARGS    extra arguments for echo-server, e.g. \"--setup coop\"\n"
"  -j N       client threads (default 1)\n"
"  -k         keep measuring a server after it failed\n"
"  -v         show every measurement\n", MAX_REPS);
}

int main(int argc, char **argv)
{
	static struct result res[NSERVERS][MAX_LIST][MAX_LIST][MAX_REPS];
	static struct result med[NSERVERS][MAX_LIST][MAX_LIST];
	char *sargs = NULL, *save = NULL, *tok;
	double t0;
	int opt, s, c, z, r, k, turn = 0;

	while ((opt = getopt(argc, argv, "B:t:w:r:c:s:S:a:j:kvh")) != -1) {
		switch (opt) {
		case 'B': snprintf(bdir, sizeof(bdir), "%s", optarg); break;
		case 't': secs = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'r': reps = atoi(optarg); break;
		case 'c':
			if ((nconns = parse_list(optarg, conns)) < 0) {
				usage(stderr);
				return 1;
			}
			break;
		case 's':
			if ((nsizes = parse_list(optarg, sizes)) < 0) {
				usage(stderr);
				return 1;
			}
			break;
		case 'S':
			memset(use, 0, sizeof(use));
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				for (s = 0; s < NSERVERS; s++)
					if (!strcmp(tok, server_name[s]))
						use[s] = true;
			}
			break;
		case 'a': sargs = optarg; break;
		case 'j': threads = atoi(optarg); break;
		case 'k': keep_going = true; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (secs <= 0 || warmup < 0 || reps < 1 || reps > MAX_REPS ||
	    threads < 1) {
		usage(stderr);
		return 1;
	}
	if (sargs) {
		save = NULL;
		for (tok = strtok_r(sargs, " ", &save); tok && nextra < MAX_ARGS;
		     tok = strtok_r(NULL, " ", &save))
			extra_args[nextra++] = tok;
	}
	if (!bdir[0]) {
		/* This program lives in BUILD/bench/. */
		ssize_t n = readlink("/proc/self/exe", bdir, sizeof(bdir) - 1);
		char *slash;

		if (n <= 0) {
			fprintf(stderr, "echo: cannot find myself; use -B\n");
			return 1;
		}
		bdir[n] = '\0';
		for (k = 0; k < 2 && (slash = strrchr(bdir, '/')); k++)
			*slash = '\0';
	}
	snprintf(server_bin, sizeof(server_bin), "%s/examples/echo-server", bdir);
	snprintf(client_bin, sizeof(client_bin), "%s/examples/echo-client", bdir);
	snprintf(epoll_bin, sizeof(epoll_bin), "%s/bench/echo-epoll", bdir);
	if (access(server_bin, X_OK) || access(client_bin, X_OK) ||
	    access(epoll_bin, X_OK)) {
		fprintf(stderr, "echo: %s/{examples/echo-server,examples/"
			"echo-client,bench/echo-epoll} not found; build first"
			" (make)\n", bdir);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Progress and failures go to stderr: keep the two in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("echo: TCP echo over 127.0.0.1, ping-pong per connection;"
	       " %.1f s warm-up + %.1f s measured per point, median of %d\n",
	       warmup, secs, reps);
	printf("client: examples/echo-client, %d thread%s (epoll); servers:"
	       " one thread each%s%s\n", threads, threads == 1 ? "" : "s",
	       nextra ? "; echo-server args: " : "", nextra ? sargs : "");
	fflush(stdout);

	t0 = now_s();
	for (r = 0; r < reps; r++) {
		for (c = 0; c < nconns; c++) {
			for (z = 0; z < nsizes; z++, turn++) {
				for (k = 0; k < NSERVERS; k++) {
					s = (k + turn) % NSERVERS;
					if (!use[s] || broken[s])
						continue;
					res[s][c][z][r] = run_point(s, conns[c],
								    sizes[z]);
					if (!res[s][c][z][r].ok && !keep_going) {
						broken[s] = true;
						fprintf(stderr, "  (%s: skipped"
							" from now on; -k keeps"
							" trying)\n",
							server_name[s]);
					}
				}
			}
		}
		if (verbose)
			fprintf(stderr, "  repeat %d of %d done at %.0f s\n",
				r + 1, reps, now_s() - t0);
	}

	for (s = 0; s < NSERVERS; s++) {
		if (use[s])
			printf("%-6s served by: %s\n", server_name[s],
			       served_by[s][0] ? served_by[s] : "(never started)");
	}
	printf("\n%5s %6s", "conns", "size");
	for (s = 0; s < NSERVERS; s++)
		printf(" %11s %8s", server_name[s], "MB/s");
	printf(" %10s %11s\n", "ursa/epoll", "ursa/kernel");
	for (c = 0; c < nconns; c++) {
		for (z = 0; z < nsizes; z++) {
			printf("%5d %6d", conns[c], sizes[z]);
			for (s = 0; s < NSERVERS; s++) {
				char rate[32];

				if (!use[s] ||
				    !median(res[s][c][z], reps, &med[s][c][z]))
					med[s][c][z].ok = false;
				fmt_rate(rate, sizeof(rate), &med[s][c][z]);
				if (!use[s])
					printf(" %11s %8s", "-", "-");
				else if (med[s][c][z].ok)
					printf(" %9s/s %8.1f", rate,
					       med[s][c][z].mb_s);
				else
					printf(" %11s %8s", rate, "");
			}
			print_ratio(&med[S_URSA][c][z], &med[S_EPOLL][c][z], 10);
			print_ratio(&med[S_URSA][c][z], &med[S_KERNEL][c][z], 11);
			printf("\n");
		}
	}
	printf("\nround-trip latency, median of runs: p50 / p99 in us\n");
	printf("%5s %6s", "conns", "size");
	for (s = 0; s < NSERVERS; s++)
		printf(" %19s", server_name[s]);
	printf("\n");
	for (c = 0; c < nconns; c++) {
		for (z = 0; z < nsizes; z++) {
			printf("%5d %6d", conns[c], sizes[z]);
			for (s = 0; s < NSERVERS; s++) {
				char cell[40];

				if (med[s][c][z].ok)
					snprintf(cell, sizeof(cell), "%.0f / %.0f",
						 med[s][c][z].p50_us,
						 med[s][c][z].p99_us);
				else
					snprintf(cell, sizeof(cell), "%s",
						 use[s] ? "fail" : "-");
				printf(" %19s", cell);
			}
			printf("\n");
		}
	}
	printf("\nratios are messages/s; above 1.00x ursa is faster."
	       " total time %.0f s\n", now_s() - t0);
	return status;
}
