/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spawn-rusage: run a command and report its wall-clock time and peak RSS.
 *
 * Usage: spawn-rusage COMMAND [ARG...]
 *
 * The command inherits stdin, stdout and stderr.  After it ends, one line
 * goes to stderr:
 *
 *   spawn-rusage: status S wall-ns W maxrss-kib M
 *
 * S is the exit status (128 + signal number if it was killed), W the time
 * from just before fork() to the return of wait4(), and M wait4()'s
 * ru_maxrss.
 *
 * Why not wait4() straight from the Python script: Linux folds the RSS
 * high-water mark of the memory image a process had *before* execve() into
 * its ru_maxrss (exec_mmap() -> setmax_mm_hiwater_rss()).  A child forked
 * or vforked from Python starts with Python's ~13 MiB image, so every
 * command spawned from there reports at least that much.  Forked from this
 * small program, the pre-exec image is a few anonymous pages and the
 * number is the command's own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    struct rusage ru;
    long long t0, t1;
    int status, code;
    pid_t pid;

    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
        return 125;
    }
    t0 = now_ns();
    pid = fork();       /* not vfork: that would share (and report) our image */
    if (pid < 0) {
        perror("spawn-rusage: fork");
        return 125;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "spawn-rusage: %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("spawn-rusage: wait4");
            return 125;
        }
    }
    t1 = now_ns();
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(stderr, "spawn-rusage: status %d wall-ns %lld maxrss-kib %ld\n",
            code, t1 - t0, ru.ru_maxrss);
    return 0;
}
