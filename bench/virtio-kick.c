/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runs inside a Linux guest (bench/virtio): write a virtio-mmio
 * transport's QueueNotify register as fast as possible for a while and
 * print how many writes per second got through.  Each write is a queue
 * notification ("kick"): with ioeventfds KVM turns it into an eventfd
 * signal without leaving the kernel, without them it is an MMIO exit to
 * the VMM's vCPU thread.
 *
 *   virtio-kick BASE QUEUE SECONDS     (BASE: the transport's address, hex)
 *
 * Linked statically: the guest's initramfs has no C library.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_NOTIFY 0x50

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    uint64_t base, page, n = 0;
    unsigned int queue;
    double secs, start, end, took;
    volatile uint32_t *notify;
    uint8_t *map;
    int fd;

    if (argc != 4) {
        fprintf(stderr, "usage: virtio-kick BASE QUEUE SECONDS\n");
        return 2;
    }
    base = strtoull(argv[1], NULL, 16);
    queue = (unsigned int)strtoul(argv[2], NULL, 0);
    secs = atof(argv[3]);
    fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (fd < 0) {
        perror("virtio-kick: /dev/mem");
        return 1;
    }
    page = base & ~(uint64_t)4095;
    map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)page);
    if (map == MAP_FAILED) {
        perror("virtio-kick: mmap");
        return 1;
    }
    notify = (volatile uint32_t *)(map + (base - page) + QUEUE_NOTIFY);
    start = now();
    end = start + secs;
    do {
        /* the clock is read once per 256 kicks: it costs a vDSO call */
        for (int i = 0; i < 256; i++)
            *notify = queue;
        n += 256;
    } while (now() < end);
    took = now() - start;
    printf("kicks: %llu in %.2f s: %.0f/s\n", (unsigned long long)n, took, n / took);
    return 0;
}
