/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PL011 as Linux's amba-pl011 driver sees it, through MMIO dispatch:
 * the PrimeCell ID the AMBA bus probes, transmission to the backend, the
 * flags, and the receive FIFO and interrupts (fed through loopback, which
 * needs no terminal).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "qemu-vmm/arm.h"

#define BASE    0x09000000ULL
#define DR      0x000
#define FR      0x018
#define LCR_H   0x02c
#define CR      0x030
#define IMSC    0x038
#define RIS     0x03c
#define MIS     0x040
#define ICR     0x044

#define FR_RXFE (1u << 4)
#define FR_RXFF (1u << 6)
#define FR_TXFE (1u << 7)
#define INT_RX  (1u << 4)
#define INT_TX  (1u << 5)

struct uart {
    AddressSpace *as;
    struct pl011 *dev;
    struct chardev *chr;
    char *path;
    int level;          /* the interrupt line */
    int changes;
};

static void set_line(void *opaque, unsigned int pin, int level)
{
    struct uart *u = opaque;

    g_assert_cmpuint(pin, ==, VIRT_UART_SPI);
    u->level = level;
    u->changes++;
}

static void uart_init(struct uart *u)
{
    struct irq_line irq = { .gsi = VIRT_UART_SPI, .set = set_line, .opaque = u };
    g_autofree char *spec = NULL;
    int fd;

    memset(u, 0, sizeof(*u));
    fd = g_file_open_tmp("pl011-XXXXXX", &u->path, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    spec = g_strdup_printf("file:%s", u->path);
    u->chr = chardev_open(spec, NULL);
    g_assert_nonnull(u->chr);
    u->as = address_space_new("mem", 1ULL << 40, false);
    u->dev = pl011_create(u->as, BASE, irq, u->chr, NULL);
    g_assert_nonnull(u->dev);
}

static void uart_free(struct uart *u)
{
    pl011_free(u->dev);
    address_space_free(u->as);
    chardev_close(u->chr);
    unlink(u->path);
    g_free(u->path);
}

static uint32_t rd(struct uart *u, uint64_t reg)
{
    return (uint32_t)address_space_read_io(u->as, BASE + reg, 4);
}

static void wr(struct uart *u, uint64_t reg, uint32_t v)
{
    address_space_write_io(u->as, BASE + reg, v, 4);
}

static void test_id(void)
{
    static const uint32_t id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
    struct uart u;

    uart_init(&u);
    for (int i = 0; i < 8; i++)
        g_assert_cmphex(rd(&u, 0xfe0 + 4 * i), ==, id[i]);
    /* the reset state Linux expects: TX and RX enabled, FIFOs empty */
    g_assert_cmphex(rd(&u, CR), ==, 0x300);
    g_assert_cmphex(rd(&u, FR) & (FR_TXFE | FR_RXFE), ==, FR_TXFE | FR_RXFE);
    uart_free(&u);
}

static void test_transmit(void)
{
    struct uart u;
    g_autofree char *out = NULL;

    uart_init(&u);
    wr(&u, IMSC, INT_TX);
    g_assert_cmpint(u.level, ==, 0);
    for (const char *p = "hi\n"; *p; p++)
        address_space_write_io(u.as, BASE + DR, (uint8_t)*p, 1);   /* earlycon's strb */
    /* sent at once: the TX interrupt is up, the FIFO empty */
    g_assert_cmpint(u.level, ==, 1);
    g_assert_cmphex(rd(&u, MIS), ==, INT_TX);
    g_assert_cmphex(rd(&u, FR) & FR_TXFE, ==, FR_TXFE);
    /* masking it lowers the line */
    wr(&u, IMSC, 0);
    g_assert_cmpint(u.level, ==, 0);
    g_assert_true(g_file_get_contents(u.path, &out, NULL, NULL));
    g_assert_cmpstr(out, ==, "hi\n");
    uart_free(&u);
}

static void test_loopback_fifo(void)
{
    struct uart u;

    uart_init(&u);
    wr(&u, CR, 0x300 | (1u << 7) | 1);     /* loopback, enabled */
    wr(&u, LCR_H, 1u << 4);                /* FIFOs on: 16 entries */
    wr(&u, IMSC, INT_RX);
    for (int i = 0; i < 20; i++)
        wr(&u, DR, 'a' + i);
    /* 16 kept, the rest overran; RX interrupt up */
    g_assert_cmphex(rd(&u, FR) & (FR_RXFF | FR_RXFE), ==, FR_RXFF);
    g_assert_cmpint(u.level, ==, 1);
    /* the driver's ICR write does not drop RX while bytes wait */
    wr(&u, ICR, 0x7ff);
    g_assert_cmphex(rd(&u, RIS) & INT_RX, ==, INT_RX);
    for (int i = 0; i < 16; i++)
        g_assert_cmphex(rd(&u, DR), ==, (uint32_t)('a' + i));
    g_assert_cmphex(rd(&u, FR) & FR_RXFE, ==, FR_RXFE);
    g_assert_cmpint(u.level, ==, 0);
    g_assert_cmphex(rd(&u, DR), ==, 0);    /* empty FIFO reads 0 */

    /* FIFOs off: one holding register */
    wr(&u, LCR_H, 0);
    wr(&u, DR, 'x');
    wr(&u, DR, 'y');
    g_assert_cmphex(rd(&u, FR) & FR_RXFF, ==, FR_RXFF);
    g_assert_cmphex(rd(&u, DR), ==, 'x');
    g_assert_cmphex(rd(&u, FR) & FR_RXFE, ==, FR_RXFE);

    /* reset empties it and lowers the line */
    wr(&u, IMSC, INT_RX);
    wr(&u, DR, 'z');
    g_assert_cmpint(u.level, ==, 1);
    pl011_reset(u.dev);
    g_assert_cmpint(u.level, ==, 0);
    g_assert_cmphex(rd(&u, FR) & FR_RXFE, ==, FR_RXFE);
    g_assert_cmphex(rd(&u, CR), ==, 0x300);
    uart_free(&u);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/arm-pl011/id", test_id);
    g_test_add_func("/arm-pl011/transmit", test_transmit);
    g_test_add_func("/arm-pl011/loopback-fifo", test_loopback_fifo);
    return g_test_run();
}
