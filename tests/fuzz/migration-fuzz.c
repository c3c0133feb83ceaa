/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the incoming migration stream: the real loader
 * (migration_load_stream: header, records, RAM layout and pages, state
 * sections) reads a whole stream from a memfd into a small fake machine:
 * two guest RAM regions fenced by guard pages, and the real state sections
 * of a serial port, a GICv2 and (x86) an IOAPIC, which get applied when
 * the stream is accepted.
 *
 * Every record carries a CRC, which a fuzzer would almost never get
 * right, so the input is a recipe the target turns into a stream:
 *
 *   byte 0: flags: bit 0 the rest IS the stream, byte for byte (header
 *           and CRC checks); bit 1 the header is fuzzed (16 bytes of
 *           input follow); bit 2 the CRC of the last record is wrong
 *   then records, each: u8 kind, u16 length, length bytes:
 *     kind 0-15    a record of that type with the bytes as payload
 *     kind 0x20    END announcing as many sections as were sent
 *     kind 0x40    the machine's real RAM layout record
 *     kind 0x80+k  a STATE record of section k (mod the number of
 *                  sections) holding its current save() output, with the
 *                  bytes XORed over its beginning
 *
 * The oracle: no crash or leak, an error exactly when the loader fails,
 * and nothing but the two RAM regions written (the guard pages).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "qemu-vmm/arm_gicv2.h"
#include "qemu-vmm/crc32.h"
#include "qemu-vmm/hw.h"
#include "qemu-vmm/irq.h"
#include "qemu-vmm/kvm.h"
#include "migration/migration-internal.h"
#ifdef __x86_64__
#include "qemu-vmm/ioapic.h"
#endif

#include "fuzz-common.h"

#define LOW_SIZE    (64 * 1024)
#define HIGH_SIZE   (16 * 1024)
#define HIGH_BASE   0x100000ULL

enum { FLAG_RAW = 1, FLAG_HEADER = 2, FLAG_BAD_CRC = 4 };

static MachineState machine;
static int stream_fd = -1;

static void no_irq(void *opaque, unsigned int pin, int level)
{
}

static int no_commit(void *opaque, const struct kvm_irq_routing *table)
{
    return 0;
}

/* A KVMState with no VM behind it: routes are kept, ioctls fail (EBADF). */
static KVMState *fake_kvm(void)
{
    KVMState *s = g_new0(KVMState, 1);

    s->fd = s->vmfd = -1;
    pthread_mutex_init(&s->routing_lock, NULL);
    gsi_routing_init(&s->routing, 24, 24, no_commit, s);
    return s;
}

static void machine_init(void)
{
    struct gicv2_config gcfg = { .num_cpus = 2, .num_irqs = 64 };
    struct irq_line line = { .set = no_irq };
    MemoryRegion *low, *high;
    struct gicv2 *gic;
    GError *err = NULL;

    machine.mem = address_space_new("memory", 1ULL << 32, false);
    machine.io = address_space_new("io", 1ULL << 16, true);
    low = memory_region_new_ram_ptr("ram-low", LOW_SIZE, fuzz_guarded_alloc(LOW_SIZE));
    high = memory_region_new_ram_ptr("ram-high", HIGH_SIZE, fuzz_guarded_alloc(HIGH_SIZE));
    if (memory_region_map(machine.mem, low, 0, 0) < 0 ||
        memory_region_map(machine.mem, high, HIGH_BASE, 0) < 0)
        abort();
    if (!serial_create(machine.io, 0x3f8, line, NULL, &err))
        abort();
    gic = gicv2_new(&gcfg, &err);
    if (!gic)
        abort();
    gicv2_register_vmstate(gic);
#ifdef __x86_64__
    if (!ioapic_create(fake_kvm(), machine.mem, 0xfec00000ULL, 0, &err))
        abort();
#endif
    migration_init(&machine);
    stream_fd = memfd_create("migration-fuzz", MFD_CLOEXEC);
    if (stream_fd < 0)
        abort();
}

static void put_record(GByteArray *out, uint32_t type, const uint8_t *p, size_t len)
{
    uint32_t crc;

    put_u32(out, type);
    put_u32(out, (uint32_t)len);
    put_bytes(out, p, len);
    crc = crc32_update(0, out->data + out->len - len - 8, len + 8);
    put_u32(out, crc);
}

static void state_payload(GByteArray *b, unsigned int k, const uint8_t *x, size_t xlen)
{
    const struct vmstate_ops *o = vmstate_get(k % vmstate_count());
    guint start;

    put_u16(b, (uint16_t)strlen(o->name));
    put_bytes(b, o->name, strlen(o->name));
    put_u32(b, o->instance);
    put_u32(b, o->version);
    start = b->len;
    if (o->save(o->opaque, b) < 0)
        abort();
    for (size_t i = 0; i < xlen && start + i < b->len; i++)
        b->data[start + i] ^= x[i];
}

/* The stream the recipe describes (see the top of the file). */
static GByteArray *build_stream(struct fuzz_in *in)
{
    GByteArray *out = g_byte_array_new();
    uint8_t flags = fin_u8(in);
    uint32_t states = 0;
    size_t n, last = 0;
    const uint8_t *p;

    if (flags & FLAG_RAW) {
        p = fin_bytes(in, in->len, &n);
        put_bytes(out, p, n);
        return out;
    }
    if (flags & FLAG_HEADER) {
        p = fin_bytes(in, 16, &n);
        put_bytes(out, p, n);
    } else {
        put_bytes(out, STREAM_MAGIC, 8);
        put_u32(out, STREAM_VERSION);
        put_u32(out, 0);
    }
    while (in->len) {
        g_autoptr(GByteArray) b = g_byte_array_new();
        uint8_t kind = fin_u8(in);
        uint32_t type = kind & 0x0f;

        p = fin_bytes(in, fin_u16(in), &n);
        if (kind & 0x80) {
            state_payload(b, kind & 0x7f, p, n);
            type = REC_STATE;
            states++;
        } else if (kind & 0x40) {
            struct ram_state rs;
            struct mig_stream s;

            /* the real writer, into a stream we only use the buffer of */
            ram_state_init(&rs, machine.mem);
            stream_init(&s, -1, false, NULL);
            if (ram_save_layout(&rs, &s) < 0)
                abort();
            /* skip the writer's type, length and CRC */
            put_bytes(b, s.out->data + 8, s.out->len - 12);
            stream_destroy(&s);
            ram_state_destroy(&rs);
            type = REC_RAM_LAYOUT;
        } else if (kind & 0x20) {
            put_u32(b, states);
            type = REC_END;
        } else {
            put_bytes(b, p, n);
            states += type == REC_STATE;
        }
        last = out->len;
        put_record(out, type, b->data, b->len);
    }
    if ((flags & FLAG_BAD_CRC) && out->len >= last + 12)
        out->data[out->len - 1] ^= 0x5a;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    g_autoptr(GByteArray) stream = NULL;
    g_autoptr(GError) err = NULL;
    struct mig_stream s;
    int ret;

    if (stream_fd < 0)
        machine_init();
    stream = build_stream(&in);
    if (ftruncate(stream_fd, 0) < 0 ||
        pwrite(stream_fd, stream->data, stream->len, 0) != (ssize_t)stream->len ||
        lseek(stream_fd, 0, SEEK_SET) != 0)
        abort();
    stream_init(&s, stream_fd, false, NULL);
    ret = migration_load_stream(&s, &err);
    stream_destroy(&s);
    if ((ret < 0) != (err != NULL) || ret > 0)
        abort();
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "migration-fuzz: %s\n", err ? err->message : "stream accepted");
    return 0;
}
