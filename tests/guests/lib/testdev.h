/* Register map of vmm-testdev; the contract is docs/testdev.md. */
#ifndef GUEST_TESTDEV_H
#define GUEST_TESTDEV_H

#define TESTDEV_CONSTANT	0x0123456789abcdefull
#define TESTDEV_SCRATCH_SIZE	8

/* PIO window, ports 0xe000-0xe01f */
#define TESTDEV_PIO_BASE	0xe000
#define TESTDEV_PIO_SIZE	0x20
#define TESTDEV_PIO_SCRATCH	0x00
#define TESTDEV_PIO_CONST	0x08
#define TESTDEV_PIO_DOORBELL_A	0x10	/* 4 bytes, no datamatch */
#define TESTDEV_PIO_DOORBELL_B	0x14	/* 2 bytes, datamatch 0x1234 */
#define TESTDEV_DOORBELL_B_MATCH 0x1234

#define TESTDEV_PIO_BENCH	0xe020	/* 4-byte write, does nothing */

/* MMIO window, 0xfe900000-0xfe900fff */
#define TESTDEV_MMIO_BASE	0xfe900000ull
#define TESTDEV_MMIO_SIZE	0x1000
#define TESTDEV_MMIO_SCRATCH	0x000
#define TESTDEV_MMIO_CONST	0x010
#define TESTDEV_MMIO_DOORBELL_C	0x020	/* 4 bytes, no datamatch */
#define TESTDEV_MMIO_DOORBELL_D	0x028	/* 8 bytes, datamatch below */
#define TESTDEV_DOORBELL_D_MATCH 0xfeedfacecafebeefull
#define TESTDEV_MMIO_COUNT_A	0x100
#define TESTDEV_MMIO_COUNT_B	0x108
#define TESTDEV_MMIO_COUNT_C	0x110
#define TESTDEV_MMIO_COUNT_D	0x118
#define TESTDEV_MMIO_COUNT_SLOW	0x120
#define TESTDEV_MMIO_DIRTY_CMD	0x200
#define TESTDEV_MMIO_DIRTY_BASE	0x208
#define TESTDEV_MMIO_DIRTY_PAGES 0x210
#define TESTDEV_MMIO_DIRTY_BUF	0x218
#define TESTDEV_MMIO_RESULT	0x220
#define TESTDEV_MMIO_DIRTY_COUNT 0x228
#define TESTDEV_MMIO_BENCH	0x300	/* 4-byte write, does nothing */

#define TESTDEV_DIRTY_START	1
#define TESTDEV_DIRTY_SYNC	2
#define TESTDEV_DIRTY_STOP	3
#define TESTDEV_DIRTY_MAX_PAGES	1048576

#endif
