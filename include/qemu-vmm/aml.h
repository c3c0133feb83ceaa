/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small AML byte-code writer (ACPI 6.x, chapter 20 "ACPI Machine
 * Language Specification") and the resource descriptors of chapter 6.4.
 *
 * Everything appends to a GByteArray.  Objects with a PkgLength (Scope,
 * Device, Package) are written as begin ... end: begin returns a mark, and
 * end inserts the PkgLength there once the contents' size is known.
 */
#ifndef QEMU_VMM_AML_H
#define QEMU_VMM_AML_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* Encode a PkgLength covering len bytes of contents (plus itself); 1-4 bytes. */
int aml_pkglen_encode(size_t len, uint8_t out[4]);
/* Decode one at p (at most avail bytes): the length and the bytes it used. */
int aml_pkglen_decode(const uint8_t *p, size_t avail, size_t *len);

/* A NameString: "\\_SB", "COM1", "\\_SB.VR00", "^FOO"; -EINVAL if malformed. */
int aml_name(GByteArray *b, const char *name);
/* The shortest integer encoding (Zero, One, Ones, Byte/Word/DWord/QWord). */
void aml_integer(GByteArray *b, uint64_t v);
/* A null-terminated string. */
void aml_string(GByteArray *b, const char *s);
/* EISAID("PNP0501") as a DWord; -EINVAL unless three capitals and four hex digits. */
int aml_eisaid(GByteArray *b, const char *id);
/* Buffer (len) { data } */
void aml_buffer(GByteArray *b, const uint8_t *data, size_t len);

/* Name (name, ...): the value follows (aml_integer, aml_string, ...). */
int aml_name_decl(GByteArray *b, const char *name);

/* Scope, Device and Package with their contents between begin and end. */
size_t aml_scope_begin(GByteArray *b, const char *name);
size_t aml_device_begin(GByteArray *b, const char *name);
size_t aml_package_begin(GByteArray *b, uint8_t nr_elements);
void aml_end(GByteArray *b, size_t mark);

/* ---- resource descriptors (ACPI 6.4, section 6.4), for ResourceTemplate ---- */

/* IO (Decode16, min, max, align, len) */
void aml_res_io(GByteArray *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
/* IRQ (flags) {irq}: an ISA IRQ; flags AML_IRQ_* */
void aml_res_irq(GByteArray *r, unsigned int irq, uint8_t flags);
/* Memory32Fixed (ReadWrite or ReadOnly, base, len) */
void aml_res_mem32_fixed(GByteArray *r, uint32_t base, uint32_t len, int writable);
/* Interrupt (ResourceConsumer, flags) {gsi}: flags AML_EXT_IRQ_* */
void aml_res_ext_irq(GByteArray *r, uint32_t gsi, uint8_t flags);
/* The End Tag, then the whole as a Buffer: ResourceTemplate () { r } */
void aml_resource_template(GByteArray *b, GByteArray *r);

/* IRQ descriptor flags (section 6.4.2.1) */
#define AML_IRQ_EDGE        0x01
#define AML_IRQ_ACTIVE_LOW  0x08
#define AML_IRQ_SHARED      0x10
/* Extended Interrupt descriptor flags (section 6.4.3.6) */
#define AML_EXT_IRQ_CONSUMER    0x01
#define AML_EXT_IRQ_EDGE        0x02
#define AML_EXT_IRQ_ACTIVE_LOW  0x04
#define AML_EXT_IRQ_SHARED      0x08

/* Opcodes, for the writer and whoever decodes its output (tests). */
#define AML_ZERO_OP         0x00
#define AML_ONE_OP          0x01
#define AML_NAME_OP         0x08
#define AML_BYTE_PREFIX     0x0a
#define AML_WORD_PREFIX     0x0b
#define AML_DWORD_PREFIX    0x0c
#define AML_STRING_PREFIX   0x0d
#define AML_QWORD_PREFIX    0x0e
#define AML_SCOPE_OP        0x10
#define AML_BUFFER_OP       0x11
#define AML_PACKAGE_OP      0x12
#define AML_DUAL_NAME       0x2e
#define AML_MULTI_NAME      0x2f
#define AML_EXT_PREFIX      0x5b
#define AML_DEVICE_OP       0x82    /* after AML_EXT_PREFIX */
#define AML_ROOT_CHAR       '\\'
#define AML_PARENT_CHAR     '^'
#define AML_ONES_OP         0xff

#define AML_RES_IRQ         0x23    /* small, 3 bytes of data */
#define AML_RES_IO          0x47    /* small, 7 bytes */
#define AML_RES_END         0x79    /* small, 1 byte (checksum) */
#define AML_RES_MEM32_FIXED 0x86    /* large */
#define AML_RES_EXT_IRQ     0x89    /* large */

#endif
